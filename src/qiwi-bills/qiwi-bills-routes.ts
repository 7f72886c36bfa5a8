import type { Router } from "express";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import { defineGroup, ErrorBody, groupRouter, refusals, reply, RublesOut, TimeOut, unavailableRouter } from "../api/api-registry.ts";
import { AccountField, fieldsRefusal, requiredAs, RublesField } from "../api/request-fields.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import { MAX_BILL_LIFETIME_MINUTES, issueQiwiBill } from "./issue-bill.ts";
import { createQiwiBillClient } from "./qiwi-bill-client.ts";

const { 401: unauthorized, 403: forbidden } = refusals;

/** Text without control characters: QIWI shows the comment on its payment form. */
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

export const qiwiBillsApi = defineGroup({
  base: "/api/qiwi-bills",
  tag: "channels",
  routes: {
    issue: {
      method: "post",
      path: "/",
      summary: "Issue a QIWI bill for an account; the money comes with QIWI's PAID notification",
      description:
        "payhub records the bill (its billId, account and amount) before asking QIWI; the payment is recorded when QIWI's PAID notification for that billId " +
        "arrives at /webhooks/qiwi-bill, and credited to this account. lifetimeMinutes defaults to a day.",
      auth: "supervisor",
      body: z.object({
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
      }),
      invalid: fieldsRefusal("invalid_bill"),
      responses: {
        201: {
          description: "issued",
          schema: z.object({
            billId: z.string().meta({ description: "payhub-<account>-<16 hex>" }),
            payUrl: z.string().meta({ description: "QIWI's payment form" }),
            amount: RublesOut,
            account: z.string(),
            expiresAt: TimeOut,
            status: z.string().meta({ description: "QIWI's status of the new bill: WAITING" }),
          }),
        },
        400: { description: "invalid_bill naming each field", schema: ErrorBody },
        401: unauthorized,
        403: forbidden,
        404: { description: "account_not_found", schema: ErrorBody },
        409: { description: "account_inactive: bills are issued only to active accounts", schema: ErrorBody },
        422: { description: "amount_outside_limits: outside QIWI_BILL_MIN_SUM to QIWI_BILL_MAX_SUM", schema: ErrorBody },
        502: { description: "qiwi_refused (its errorCode and description) or qiwi_unavailable (timeouts and 5xx are retried, 4xx never)", schema: ErrorBody },
        503: { description: "qiwi_bills_not_configured until QIWI_BILL_SECRET_KEY and QIWI_BILL_SITE_ID are set", schema: ErrorBody },
      },
    },
  },
});

/** POST /api/qiwi-bills: issue a QIWI bill for a subscriber account (issue-bill.ts); the payment comes later as QIWI's PAID notification. */
export function qiwiBillsRoutes(config: Config, db: Db): Router {
  const settings = config.qiwiBill;
  const secretKey = settings.secrets[0];
  // Both are needed: the key to issue the bill, the siteId to accept its PAID notification. A bill whose payment
  // the hub would refuse is not issued at all.
  if (!secretKey || !settings.siteId) {
    return unavailableRouter(qiwiBillsApi, {
      issue: reply(503, { error: "qiwi_bills_not_configured", message: "QIWI bills are not configured: set QIWI_BILL_SECRET_KEY and QIWI_BILL_SITE_ID" }),
    });
  }
  const client = createQiwiBillClient({ baseUrl: settings.apiUrl, secretKey });

  return groupRouter(qiwiBillsApi, {
    issue: async ({ body, req }) => {
      const { account, amount, comment, lifetimeMinutes } = body;
      const result = await issueQiwiBill({ db, client, limits: settings, log: req.log }, { account, amountKopecks: amount, comment, lifetimeMinutes });
      if (result.ok) {
        const { bill } = result;
        return reply(201, {
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
          return reply(404, { error: "account_not_found", message: `no account ${account}` });
        case "accountInactive":
          return reply(409, { error: "account_inactive", message: `account ${account} is ${result.status}: bills are issued only to active accounts` });
        case "amountOutsideLimits":
          return reply(422, {
            error: "amount_outside_limits",
            message: `amount ${formatRubles(amount)} is outside the QIWI bill limits ${formatRubles(result.minKopecks)}–${formatRubles(result.maxKopecks)}`,
          });
        case "qiwiFailed":
          return reply(502, { error: result.kind === "refused" ? "qiwi_refused" : "qiwi_unavailable", message: result.message });
      }
    },
  });
}
