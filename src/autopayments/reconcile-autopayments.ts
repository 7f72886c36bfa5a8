import { officeToday } from "../calendar/office-day.ts";
import type { Db } from "../db.ts";
import type { SubscriberAccount } from "../generated/prisma/client.ts";
import type { ArsenalpayApiClient } from "./arsenalpay-api-client.ts";

/** Active autopayments past their until-date (a day of the offices' calendar) become expired. */
export async function expireOverdueAutopayments(db: Db, accountId: number): Promise<void> {
  await db.autopayment.updateMany({ where: { accountId, state: "active", untilDate: { lt: new Date(`${officeToday()}T00:00:00Z`) } }, data: { state: "expired" } });
}

/**
 * Brings the account's autopayments in line with ArsenalPay's list: an active one whose subscription ArsenalPay no
 * longer lists is cancelled (the subscriber cancelled it there); a listed subscription not yet known is recorded on
 * the oldest active autopayment of the same amount that has no subscription id yet. Throws ArsenalpayApiError when
 * ArsenalPay cannot be asked.
 */
export async function reconcileAutopayments(db: Db, api: ArsenalpayApiClient, account: SubscriberAccount): Promise<void> {
  const active = await db.autopayment.findMany({ where: { accountId: account.id, state: "active" }, orderBy: { id: "asc" } });
  if (active.length === 0) return;
  const listed = await api.listSubscriptions(account.login ?? account.number);
  const listedIds = new Set(listed.map((subscription) => subscription.id));
  for (const autopayment of active) {
    if (autopayment.providerSubscriptionId !== null && !listedIds.has(autopayment.providerSubscriptionId)) {
      await db.autopayment.updateMany({ where: { id: autopayment.id, state: "active" }, data: { state: "cancelled", cancelledAt: new Date() } });
    }
  }
  const unknown = listed.filter((subscription) => subscription.amountKopecks !== undefined);
  if (unknown.length === 0) return;
  const known = new Set(
    (await db.autopayment.findMany({ where: { providerSubscriptionId: { in: unknown.map((subscription) => subscription.id) } }, select: { providerSubscriptionId: true } })).map(
      (row) => row.providerSubscriptionId,
    ),
  );
  const waiting = active.filter((autopayment) => autopayment.providerSubscriptionId === null);
  for (const subscription of unknown) {
    if (known.has(subscription.id)) continue;
    const match = waiting.find((autopayment) => autopayment.amountKopecks === subscription.amountKopecks);
    if (!match) continue;
    waiting.splice(waiting.indexOf(match), 1);
    await db.autopayment.updateMany({ where: { id: match.id, providerSubscriptionId: null }, data: { providerSubscriptionId: subscription.id } });
  }
}
