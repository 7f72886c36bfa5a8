import type { Db } from "../db.ts";
import type { Autopayment } from "../generated/prisma/client.ts";
import type { Logger } from "../log.ts";
import { ArsenalpayApiError, type ArsenalpayApiClient } from "./arsenalpay-api-client.ts";
import { expireOverdueAutopayments, reconcileAutopayments } from "./reconcile-autopayments.ts";

export type ListAutopaymentsResult =
  /** `reconciled` when ArsenalPay's list was read; `warning` says why it was not when ArsenalPay could not be asked. */
  | { ok: true; account: string; reconciled: boolean; warning?: string; autopayments: Autopayment[] }
  | { ok: false; refusal: "accountNotFound" };

/**
 * An account's autopayments, oldest first, reconciled with ArsenalPay's REST API when it is configured (`api`). When
 * ArsenalPay is down the hub's own records are still worth showing: the answer says they were not checked.
 */
export async function listAutopayments(deps: { db: Db; api: ArsenalpayApiClient | undefined; log: Logger }, number: string): Promise<ListAutopaymentsResult> {
  const account = await deps.db.subscriberAccount.findUnique({ where: { number } });
  if (!account) return { ok: false, refusal: "accountNotFound" };
  await expireOverdueAutopayments(deps.db, account.id);
  let reconciled = false;
  let warning: string | undefined;
  if (deps.api) {
    try {
      await reconcileAutopayments(deps.db, deps.api, account);
      reconciled = true;
    } catch (error) {
      if (!(error instanceof ArsenalpayApiError)) throw error;
      warning = error.message;
      deps.log.warn({ account: number, err: error.message }, "autopayments not reconciled with ArsenalPay");
    }
  }
  const autopayments = await deps.db.autopayment.findMany({ where: { accountId: account.id }, orderBy: { id: "asc" } });
  return { ok: true, account: number, reconciled, ...(warning ? { warning } : {}), autopayments };
}
