import { buildArsenalpayWidgetLink } from "../../adapters/arsenalpay/widget.ts";
import type { Db } from "../db.ts";
import type { AccountStatus, SubscriberAccount } from "../generated/prisma/client.ts";

/**
 * What ArsenalPay's widget top-ups of a subscriber account share: the one-off payment link (create-payment-link.ts)
 * and the autopayment (create-autopayment.ts) both check the amount against the channel's limits and the account
 * before anything is signed or recorded, and both sign the widget link with the account and the amount.
 */

/** The ArsenalPay channel's limits (ARSENALPAY_MIN_SUM, ARSENALPAY_MAX_SUM): its callbacks are checked against them too. */
export interface TopupLimits {
  minKopecks: bigint;
  maxKopecks: bigint;
}

/** The widget's id and key (ARSENALPAY_WIDGET_ID, ARSENALPAY_WIDGET_KEY). */
export interface WidgetKeys {
  widgetId: string;
  widgetKey: string;
}

export type AmountRefusal = { ok: false; refusal: "amountOutsideLimits"; minKopecks: bigint; maxKopecks: bigint };
export type AccountRefusal = { ok: false; refusal: "accountNotFound" } | { ok: false; refusal: "accountInactive"; status: AccountStatus };

/** The refusal of an amount outside the channel's limits; undefined when it is within them. */
export function amountOutsideLimits(limits: TopupLimits, amountKopecks: bigint): AmountRefusal | undefined {
  const { minKopecks, maxKopecks } = limits;
  return amountKopecks < minKopecks || amountKopecks > maxKopecks ? { ok: false, refusal: "amountOutsideLimits", minKopecks, maxKopecks } : undefined;
}

/** The account, when it exists and is active: a blocked or closed one is never offered a top-up. */
export async function activeAccount(db: Db, number: string): Promise<{ ok: true; account: SubscriberAccount } | AccountRefusal> {
  const account = await db.subscriberAccount.findUnique({ where: { number } });
  if (!account) return { ok: false, refusal: "accountNotFound" };
  if (account.status !== "active") return { ok: false, refusal: "accountInactive", status: account.status };
  return { ok: true, account };
}

/** The signed widget link for the account and amount; ArsenalPay lists a payer's autopayments by userId, the login where there is one. */
export function widgetLink(keys: WidgetKeys, account: SubscriberAccount, amountKopecks: bigint): { url: string; amount: string } {
  const { url, amount } = buildArsenalpayWidgetLink({ ...keys, destination: account.number, userId: account.login ?? account.number, amountKopecks });
  return { url, amount };
}
