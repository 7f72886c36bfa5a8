import type { Db } from "../db.ts";
import { activeAccount, amountOutsideLimits, widgetLink, type AccountRefusal, type AmountRefusal, type TopupLimits, type WidgetKeys } from "./widget-topup.ts";

/**
 * The personal account's "Пополнить разово" button: the signed ArsenalPay widget link of a one-off top-up. The link
 * moves nothing and nothing is recorded; the money is recorded when ArsenalPay's `payment` callback arrives.
 */

export type CreatePaymentLinkResult = { ok: true; url: string; account: string; amount: string } | AmountRefusal | AccountRefusal;

export async function createPaymentLink(
  deps: { db: Db; widget: WidgetKeys; limits: TopupLimits },
  input: { account: string; amountKopecks: bigint },
): Promise<CreatePaymentLinkResult> {
  const outside = amountOutsideLimits(deps.limits, input.amountKopecks);
  if (outside) return outside;
  const found = await activeAccount(deps.db, input.account);
  if (!found.ok) return found;
  const link = widgetLink(deps.widget, found.account, input.amountKopecks);
  return { ok: true, url: link.url, account: found.account.number, amount: link.amount };
}
