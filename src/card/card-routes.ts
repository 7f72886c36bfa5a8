import type { Router } from "express";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import { defineGroup, ErrorBody, groupRouter, refusals, reply, unavailableRouter } from "../api/api-registry.ts";
import { AccountField, fieldsRefusal, RublesField } from "../api/request-fields.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import type { IntakeDeps } from "../payments/accept-payment.ts";
import { cardAcquirerClientOf, cardChannelProfile } from "../channels/card.ts";
import { registerCardOrder } from "./register-order.ts";

const { 401: unauthorized, 403: forbidden } = refusals;

export const cardApi = defineGroup({
  base: "/api/card",
  tag: "channels",
  routes: {
    registerOrder: {
      method: "post",
      path: "/orders",
      summary: "Register a card order at the acquirer; the payment is pending until its deposited callback",
      description: "Send the payer to formUrl. The order is recorded as a pending payment; nothing is money until the acquirer's signed deposited callback, or the status poller, confirms it.",
      auth: "supervisor",
      body: z.object({ account: AccountField, amount: RublesField }),
      invalid: fieldsRefusal("invalid_order"),
      responses: {
        201: {
          description: "registered",
          schema: z.object({
            orderNumber: z.string().meta({ description: "payhub's number of the order (card-<24 hex>)" }),
            formUrl: z.string().meta({ description: "the acquirer's payment page" }),
          }),
        },
        400: { description: "invalid_order naming each field", schema: ErrorBody },
        401: unauthorized,
        403: forbidden,
        404: { description: "account_not_found", schema: ErrorBody },
        409: { description: "account_inactive: orders are registered only for active accounts", schema: ErrorBody },
        422: { description: "amount_outside_limits: outside CARD_MIN_SUM to CARD_MAX_SUM", schema: ErrorBody },
        502: { description: "acquirer_refused (its errorCode and errorMessage) or acquirer_unavailable", schema: ErrorBody },
        503: {
          description: "card_not_configured until CARD_API_USERNAME, CARD_API_PASSWORD, CARD_RETURN_URL and CARD_CHECKSUM_KEY are set; temporarily_unavailable when the order could not be recorded",
          schema: ErrorBody,
        },
      },
    },
  },
});

/** POST /api/card/orders: registers a card order at the acquirer and records it as a pending payment (register-order.ts). */
export function cardRoutes(config: Config, db: Db, intake: IntakeDeps): Router {
  const settings = config.card;
  const client = cardAcquirerClientOf(settings);
  const profile = cardChannelProfile(settings);
  const { returnUrl } = settings;
  // The checksum key too: an order whose callbacks the hub would refuse is not registered.
  if (!client || !returnUrl || settings.checksumKeys.length === 0) {
    return unavailableRouter(cardApi, {
      registerOrder: reply(503, {
        error: "card_not_configured",
        message: "card acquiring is not configured: set CARD_API_USERNAME, CARD_API_PASSWORD, CARD_RETURN_URL and CARD_CHECKSUM_KEY",
      }),
    });
  }

  return groupRouter(cardApi, {
    registerOrder: async ({ body, req }) => {
      const { account, amount } = body;
      const result = await registerCardOrder({ db, intake, client, profile, returnUrl, log: req.log }, { account, amountKopecks: amount });
      if (result.ok) return reply(201, { orderNumber: result.orderNumber, formUrl: result.formUrl });
      switch (result.refusal) {
        case "accountNotFound":
          return reply(404, { error: "account_not_found", message: `no account ${account}` });
        case "accountInactive":
          return reply(409, { error: "account_inactive", message: `account ${account} is ${result.status}: orders are registered only for active accounts` });
        case "amountOutsideLimits":
          return reply(422, {
            error: "amount_outside_limits",
            message: `amount ${formatRubles(amount)} is outside the card limits ${formatRubles(result.minKopecks)}–${formatRubles(result.maxKopecks)}`,
          });
        case "acquirerFailed":
          return reply(502, { error: result.kind === "refused" ? "acquirer_refused" : "acquirer_unavailable", message: result.message });
        case "notRecorded":
          return reply(503, { error: "temporarily_unavailable", message: "the order could not be recorded; try again" });
      }
    },
  });
}
