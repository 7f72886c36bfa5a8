import type { Router } from "express";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import { StaffActionError } from "../staff/actor.ts";
import { issueWebmoneyInvoice } from "../webmoney/issue-invoice.ts";
import { defineGroup, ErrorBody, groupRouter, refusals, reply, RublesOut } from "./api-registry.ts";
import { AccountField, RublesField } from "./request-fields.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict } = refusals;

const InvoiceJson = z.object({
  paymentNo: z.string().regex(/^[0-9]+$/).meta({ description: "LMI_PAYMENT_NO: payhub's number of this invoice" }),
  account: z.string(),
  amount: RublesOut,
  purse: z.string().meta({ description: "the payee purse (the first of WEBMONEY_PURSES)" }),
  form: z
    .object({
      action: z.string().meta({ description: "WebMoney's payment page" }),
      method: z.literal("POST"),
      acceptCharset: z.literal("utf-8"),
      fields: z.record(z.string(), z.string()).meta({ description: "hidden fields: LMI_PAYEE_PURSE, LMI_PAYMENT_AMOUNT, LMI_PAYMENT_NO, LMI_PAYMENT_DESC_BASE64, ACCOUNT" }),
    })
    .meta({ description: "the form the site renders for the payer's browser to submit" }),
});

export const webmoneyApi = defineGroup({
  base: "/api/webmoney",
  tag: "webmoney",
  routes: {
    issueInvoice: {
      method: "post",
      path: "/invoices",
      summary: "Issue a WebMoney invoice: payhub numbers the payment (LMI_PAYMENT_NO) and records its account and amount",
      description:
        "The site renders the answer's form for the payer. WebMoney's unsigned pre-request is approved only for this invoice's own account and amount, " +
        "and its signed payment notification is credited to this account. Issuing moves no money.",
      auth: "supervisor",
      body: z.object({ account: AccountField, amount: RublesField }),
      responses: {
        201: { description: "the invoice and its payment form", schema: InvoiceJson },
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        404: notFound,
        409: conflict,
        422: { description: "the amount is outside WEBMONEY_MIN_SUM to WEBMONEY_MAX_SUM", schema: ErrorBody },
        503: { description: "WEBMONEY_PURSES and WEBMONEY_SECRET_KEY are not set", schema: ErrorBody },
      },
    },
  },
});

export function webmoneyRoutes(config: Config, db: Db): Router {
  return groupRouter(webmoneyApi, {
    issueInvoice: async ({ body, req }) => {
      const result = await issueWebmoneyInvoice(db, config.webmoney, { account: body.account, amountKopecks: body.amount });
      if (!result.ok) {
        switch (result.refusal) {
          case "notConfigured":
            return reply(503, { error: "not_configured", message: "set WEBMONEY_PURSES and WEBMONEY_SECRET_KEY to take WebMoney payments" });
          case "accountNotFound":
            throw new StaffActionError("account_not_found", `no account ${body.account}`);
          case "accountInactive":
            throw new StaffActionError("account_inactive", `account ${body.account} is ${result.status}`);
          case "amountOutsideLimits":
            return reply(422, { error: "amount_out_of_limits", message: `amount must be from ${formatRubles(result.minKopecks)} to ${formatRubles(result.maxKopecks)}` });
        }
      }
      const { invoice } = result;
      req.log.info({ account: invoice.account, paymentNo: invoice.paymentNo, amount: formatRubles(invoice.amountKopecks) }, "WebMoney invoice issued");
      return reply(201, { paymentNo: invoice.paymentNo, account: invoice.account, amount: formatRubles(invoice.amountKopecks), purse: invoice.purse, form: invoice.form });
    },
  });
}
