import express, { type Request, type Response, type Router } from "express";
import { AccountField, RublesField, requiredAs } from "../api/request-fields.ts";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import { MAX_BILL_LIFETIME_MINUTES, issueQiwiBill } from "./issue-bill.ts";
import { QiwiBillApiError, createQiwiBillClient, type QiwiBillClient } from "./qiwi-bill-client.ts";

/** Text without control characters: QIWI shows the comment on its payment form. */
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

const IssueBillBody = z.object({
  account: AccountField,
  amount: RublesField,
  comment: z
    .string({ error: requiredAs("a string") })
    .trim()
    .min(1, "must not be empty")
    .max(255, "must be at most 255 characters (QIWI's limit)")
    .regex(NO_CONTROL_CHARACTERS, "must not contain control characters")
    .optional(),
  lifetimeMinutes: z
    .number({ error: requiredAs("a whole number of minutes") })
    .int("must be a whole number of minutes")
    .min(1, "must be at least 1")
    .max(MAX_BILL_LIFETIME_MINUTES, `must be at most ${MAX_BILL_LIFETIME_MINUTES} (QIWI expires every bill after 45 days)`)
    .optional(),
});

/** POST /api/qiwi-bills: issue a QIWI bill for a subscriber account; the payment comes later as QIWI's PAID notification. */
export function qiwiBillsRoutes(config: Config, db: Db): Router {
  const router = express.Router();
  const settings = config.qiwiBill;
  const secretKey = settings.secrets[0];
  // Both are needed: the key to issue the bill, the siteId to accept its PAID notification. A bill whose payment
  // the hub would refuse is not issued at all.
  const client: QiwiBillClient | undefined = secretKey && settings.siteId ? createQiwiBillClient({ baseUrl: settings.apiUrl, secretKey }) : undefined;

  router.post("/", express.json({ limit: "16kb" }), async (req: Request, res: Response) => {
    if (!client) {
      return res.status(503).json({ error: "qiwi_bills_not_configured", message: "QIWI bills are not configured: set QIWI_BILL_SECRET_KEY and QIWI_BILL_SITE_ID" });
    }
    const input = IssueBillBody.safeParse(req.body ?? {});
    if (!input.success) {
      return res.status(400).json({
        error: "invalid_bill",
        message: input.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; "),
      });
    }
    const { account, amount, comment, lifetimeMinutes } = input.data;
    try {
      const result = await issueQiwiBill({ db, client, limits: settings, log: req.log }, { account, amountKopecks: amount, comment, lifetimeMinutes });
      if (result.ok) {
        const { bill } = result;
        return res.status(201).json({
          billId: bill.billId,
          payUrl: bill.payUrl,
          amount: formatRubles(bill.amountKopecks),
          account: bill.account,
          expiresAt: bill.expiresAt.toISOString(),
          status: bill.status,
        });
      }
      switch (result.refusal) {
        case "accountNotFound":
          return res.status(404).json({ error: "account_not_found", message: `no account ${account}` });
        case "accountInactive":
          return res.status(409).json({ error: "account_inactive", message: `account ${account} is ${result.status}: bills are issued only to active accounts` });
        case "amountOutsideLimits":
          return res.status(422).json({
            error: "amount_outside_limits",
            message: `amount ${formatRubles(amount)} is outside the QIWI bill limits ${formatRubles(result.minKopecks)}–${formatRubles(result.maxKopecks)}`,
          });
      }
    } catch (error) {
      if (!(error instanceof QiwiBillApiError)) throw error;
      // The message names QIWI's status and words, never the key; the bill was not issued, so nothing is to be undone.
      return res.status(502).json({ error: error.kind === "refused" ? "qiwi_refused" : "qiwi_unavailable", message: error.message });
    }
  });
  return router;
}
