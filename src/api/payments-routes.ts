import type { Router } from "express";
import { z } from "zod";
import { ACCOUNT_NUMBER_FORMAT } from "../../adapters/contract/index.ts";
import { formatRubles } from "../../lib/money.ts";
import type { Db, SqlPool } from "../db.ts";
import type { InboundPayment } from "../generated/prisma/client.ts";
import type { DispatchCredit } from "../payments/accept-payment.ts";
import { retryPayment } from "../payments/retry-payment.ts";
import { actionContext } from "../staff/http-auth.ts";
import { BigId, defineGroup, ErrorBody, groupRouter, IdOut, refusals, reply, RublesOut, TimeOut } from "./api-registry.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden } = refusals;

const PaymentJson = z.object({
  id: IdOut,
  channel: z.string().meta({ description: "the id namespace, <protocol>:<profile> (osmp:qiwi, card:card…)" }),
  profile: z.string(),
  externalId: z.string().meta({ description: "the provider's id of the payment" }),
  account: z.string().meta({ description: "the account as the channel sent it" }),
  amount: RublesOut,
  commission: RublesOut,
  payerAmount: RublesOut.nullable().meta({ description: "what the payer paid, where the channel says" }),
  status: z.enum(["pending", "accepted", "credited", "failed", "closed"]),
  providerTime: z.string().nullable().meta({ description: "the provider's own timestamp, as received" }),
  receivedAt: TimeOut,
  creditedAt: TimeOut.nullable(),
  failedAt: TimeOut.nullable(),
  failureReason: z.string().nullable(),
  requestId: z.string().nullable(),
});

const PaymentStoryJson = PaymentJson.extend({
  request: z.unknown().meta({ description: "the provider's request as received, secrets removed" }),
  response: z.string().nullable().meta({ description: "the answer given to the provider" }),
  reversals: z.array(z.object({ reason: z.string(), key: z.string(), amount: RublesOut, postingId: IdOut, at: TimeOut })),
  postings: z.array(
    z.object({
      id: IdOut,
      kind: z.string(),
      memo: z.string().nullable(),
      at: TimeOut,
      entries: z.array(z.object({ ledgerAccount: z.string().meta({ description: "the ledger account's code" }), amount: RublesOut })),
    }),
  ),
});

/** A payment as staff see it: money in rubles strings, ids as strings (JSON has no 64-bit integers). */
function paymentJson(payment: InboundPayment): z.input<typeof PaymentJson> {
  return {
    id: payment.id.toString(),
    channel: payment.channel,
    profile: payment.profile,
    externalId: payment.externalId,
    account: payment.accountNumber,
    amount: formatRubles(payment.amountKopecks),
    commission: formatRubles(payment.commissionKopecks),
    payerAmount: payment.payerAmountKopecks === null ? null : formatRubles(payment.payerAmountKopecks),
    status: payment.status,
    providerTime: payment.providerTime,
    receivedAt: payment.receivedAt.toISOString(),
    creditedAt: payment.creditedAt?.toISOString() ?? null,
    failedAt: payment.failedAt?.toISOString() ?? null,
    failureReason: payment.failureReason,
    requestId: payment.requestId,
  };
}

const PaymentParams = z.object({ id: BigId });
const notFound = { description: "payment_not_found", schema: ErrorBody };

export const paymentsApi = defineGroup({
  base: "/api/payments",
  tag: "payments",
  routes: {
    list: {
      method: "get",
      path: "/",
      summary: "Payments, newest first",
      auth: "supervisor",
      query: z.object({
        status: z.enum(["accepted", "credited", "failed"]).optional(),
        account: z.string().regex(ACCOUNT_NUMBER_FORMAT).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
      }),
      responses: { 200: { description: "the payments", schema: z.object({ payments: z.array(PaymentJson) }) }, 400: badRequest, 401: unauthorized, 403: forbidden },
    },
    get: {
      method: "get",
      path: "/:id",
      summary: "A payment with its request, answer, reversals and ledger postings",
      auth: "supervisor",
      params: PaymentParams,
      responses: { 200: { description: "the payment", schema: PaymentStoryJson }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound },
    },
    retry: {
      method: "post",
      path: "/:id/retry",
      summary: "Queue a failed payment for crediting again (202)",
      description: "An operator's retry of a payment whose crediting failed permanently (after CREDIT_ATTEMPTS attempts); audited.",
      auth: "supervisor",
      params: PaymentParams,
      responses: {
        202: { description: "queued for crediting again", schema: z.object({ id: IdOut, status: z.literal("accepted"), message: z.string() }) },
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        404: notFound,
        409: { description: "payment_not_failed: only a failed payment can be retried", schema: ErrorBody },
      },
    },
  },
});

/** GET /api/payments, GET /api/payments/:id, POST /api/payments/:id/retry. */
export function paymentsRoutes(db: Db, pool: SqlPool, dispatchCredit: DispatchCredit): Router {
  const paymentNotFound = (id: bigint) => reply(404, { error: "payment_not_found", message: `no payment ${id}` });
  return groupRouter(paymentsApi, {
    list: async ({ query }) => {
      const payments = await db.inboundPayment.findMany({ where: { status: query.status, accountNumber: query.account }, orderBy: { id: "desc" }, take: query.limit });
      return reply(200, { payments: payments.map(paymentJson) });
    },
    get: async ({ params }) => {
      const payment = await db.inboundPayment.findUnique({
        where: { id: params.id },
        include: { postings: { include: { entries: { include: { ledgerAccount: true } } } }, reversals: true },
      });
      if (!payment) return paymentNotFound(params.id);
      return reply(200, {
        ...paymentJson(payment),
        request: payment.request,
        response: payment.response,
        reversals: payment.reversals.map((reversal) => ({
          reason: reversal.reason,
          key: reversal.reversalKey,
          amount: formatRubles(reversal.amountKopecks),
          postingId: reversal.postingId.toString(),
          at: reversal.createdAt.toISOString(),
        })),
        postings: payment.postings.map((posting) => ({
          id: posting.id.toString(),
          kind: posting.kind,
          memo: posting.memo,
          at: posting.createdAt.toISOString(),
          entries: posting.entries.map((entry) => ({ ledgerAccount: entry.ledgerAccount.code, amount: formatRubles(entry.amountKopecks) })),
        })),
      });
    },
    retry: async ({ params, req }) => {
      const result = await retryPayment({ pool, db, dispatchCredit }, actionContext(req), params.id);
      if (result === "not-found") return paymentNotFound(params.id);
      if (result === "not-failed") return reply(409, { error: "payment_not_failed", message: `payment ${params.id} has not failed: only a failed payment can be retried` });
      req.log.info({ paymentId: params.id.toString() }, "operator retried a failed payment");
      return reply(202, { id: params.id.toString(), status: "accepted" as const, message: "queued for crediting again" });
    },
  });
}
