import express, { type Request, type Response, type Router } from "express";
import { AccountField, RublesField } from "../api/request-fields.ts";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import type { IntakeDeps } from "../payments/accept-payment.ts";
import { CardAcquirerError } from "./acquirer-client.ts";
import { cardAcquirerClientOf, cardChannelProfile } from "./channel.ts";
import { registerCardOrder } from "./register-order.ts";

const OrderBody = z.object({
  account: AccountField,
  amount: RublesField,
});

/** POST /api/card/orders: registers a card order at the acquirer and records it as a pending payment. */
export function cardRoutes(config: Config, db: Db, intake: IntakeDeps): Router {
  const router = express.Router();
  const settings = config.card;
  const client = cardAcquirerClientOf(settings);
  const profile = cardChannelProfile(settings);

  router.post("/orders", express.json({ limit: "16kb" }), async (req: Request, res: Response) => {
    // The checksum key too: an order whose callbacks the hub would refuse is not registered.
    if (!client || !settings.returnUrl || settings.checksumKeys.length === 0) {
      return res.status(503).json({
        error: "card_not_configured",
        message: "card acquiring is not configured: set CARD_API_USERNAME, CARD_API_PASSWORD, CARD_RETURN_URL and CARD_CHECKSUM_KEY",
      });
    }
    const input = OrderBody.safeParse(req.body ?? {});
    if (!input.success) {
      return res.status(400).json({ error: "invalid_order", message: input.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ") });
    }
    const { account, amount } = input.data;
    try {
      const result = await registerCardOrder({ db, intake, client, profile, returnUrl: settings.returnUrl, log: req.log }, { account, amountKopecks: amount });
      if (result.ok) return res.status(201).json({ orderNumber: result.orderNumber, formUrl: result.formUrl });
      switch (result.refusal) {
        case "accountNotFound":
          return res.status(404).json({ error: "account_not_found", message: `no account ${account}` });
        case "accountInactive":
          return res.status(409).json({ error: "account_inactive", message: `account ${account} is ${result.status}: orders are registered only for active accounts` });
        case "amountOutsideLimits":
          return res.status(422).json({
            error: "amount_outside_limits",
            message: `amount ${formatRubles(amount)} is outside the card limits ${formatRubles(result.minKopecks)}–${formatRubles(result.maxKopecks)}`,
          });
        case "notRecorded":
          return res.status(503).json({ error: "temporarily_unavailable", message: "the order could not be recorded; try again" });
      }
    } catch (error) {
      if (!(error instanceof CardAcquirerError)) throw error;
      return res.status(502).json({ error: error.kind === "refused" ? "acquirer_refused" : "acquirer_unavailable", message: error.message });
    }
  });
  return router;
}
