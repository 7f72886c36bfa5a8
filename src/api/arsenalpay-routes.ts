import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { ACCOUNT_NUMBER_FORMAT } from "../../adapters/contract/index.ts";
import { formatRubles, parseRubles } from "../../lib/money.ts";
import { buildArsenalpayWidgetLink } from "../../adapters/arsenalpay/widget.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";

const LinkRequest = z.object({
  account: z.string().regex(ACCOUNT_NUMBER_FORMAT, "account is 1 to 12 digits"),
  amount: z.string({ error: 'amount is required, in rubles like "500.00"' }),
});

/**
 * POST /api/arsenalpay/links: the personal account's "Пополнить разово" button. payhub signs the ArsenalPay widget
 * link; the money is recorded when ArsenalPay's `payment` callback arrives (the link itself moves nothing). The body is
 * read and checked by apiInput (api-input.ts).
 */
export function arsenalpayRoutes(config: Config, db: Db): Router {
  const router = express.Router();
  router.post("/links", async (req: Request, res: Response) => {
    const { widgetKey, widgetId, minKopecks, maxKopecks } = config.arsenalpay;
    if (!widgetKey || !widgetId) {
      return res.status(503).json({ error: "not_configured", message: "set ARSENALPAY_WIDGET_KEY and ARSENALPAY_WIDGET_ID to build payment links" });
    }
    const input = LinkRequest.safeParse(req.body ?? {});
    if (!input.success) return res.status(400).json({ error: "bad_request", message: input.error.issues.map((issue) => issue.message).join("; ") });
    const amount = parseRubles(input.data.amount);
    if (!amount.ok) return res.status(400).json({ error: "bad_amount", message: `amount: ${amount.reason}` });
    if (amount.kopecks < minKopecks || amount.kopecks > maxKopecks) {
      return res.status(422).json({ error: "amount_out_of_limits", message: `amount must be from ${formatRubles(minKopecks)} to ${formatRubles(maxKopecks)}` });
    }
    const account = await db.subscriberAccount.findUnique({ where: { number: input.data.account } });
    if (!account) return res.status(404).json({ error: "account_not_found", message: `no account ${input.data.account}` });
    if (account.status !== "active") return res.status(409).json({ error: "account_inactive", message: `account ${account.number} is ${account.status}` });
    const link = buildArsenalpayWidgetLink({
      widgetId,
      widgetKey,
      destination: account.number,
      // ArsenalPay lists a payer's autopayments by userId: the personal-account login where there is one.
      userId: account.login ?? account.number,
      amountKopecks: amount.kopecks,
    });
    req.log.info({ account: account.number, amount: link.amount }, "ArsenalPay payment link built");
    res.status(201).json({ url: link.url, account: account.number, amount: link.amount });
  });
  return router;
}
