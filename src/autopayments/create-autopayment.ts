import { formatRubles } from "../../lib/money.ts";
import { officeToday } from "../calendar/office-day.ts";
import type { Db } from "../db.ts";
import type { Autopayment } from "../generated/prisma/client.ts";
import type { Logger } from "../log.ts";
import { expireOverdueAutopayments } from "./reconcile-autopayments.ts";
import { activeAccount, amountOutsideLimits, widgetLink, type AccountRefusal, type AmountRefusal, type TopupLimits, type WidgetKeys } from "./widget-topup.ts";

/**
 * Recording an ArsenalPay autopayment ("Пополнять ежемесячно", PROTOCOLS.md §3): ArsenalPay's recurring `payment`
 * callbacks of the account and amount are linked to it (the intake's autopayment link). The subscriber sets the
 * subscription up at ArsenalPay through the signed widget link; reconciliation learns its id later.
 */

export interface CreateAutopaymentInput {
  account: string;
  amountKopecks: bigint;
  periodDays: number;
  /** The last day a charge may come, YYYY-MM-DD; none: until cancelled. */
  until?: string;
}

export type CreateAutopaymentResult =
  /** `url` is the signed widget link, null without the widget keys. */
  | { ok: true; autopayment: Autopayment; account: string; url: string | null }
  | AmountRefusal
  | { ok: false; refusal: "untilInPast" }
  | AccountRefusal
  /** Two active autopayments of one amount would make a recurring charge ambiguous. */
  | { ok: false; refusal: "autopaymentExists"; existingId: number };

export async function createAutopayment(
  deps: { db: Db; limits: TopupLimits; widget: WidgetKeys | undefined; log: Logger },
  input: CreateAutopaymentInput,
): Promise<CreateAutopaymentResult> {
  const outside = amountOutsideLimits(deps.limits, input.amountKopecks);
  if (outside) return outside;
  if (input.until !== undefined && input.until < officeToday()) return { ok: false, refusal: "untilInPast" };
  const found = await activeAccount(deps.db, input.account);
  if (!found.ok) return found;
  const { account } = found;
  await expireOverdueAutopayments(deps.db, account.id);
  const twin = await deps.db.autopayment.findFirst({ where: { accountId: account.id, state: "active", amountKopecks: input.amountKopecks } });
  if (twin) return { ok: false, refusal: "autopaymentExists", existingId: twin.id };
  const autopayment = await deps.db.autopayment.create({
    data: {
      accountId: account.id,
      amountKopecks: input.amountKopecks,
      periodDays: input.periodDays,
      untilDate: input.until ? new Date(`${input.until}T00:00:00Z`) : null,
    },
  });
  deps.log.info({ autopayment: autopayment.id, account: account.number, amount: formatRubles(input.amountKopecks) }, "autopayment recorded");
  return { ok: true, autopayment, account: account.number, url: deps.widget ? widgetLink(deps.widget, account, input.amountKopecks).url : null };
}
