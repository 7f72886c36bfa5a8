import type { Router } from "express";
import { z } from "zod";
import { ACCOUNT_NUMBER_FORMAT } from "../../adapters/contract/index.ts";
import { formatRubles } from "../../lib/money.ts";
import { createPaymentLink } from "../autopayments/create-payment-link.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import { defineGroup, ErrorBody, groupRouter, refusals, reply, RublesOut, unavailableRouter } from "./api-registry.ts";
import { amountOrBadRequest, arsenalpayRublesField } from "./request-fields.ts";

const { 401: unauthorized, 403: forbidden } = refusals;

/** The answers the ArsenalPay routes share (autopayments-routes.ts too). */
export const arsenalpayResponses = {
  400: { description: "bad_request in the words of each problem, or bad_amount when the amount does not parse", schema: ErrorBody },
  404: { description: "account_not_found", schema: ErrorBody },
  409: { description: "account_inactive: the account is blocked or closed", schema: ErrorBody },
  422: { description: "amount_out_of_limits: outside ARSENALPAY_MIN_SUM to ARSENALPAY_MAX_SUM", schema: ErrorBody },
} as const;

/** An account number in an ArsenalPay route's body. */
export const ArsenalpayAccountField = z.string().regex(ACCOUNT_NUMBER_FORMAT, "account is 1 to 12 digits");

/** The 422 of an amount outside the channel's limits. */
export const outOfLimits = (refusal: { minKopecks: bigint; maxKopecks: bigint }) =>
  reply(422, { error: "amount_out_of_limits", message: `amount must be from ${formatRubles(refusal.minKopecks)} to ${formatRubles(refusal.maxKopecks)}` });
export const accountNotFound = (number: string) => reply(404, { error: "account_not_found", message: `no account ${number}` });
/** The 404 or 409 of an account that cannot be topped up. */
export const accountRefused = (refusal: { refusal: "accountNotFound" } | { refusal: "accountInactive"; status: string }, number: string) =>
  refusal.refusal === "accountNotFound" ? accountNotFound(number) : reply(409, { error: "account_inactive", message: `account ${number} is ${refusal.status}` });

export const arsenalpayApi = defineGroup({
  base: "/api/arsenalpay",
  tag: "channels",
  routes: {
    createLink: {
      method: "post",
      path: "/links",
      summary: "A signed ArsenalPay widget link for a one-off top-up",
      description: "The personal account's \"Пополнить разово\". The link moves nothing; the money is recorded when ArsenalPay's payment callback arrives.",
      auth: "supervisor",
      body: z.object({ account: ArsenalpayAccountField, amount: arsenalpayRublesField('amount is required, in rubles like "500.00"') }),
      invalid: amountOrBadRequest,
      responses: {
        201: { description: "the link", schema: z.object({ url: z.string().meta({ description: "ArsenalPay's widget page, signed (widgetSign)" }), account: z.string(), amount: RublesOut }) },
        ...arsenalpayResponses,
        401: unauthorized,
        403: forbidden,
        503: { description: "not_configured: ARSENALPAY_WIDGET_KEY and ARSENALPAY_WIDGET_ID are not set", schema: ErrorBody },
      },
    },
  },
});

/**
 * POST /api/arsenalpay/links: the personal account's "Пополнить разово" button (create-payment-link.ts). The body is
 * read and checked by apiInput (api-input.ts).
 */
export function arsenalpayRoutes(config: Config, db: Db): Router {
  const { widgetKey, widgetId, minKopecks, maxKopecks } = config.arsenalpay;
  if (!widgetKey || !widgetId) {
    return unavailableRouter(arsenalpayApi, {
      createLink: reply(503, { error: "not_configured", message: "set ARSENALPAY_WIDGET_KEY and ARSENALPAY_WIDGET_ID to build payment links" }),
    });
  }
  return groupRouter(arsenalpayApi, {
    createLink: async ({ body, req }) => {
      const result = await createPaymentLink({ db, widget: { widgetId, widgetKey }, limits: { minKopecks, maxKopecks } }, { account: body.account, amountKopecks: body.amount });
      if (!result.ok) return result.refusal === "amountOutsideLimits" ? outOfLimits(result) : accountRefused(result, body.account);
      req.log.info({ account: result.account, amount: result.amount }, "ArsenalPay payment link built");
      return reply(201, { url: result.url, account: result.account, amount: result.amount });
    },
  });
}
