import type { Db } from "../db.ts";
import type { Autopayment, AutopaymentState } from "../generated/prisma/client.ts";
import type { Logger } from "../log.ts";
import { ArsenalpayApiError, type ArsenalpayApiClient } from "./arsenalpay-api-client.ts";
import { reconcileAutopayments } from "./reconcile-autopayments.ts";

export type CancelAutopaymentResult =
  | { ok: true; autopayment: Autopayment; account: string }
  | { ok: false; refusal: "notFound" }
  | { ok: false; refusal: "notActive"; state: AutopaymentState }
  /** ArsenalPay refused the cancel or could not be asked: the autopayment stays active. */
  | { ok: false; refusal: "arsenalpayFailed"; kind: ArsenalpayApiError["kind"]; message: string }
  /** ArsenalPay knows the subscription but the hub has no REST API credentials to cancel it there. */
  | { ok: false; refusal: "notConfigured" };

/**
 * Cancels an active autopayment at ArsenalPay (when `api` is configured), then locally. Without the REST API only an
 * autopayment ArsenalPay never reported (no providerSubscriptionId) is cancelled, locally.
 */
export async function cancelAutopayment(deps: { db: Db; api: ArsenalpayApiClient | undefined; log: Logger }, id: number): Promise<CancelAutopaymentResult> {
  const { db, api } = deps;
  let autopayment = await db.autopayment.findUnique({ where: { id }, include: { account: true } });
  if (!autopayment) return { ok: false, refusal: "notFound" };
  if (autopayment.state !== "active") return { ok: false, refusal: "notActive", state: autopayment.state };
  const { account } = autopayment;
  if (api) {
    try {
      // The subscriber may have set it up at ArsenalPay since the hub last looked: learn its id before cancelling.
      if (autopayment.providerSubscriptionId === null) await reconcileAutopayments(db, api, account);
      autopayment = { ...(await db.autopayment.findUniqueOrThrow({ where: { id } })), account };
      if (autopayment.state !== "active") return { ok: false, refusal: "notActive", state: autopayment.state };
      if (autopayment.providerSubscriptionId !== null) await api.cancelSubscription(autopayment.providerSubscriptionId);
    } catch (error) {
      if (!(error instanceof ArsenalpayApiError)) throw error;
      deps.log.warn({ autopayment: id, err: error.message }, "autopayment not cancelled at ArsenalPay");
      return { ok: false, refusal: "arsenalpayFailed", kind: error.kind, message: error.message };
    }
  } else if (autopayment.providerSubscriptionId !== null) {
    return { ok: false, refusal: "notConfigured" };
  }
  await db.autopayment.updateMany({ where: { id, state: "active" }, data: { state: "cancelled", cancelledAt: new Date() } });
  const cancelled = await db.autopayment.findUniqueOrThrow({ where: { id } });
  deps.log.info({ autopayment: cancelled.id, account: account.number, providerSubscriptionId: cancelled.providerSubscriptionId }, "autopayment cancelled");
  return { ok: true, autopayment: cancelled, account: account.number };
}
