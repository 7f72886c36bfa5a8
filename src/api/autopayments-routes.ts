import type { Router } from "express";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import { createArsenalpayApiClient } from "../autopayments/arsenalpay-api-client.ts";
import { cancelAutopayment } from "../autopayments/cancel-autopayment.ts";
import { createAutopayment } from "../autopayments/create-autopayment.ts";
import { listAutopayments } from "../autopayments/list-autopayments.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import type { Autopayment } from "../generated/prisma/client.ts";
import { defineGroup, ErrorBody, groupRouter, IntId, refusals, reply, RublesOut, TimeOut } from "./api-registry.ts";
import { accountNotFound, accountRefused, ArsenalpayAccountField, arsenalpayResponses, outOfLimits } from "./arsenalpay-routes.ts";
import { amountOrBadRequest, arsenalpayRublesField } from "./request-fields.ts";

const { 401: unauthorized, 403: forbidden } = refusals;

const DATE_FORMAT = /^\d{4}-\d{2}-\d{2}$/;

const AutopaymentJson = z.object({
  id: z.number().int(),
  account: z.string(),
  amount: RublesOut,
  periodDays: z.number().int(),
  until: z.string().nullable().meta({ description: "the last day a charge may come, YYYY-MM-DD; null: until cancelled" }),
  state: z.enum(["active", "cancelled", "expired"]),
  providerSubscriptionId: z.string().nullable().meta({ description: "ArsenalPay's id of the subscription, once reconciliation found it" }),
  createdAt: TimeOut,
  cancelledAt: TimeOut.nullable(),
  lastChargedAt: TimeOut.nullable(),
});

function autopaymentJson(autopayment: Autopayment, accountNumber: string): z.input<typeof AutopaymentJson> {
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

export const autopaymentsApi = defineGroup({
  base: "/api/autopayments",
  tag: "channels",
  routes: {
    create: {
      method: "post",
      path: "/",
      summary: "Record a monthly ArsenalPay autopayment for an account",
      description:
        "The personal account's \"Пополнять ежемесячно\". ArsenalPay's payment callbacks of that account and amount are linked to it (autopaymentId). " +
        "The answer carries the signed widget url (null without ARSENALPAY_WIDGET_KEY and ARSENALPAY_WIDGET_ID).",
      auth: "supervisor",
      body: z.object({
        account: ArsenalpayAccountField,
        amount: arsenalpayRublesField('amount is required, in rubles like "890.00"'),
        periodDays: z
          .number({ error: "periodDays is required, a whole number of days" })
          .int("periodDays is a whole number of days")
          .min(1, "periodDays is 1 to 366")
          .max(366, "periodDays is 1 to 366"),
        until: z
          .string()
          .regex(DATE_FORMAT, "until is a date like 2027-12-31")
          .refine((text) => !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text), "until is not a real date")
          .optional(),
      }),
      invalid: amountOrBadRequest,
      responses: {
        201: { description: "recorded", schema: AutopaymentJson.extend({ url: z.string().nullable().meta({ description: "the signed ArsenalPay widget link" }) }) },
        ...arsenalpayResponses,
        400: { description: "bad_request in the words of each problem (until in the past too), or bad_amount when the amount does not parse", schema: ErrorBody },
        401: unauthorized,
        403: forbidden,
        409: { description: "account_inactive, or autopayment_exists: an active autopayment of the same amount", schema: ErrorBody },
      },
    },
    list: {
      method: "get",
      path: "/",
      summary: "An account's autopayments (?account=), reconciled with ArsenalPay when configured",
      description:
        "Reconciled with ArsenalPay's REST API when ARSENALPAY_CLIENT_ID and ARSENALPAY_CLIENT_SECRET are set: reconciled false and a warning when it is down.",
      auth: "supervisor",
      query: z.object({ account: ArsenalpayAccountField }),
      invalid: () => ({ error: "bad_request", message: "account is 1 to 12 digits" }),
      responses: {
        200: {
          description: "the autopayments, oldest first",
          schema: z.object({ account: z.string(), reconciled: z.boolean(), warning: z.string().optional().meta({ description: "why ArsenalPay was not asked" }), autopayments: z.array(AutopaymentJson) }),
        },
        400: { description: "bad_request: the account is not 1 to 12 digits", schema: ErrorBody },
        401: unauthorized,
        403: forbidden,
        404: arsenalpayResponses[404],
      },
    },
    cancel: {
      method: "delete",
      path: "/:id",
      summary: "Cancel an autopayment, at ArsenalPay too",
      description:
        "Cancels at ArsenalPay, then locally. Without ARSENALPAY_CLIENT_ID and ARSENALPAY_CLIENT_SECRET only an autopayment ArsenalPay never reported is cancelled (locally).",
      auth: "supervisor",
      params: z.object({ id: IntId }),
      invalid: () => ({ error: "bad_request", message: "id is a positive whole number" }),
      responses: {
        200: { description: "cancelled", schema: AutopaymentJson },
        400: { description: "bad_request: the id is not a positive whole number", schema: ErrorBody },
        401: unauthorized,
        403: forbidden,
        404: { description: "autopayment_not_found", schema: ErrorBody },
        409: { description: "autopayment_not_active: cancelled or expired already", schema: ErrorBody },
        502: { description: "arsenalpay_refused or arsenalpay_unavailable: it stays active", schema: ErrorBody },
        503: { description: "not_configured: ArsenalPay knows the subscription and the REST API credentials are not set", schema: ErrorBody },
      },
    },
  },
});

/**
 * /api/autopayments: the personal account's "Пополнять ежемесячно" (PROTOCOLS.md §3); the use cases are in
 * src/autopayments. Bodies are read and checked by apiInput (api-input.ts).
 */
export function autopaymentsRoutes(config: Config, db: Db): Router {
  const { apiUrl, apiClientId, apiClientSecret, widgetId, widgetKey, minKopecks, maxKopecks } = config.arsenalpay;
  // One client for the hub's life: its access token is shared by every request.
  const api = apiClientId && apiClientSecret ? createArsenalpayApiClient({ baseUrl: apiUrl, clientId: apiClientId, clientSecret: apiClientSecret }) : undefined;
  const widget = widgetId && widgetKey ? { widgetId, widgetKey } : undefined;

  return groupRouter(autopaymentsApi, {
    create: async ({ body, req }) => {
      const result = await createAutopayment({ db, limits: { minKopecks, maxKopecks }, widget, log: req.log }, { account: body.account, amountKopecks: body.amount, periodDays: body.periodDays, until: body.until });
      if (result.ok) return reply(201, { ...autopaymentJson(result.autopayment, result.account), url: result.url });
      switch (result.refusal) {
        case "amountOutsideLimits":
          return outOfLimits(result);
        case "untilInPast":
          return reply(400, { error: "bad_request", message: "until is in the past" });
        case "autopaymentExists":
          return reply(409, { error: "autopayment_exists", message: `account ${body.account} already has active autopayment ${result.existingId} of ${formatRubles(body.amount)}` });
        default:
          return accountRefused(result, body.account);
      }
    },
    list: async ({ query, req }) => {
      const result = await listAutopayments({ db, api, log: req.log }, query.account);
      if (!result.ok) return accountNotFound(query.account);
      const { account, reconciled, warning } = result;
      return reply(200, { account, reconciled, ...(warning ? { warning } : {}), autopayments: result.autopayments.map((autopayment) => autopaymentJson(autopayment, account)) });
    },
    cancel: async ({ params, req }) => {
      const result = await cancelAutopayment({ db, api, log: req.log }, params.id);
      if (result.ok) return reply(200, autopaymentJson(result.autopayment, result.account));
      switch (result.refusal) {
        case "notFound":
          return reply(404, { error: "autopayment_not_found", message: `no autopayment ${params.id}` });
        case "notActive":
          return reply(409, { error: "autopayment_not_active", message: `autopayment ${params.id} is ${result.state}` });
        case "arsenalpayFailed":
          return reply(502, { error: result.kind === "refused" ? "arsenalpay_refused" : "arsenalpay_unavailable", message: result.message });
        case "notConfigured":
          return reply(503, { error: "not_configured", message: "set ARSENALPAY_CLIENT_ID and ARSENALPAY_CLIENT_SECRET to cancel the subscription at ArsenalPay" });
      }
    },
  });
}
