import { officeToday } from "../calendar/office-day.ts";
import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { ACCOUNT_NUMBER_FORMAT } from "../../adapters/contract/index.ts";
import { formatRubles, parseRubles } from "../../lib/money.ts";
import { buildArsenalpayWidgetLink } from "../../adapters/arsenalpay/widget.ts";
import { ArsenalpayApiError, createArsenalpayApiClient, type ArsenalpayApiClient } from "../autopayments/arsenalpay-api-client.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import type { Autopayment, SubscriberAccount } from "../generated/prisma/client.ts";

const DATE_FORMAT = /^\d{4}-\d{2}-\d{2}$/;

const CreateRequest = z.object({
  account: z.string().regex(ACCOUNT_NUMBER_FORMAT, "account is 1 to 12 digits"),
  amount: z.string({ error: 'amount is required, in rubles like "890.00"' }),
  periodDays: z.number({ error: "periodDays is required, a whole number of days" }).int("periodDays is a whole number of days").min(1, "periodDays is 1 to 366").max(366, "periodDays is 1 to 366"),
  until: z
    .string()
    .regex(DATE_FORMAT, "until is a date like 2027-12-31")
    .refine((text) => !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text), "until is not a real date")
    .optional(),
});


function view(autopayment: Autopayment, accountNumber: string) {
  return {
    id: autopayment.id,
    account: accountNumber,
    amount: formatRubles(autopayment.amountKopecks),
    periodDays: autopayment.periodDays,
    until: autopayment.untilDate ? autopayment.untilDate.toISOString().slice(0, 10) : null,
    state: autopayment.state,
    providerSubscriptionId: autopayment.providerSubscriptionId,
    createdAt: autopayment.createdAt.toISOString(),
    cancelledAt: autopayment.cancelledAt?.toISOString() ?? null,
    lastChargedAt: autopayment.lastChargedAt?.toISOString() ?? null,
  };
}

/** Active autopayments past their until-date become expired. */
async function expireOverdue(db: Db, accountId: number): Promise<void> {
  await db.autopayment.updateMany({ where: { accountId, state: "active", untilDate: { lt: new Date(`${officeToday()}T00:00:00Z`) } }, data: { state: "expired" } });
}

/**
 * Brings the account's autopayments in line with ArsenalPay's list: an active one whose subscription ArsenalPay no
 * longer lists is cancelled (the subscriber cancelled it there); a listed subscription not yet known is recorded on
 * the oldest active autopayment of the same amount that has no subscription id yet.
 */
async function reconcile(db: Db, api: ArsenalpayApiClient, account: SubscriberAccount): Promise<void> {
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

const apiUnavailable = (res: Response, error: ArsenalpayApiError) =>
  res.status(502).json({ error: error.kind === "refused" ? "arsenalpay_refused" : "arsenalpay_unavailable", message: error.message });

/**
 * /api/autopayments: the personal account's "Пополнять ежемесячно" (PROTOCOLS.md §3). payhub records each
 * autopayment, links ArsenalPay's recurring `payment` callbacks to it (accept-payment.ts), and lists and cancels the
 * subscription at ArsenalPay's REST API when ARSENALPAY_CLIENT_ID and ARSENALPAY_CLIENT_SECRET are set. Bodies are
 * read and checked by apiInput (api-input.ts).
 */
export function autopaymentsRoutes(config: Config, db: Db): Router {
  const router = express.Router();
  const { apiUrl, apiClientId, apiClientSecret, widgetId, widgetKey, minKopecks, maxKopecks } = config.arsenalpay;
  // One client for the hub's life: its access token is shared by every request.
  const api = apiClientId && apiClientSecret ? createArsenalpayApiClient({ baseUrl: apiUrl, clientId: apiClientId, clientSecret: apiClientSecret }) : undefined;

  router.post("/", async (req: Request, res: Response) => {
    const input = CreateRequest.safeParse(req.body ?? {});
    if (!input.success) return res.status(400).json({ error: "bad_request", message: input.error.issues.map((issue) => issue.message).join("; ") });
    const amount = parseRubles(input.data.amount);
    if (!amount.ok) return res.status(400).json({ error: "bad_amount", message: `amount: ${amount.reason}` });
    if (amount.kopecks < minKopecks || amount.kopecks > maxKopecks) {
      return res.status(422).json({ error: "amount_out_of_limits", message: `amount must be from ${formatRubles(minKopecks)} to ${formatRubles(maxKopecks)}` });
    }
    if (input.data.until !== undefined && input.data.until < officeToday()) return res.status(400).json({ error: "bad_request", message: "until is in the past" });
    const account = await db.subscriberAccount.findUnique({ where: { number: input.data.account } });
    if (!account) return res.status(404).json({ error: "account_not_found", message: `no account ${input.data.account}` });
    if (account.status !== "active") return res.status(409).json({ error: "account_inactive", message: `account ${account.number} is ${account.status}` });
    await expireOverdue(db, account.id);
    // Two active autopayments of one amount would make a recurring charge ambiguous.
    const twin = await db.autopayment.findFirst({ where: { accountId: account.id, state: "active", amountKopecks: amount.kopecks } });
    if (twin) return res.status(409).json({ error: "autopayment_exists", message: `account ${account.number} already has active autopayment ${twin.id} of ${formatRubles(amount.kopecks)}` });
    const autopayment = await db.autopayment.create({
      data: {
        accountId: account.id,
        amountKopecks: amount.kopecks,
        periodDays: input.data.periodDays,
        untilDate: input.data.until ? new Date(`${input.data.until}T00:00:00Z`) : null,
      },
    });
    const link =
      widgetId && widgetKey
        ? buildArsenalpayWidgetLink({ widgetId, widgetKey, destination: account.number, userId: account.login ?? account.number, amountKopecks: amount.kopecks }).url
        : null;
    req.log.info({ autopayment: autopayment.id, account: account.number, amount: formatRubles(amount.kopecks) }, "autopayment recorded");
    res.status(201).json({ ...view(autopayment, account.number), url: link });
  });

  router.get("/", async (req: Request, res: Response) => {
    const number = req.query.account;
    if (typeof number !== "string" || !ACCOUNT_NUMBER_FORMAT.test(number)) return res.status(400).json({ error: "bad_request", message: "account is 1 to 12 digits" });
    const account = await db.subscriberAccount.findUnique({ where: { number } });
    if (!account) return res.status(404).json({ error: "account_not_found", message: `no account ${number}` });
    await expireOverdue(db, account.id);
    let reconciled = false;
    let warning: string | undefined;
    if (api) {
      try {
        await reconcile(db, api, account);
        reconciled = true;
      } catch (error) {
        if (!(error instanceof ArsenalpayApiError)) throw error;
        // The hub's own records are still worth showing; the answer says they were not checked.
        warning = error.message;
        req.log.warn({ account: number, err: error.message }, "autopayments not reconciled with ArsenalPay");
      }
    }
    const autopayments = await db.autopayment.findMany({ where: { accountId: account.id }, orderBy: { id: "asc" } });
    res.json({ account: number, reconciled, ...(warning ? { warning } : {}), autopayments: autopayments.map((autopayment) => view(autopayment, number)) });
  });

  router.delete("/:id", async (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!/^[1-9][0-9]{0,9}$/.test(id) || Number(id) > 2_147_483_647) return res.status(400).json({ error: "bad_request", message: "id is a positive whole number" });
    let autopayment = await db.autopayment.findUnique({ where: { id: Number(id) }, include: { account: true } });
    if (!autopayment) return res.status(404).json({ error: "autopayment_not_found", message: `no autopayment ${id}` });
    if (autopayment.state !== "active") return res.status(409).json({ error: "autopayment_not_active", message: `autopayment ${id} is ${autopayment.state}` });
    const { account } = autopayment;
    if (api) {
      try {
        // The subscriber may have set it up at ArsenalPay since the hub last looked: learn its id before cancelling.
        if (autopayment.providerSubscriptionId === null) await reconcile(db, api, account);
        autopayment = { ...(await db.autopayment.findUniqueOrThrow({ where: { id: autopayment.id } })), account };
        if (autopayment.state !== "active") return res.status(409).json({ error: "autopayment_not_active", message: `autopayment ${id} is ${autopayment.state}` });
        if (autopayment.providerSubscriptionId !== null) await api.cancelSubscription(autopayment.providerSubscriptionId);
      } catch (error) {
        if (!(error instanceof ArsenalpayApiError)) throw error;
        req.log.warn({ autopayment: autopayment.id, err: error.message }, "autopayment not cancelled at ArsenalPay");
        return apiUnavailable(res, error);
      }
    } else if (autopayment.providerSubscriptionId !== null) {
      return res.status(503).json({ error: "not_configured", message: "set ARSENALPAY_CLIENT_ID and ARSENALPAY_CLIENT_SECRET to cancel the subscription at ArsenalPay" });
    }
    await db.autopayment.updateMany({ where: { id: autopayment.id, state: "active" }, data: { state: "cancelled", cancelledAt: new Date() } });
    const cancelled = await db.autopayment.findUniqueOrThrow({ where: { id: autopayment.id } });
    req.log.info({ autopayment: cancelled.id, account: account.number, providerSubscriptionId: cancelled.providerSubscriptionId }, "autopayment cancelled");
    res.json(view(cancelled, account.number));
  });
  return router;
}
