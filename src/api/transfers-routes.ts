import type { Router } from "express";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import type { IntakeDeps } from "../payments/accept-payment.ts";
import { StaffActionError } from "../staff/actor.ts";
import { actionContext } from "../staff/http-auth.ts";
import { contentDisposition, EVIDENCE_MAX_BYTES, EVIDENCE_MAX_FILES, EVIDENCE_TYPES } from "../transfers/evidence.ts";
import { findPayments, lookupFromFields, type PaymentFigures } from "../transfers/payments.ts";
import { approveTransfer, evidenceFile, fileTransfer, getTransfer, listTransfers, rejectTransfer, reverseTransfer, type TransferView } from "../transfers/transfers.ts";
import { BigId, BigIdText, defineGroup, groupRouter, IdOut, IntId, refusals, reply, RublesOut, TimeOut } from "./api-registry.ts";
import { AccountField, requiredAs, rublesField } from "./request-fields.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict } = refusals;

/**
 * POST /api/transfers carries the evidence as base64 in JSON (no multipart dependency): one 5 MB file is about
 * 6.7 MB of base64, so the body may be up to 8 MB: one full-size file or several smaller ones (the spec's bodyLimit,
 * read by apiInput). Every other route keeps the API's 16 kB.
 */
export const TRANSFER_BODY_LIMIT_BYTES = 8 * 1024 * 1024;
const BASE64_MAX_CHARS = Math.ceil(EVIDENCE_MAX_BYTES / 3) * 4;

const Note = z.string({ error: requiredAs("a string") }).trim().max(500);
const Words = (what: string) => Note.min(3, what);
const TransferIdParams = z.object({ id: IntId });
const Staff = z.object({ login: z.string(), fullName: z.string() });

const LookupFields = {
  paymentId: BigIdText.optional().meta({ description: "the hub's payment id" }),
  channel: z.string().optional().meta({ description: "with externalId: the channel, as osmp:qiwi or cashier", examples: ["osmp:qiwi"] }),
  externalId: z.string().optional().meta({ description: "with channel: the channel's id of the payment (the receipt's transaction number)" }),
  account: z.string().optional().meta({ description: "with date and amount: the account the payer paid into" }),
  date: z.string().optional().meta({ description: "with account and amount: the day of the payment, YYYY-MM-DD, Vladivostok time", examples: ["2026-11-24"] }),
  amount: z.string().optional().meta({ description: "with account and date: the sum as credited or as the payer paid, in rubles", examples: ["500.00"] }),
};
const lookupDescription = "Name the payment one way: paymentId; or channel and externalId; or account, date (YYYY-MM-DD, Vladivostok time) and amount.";

const PaymentJson = z.object({
  id: IdOut,
  channel: z.string(),
  externalId: z.string(),
  account: z.string().meta({ description: "the account as the channel sent it" }),
  creditedTo: z.string().nullable().meta({ description: "the account it was credited to (null: none, or in suspense)" }),
  amount: RublesOut,
  payerAmount: RublesOut.nullable(),
  status: z.string(),
  receivedAt: TimeOut,
  reversed: RublesOut.meta({ description: "given back by the provider or cancelled at the desk" }),
  transferred: RublesOut.meta({ description: "moved by approved transfers not reversed" }),
  pending: RublesOut.meta({ description: "asked by transfer requests waiting for a decision" }),
  left: RublesOut.meta({ description: "amount − reversed − transferred: what approvals may still move" }),
  requestable: RublesOut.meta({ description: "left − pending: the most a new request may ask" }),
});

const TransferJson = z.object({
  id: IdOut,
  status: z.enum(["pending", "approved", "rejected", "reversed"]),
  payment: z.object({ id: IdOut, channel: z.string(), externalId: z.string(), amount: RublesOut, receivedAt: TimeOut }),
  from: z.string().meta({ description: "the account the money was paid into by mistake" }),
  to: z.string().meta({ description: "the account it moves to" }),
  amount: RublesOut,
  reason: z.string(),
  maker: Staff,
  createdAt: TimeOut,
  checker: Staff.nullable(),
  decidedAt: TimeOut.nullable(),
  decisionNote: z.string().nullable(),
  allowNegative: z.boolean().meta({ description: "the checker let the from-account go below zero" }),
  postingId: IdOut.nullable(),
  reversal: z.object({ by: Staff, at: TimeOut, reason: z.string(), postingId: IdOut }).nullable(),
  evidence: z.array(
    z.object({
      id: IdOut,
      fileName: z.string(),
      contentType: z.enum(EVIDENCE_TYPES),
      size: z.number().int().meta({ description: "bytes" }),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      uploadedBy: Staff,
      createdAt: TimeOut,
      url: z.string().meta({ description: "where to download it" }),
    }),
  ),
});

const EvidenceItem = z.object({
  fileName: z.string({ error: requiredAs("a string") }).trim().min(1).max(255),
  contentType: z.string({ error: requiredAs("image/png, image/jpeg or application/pdf") }).meta({ description: "image/png, image/jpeg or application/pdf: checked against the file's first bytes" }),
  data: z.base64({ error: "must be the file's content in base64" }).max(BASE64_MAX_CHARS, `a file is at most ${EVIDENCE_MAX_BYTES} bytes (5 MB)`).meta({ description: "the file's content, base64 (RFC 4648, padded)" }),
});

function paymentJson(payment: PaymentFigures): z.input<typeof PaymentJson> {
  const requestable = payment.leftKopecks - payment.pendingKopecks;
  return {
    id: payment.id.toString(),
    channel: payment.channel,
    externalId: payment.externalId,
    account: payment.accountNumber,
    creditedTo: payment.creditedTo,
    amount: formatRubles(payment.amountKopecks),
    payerAmount: payment.payerAmountKopecks === null ? null : formatRubles(payment.payerAmountKopecks),
    status: payment.status,
    receivedAt: payment.receivedAt.toISOString(),
    reversed: formatRubles(payment.reversedKopecks),
    transferred: formatRubles(payment.transferredKopecks),
    pending: formatRubles(payment.pendingKopecks),
    left: formatRubles(payment.leftKopecks),
    requestable: formatRubles(requestable > 0n ? requestable : 0n),
  };
}

export function transferJson(transfer: TransferView): z.input<typeof TransferJson> {
  return {
    id: String(transfer.id),
    status: transfer.status,
    payment: {
      id: transfer.payment.id.toString(),
      channel: transfer.payment.channel,
      externalId: transfer.payment.externalId,
      amount: formatRubles(transfer.payment.amountKopecks),
      receivedAt: transfer.payment.receivedAt.toISOString(),
    },
    from: transfer.from,
    to: transfer.to,
    amount: formatRubles(transfer.amountKopecks),
    reason: transfer.reason,
    maker: transfer.maker,
    createdAt: transfer.createdAt.toISOString(),
    checker: transfer.checker,
    decidedAt: transfer.decidedAt?.toISOString() ?? null,
    decisionNote: transfer.decisionNote,
    allowNegative: transfer.allowNegative,
    postingId: transfer.postingId?.toString() ?? null,
    reversal: transfer.reversal && { ...transfer.reversal, at: transfer.reversal.at.toISOString(), postingId: transfer.reversal.postingId.toString() },
    evidence: transfer.evidence.map((file) => ({
      id: String(file.id),
      fileName: file.fileName,
      contentType: file.contentType as (typeof EVIDENCE_TYPES)[number],
      size: file.sizeBytes,
      sha256: file.sha256,
      uploadedBy: file.uploadedBy,
      createdAt: file.createdAt.toISOString(),
      url: `/api/transfers/${transfer.id}/evidence/${file.id}`,
    })),
  };
}

const decided = (description: string) => ({ 200: { description, schema: TransferJson }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict });

export const transfersApi = defineGroup({
  base: "/api/transfers",
  tag: "transfers",
  routes: {
    findPayment: {
      method: "get",
      path: "/find-payment",
      summary: "Find the payment a payer's receipt shows, with what is left of it to transfer",
      description: `${lookupDescription} Answers every match (several only by account, date and amount), oldest first.`,
      auth: "cashier",
      query: z.object(LookupFields),
      responses: { 200: { description: "the payments found (maybe none)", schema: z.object({ payments: z.array(PaymentJson) }) }, 400: badRequest, 401: unauthorized },
    },
    file: {
      method: "post",
      path: "/",
      summary: "File a mis-sent payment's transfer to the right account, with the payer's evidence",
      description: [
        "Any signed-in member of staff files; a supervisor or admin other than the maker decides. The automation token may not (403 staff_only).",
        "The payment must be credited to an account (the from-account); the to-account must exist, be active and differ from it.",
        "The amount is at most what is left of the payment (its amount − provider reversals and storno − approved transfers not reversed) less what open requests of it already ask (409 amount_exceeds_payment).",
        `Evidence: 1 to ${EVIDENCE_MAX_FILES} files, PNG, JPEG or PDF (checked by their first bytes, not only the declared type), at most 5 MB each, as base64 in JSON; the whole body is at most 8 MB (413 too_large).`,
      ].join(" "),
      auth: "cashier",
      bodyLimit: { bytes: TRANSFER_BODY_LIMIT_BYTES, longText: ["evidence.*.data"], tooLarge: "send one 5 MB file or several smaller ones per request" },
      body: z.object({
        payment: z.object(LookupFields, { error: requiredAs("an object naming the payment") }).meta({ description: lookupDescription }),
        to: AccountField.meta({ description: "the account the money should have gone to", examples: ["100081"] }),
        amount: rublesField().meta({ description: "rubles to move: all or part of the payment", examples: ["500.00"] }),
        reason: Words("say why the money moves: what the payer's receipt shows").meta({ description: "why, in words (at least 3 characters)" }),
        evidence: z.array(EvidenceItem, { error: requiredAs("a list of files") }).min(1, "attach the payer's receipt or a screenshot").max(EVIDENCE_MAX_FILES),
      }),
      responses: {
        201: { description: "filed, pending a decision", schema: TransferJson },
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        404: notFound,
        409: conflict,
        413: { description: "too_large: the body is over 8 MB", schema: refusals[400].schema },
      },
    },
    list: {
      method: "get",
      path: "/",
      summary: "Transfer requests, newest first (?status=pending is the supervisors' queue)",
      auth: "cashier",
      query: z.object({
        status: z.enum(["pending", "approved", "rejected", "reversed"]).optional(),
        account: z.string().regex(/^[0-9]{1,12}$/, "must be 1 to 12 digits").optional().meta({ description: "either side of the transfer" }),
        paymentId: BigId.optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      responses: { 200: { description: "the requests", schema: z.object({ transfers: z.array(TransferJson) }) }, 400: badRequest, 401: unauthorized },
    },
    get: {
      method: "get",
      path: "/:id",
      summary: "A transfer request with its payment, decision, reversal and evidence (metadata)",
      auth: "cashier",
      params: TransferIdParams,
      responses: { 200: { description: "the request", schema: TransferJson }, 400: badRequest, 401: unauthorized, 404: notFound },
    },
    evidence: {
      method: "get",
      path: "/:id/evidence/:evidenceId",
      summary: "One evidence file: its bytes, with its content type, as an attachment",
      description: "Answers the stored bytes with Content-Type (image/png, image/jpeg or application/pdf), Content-Disposition: attachment, X-Content-Type-Options: nosniff and an ETag of its SHA-256.",
      auth: "cashier",
      params: z.object({ id: IntId, evidenceId: IntId }),
      responses: { 200: { description: "the file (not JSON)" }, 400: badRequest, 401: unauthorized, 404: notFound },
    },
    approve: {
      method: "post",
      path: "/:id/approve",
      summary: "Approve a pending request: the money moves in one posting",
      description:
        "A supervisor or admin other than the maker (403 maker_cannot_decide), in person (403 staff_only). 409 already_decided when it was decided meanwhile; 409 amount_exceeds_payment when less is left of the payment now; 409 insufficient_balance (with the balance and the shortfall) when the from-account would go below zero and allowNegative is false. allowNegative is required, so the checker says it each time.",
      auth: "supervisor",
      params: TransferIdParams,
      body: z.object({
        allowNegative: z.boolean({ error: requiredAs("true or false") }).meta({ description: "let the from-account's balance go below zero (recorded on the request)" }),
        note: Note.optional(),
      }),
      responses: decided("approved: the transfer is posted"),
    },
    reject: {
      method: "post",
      path: "/:id/reject",
      summary: "Reject a pending request with a note: nothing moves",
      description: "A supervisor or admin other than the maker.",
      auth: "supervisor",
      params: TransferIdParams,
      body: z.object({ note: Words("say why the request is rejected") }),
      responses: decided("rejected"),
    },
    reverse: {
      method: "post",
      path: "/:id/reverse",
      summary: "Reverse an approved transfer as a unit: one compensating posting, the money goes back",
      description: "A supervisor or admin, in person, with a reason. 409 insufficient_balance when the to-account would go below zero and allowNegative is not true.",
      auth: "supervisor",
      params: TransferIdParams,
      body: z.object({
        reason: Words("say why the transfer is reversed"),
        allowNegative: z.boolean().optional().meta({ description: "let the to-account's balance go below zero" }),
      }),
      responses: decided("reversed"),
    },
  },
});

/** Mis-sent payment transfers (maker-checker): /api/transfers. The rules are the core's (src/transfers). */
export function transfersRoutes(_config: Config, db: Db, _intake: IntakeDeps): Router {
  const found = async (id: number) => {
    const transfer = await getTransfer(db, id);
    if (!transfer) throw new StaffActionError("transfer_not_found", `no transfer request ${id}`);
    return transferJson(transfer);
  };
  return groupRouter(
    transfersApi,
    {
      findPayment: async ({ query }) => reply(200, { payments: (await findPayments(db, lookupFromFields(query))).map(paymentJson) }),
      file: async ({ body, req }) => {
        const transfer = await fileTransfer(db, actionContext(req), {
          payment: lookupFromFields(body.payment),
          toAccountNumber: body.to,
          amountKopecks: body.amount,
          reason: body.reason,
          evidence: body.evidence.map((file) => ({ fileName: file.fileName, contentType: file.contentType, content: Buffer.from(file.data, "base64") })),
        });
        return reply(201, transferJson(transfer));
      },
      list: async ({ query }) => {
        const transfers = await listTransfers(db, { status: query.status, accountNumber: query.account, paymentId: query.paymentId, limit: query.limit });
        return reply(200, { transfers: transfers.map(transferJson) });
      },
      get: async ({ params }) => reply(200, await found(params.id)),
      evidence: async ({ params, req }) => {
        const file = await evidenceFile(db, params.id, params.evidenceId);
        if (!file) throw new StaffActionError("evidence_not_found", `transfer request ${params.id} has no evidence ${params.evidenceId}`);
        // The bytes are written here; the registry ends the answer (a 200 without a JSON body).
        req.res!.set({
          "Content-Type": file.contentType,
          "Content-Length": String(file.content.length),
          "Content-Disposition": contentDisposition(file.fileName),
          "X-Content-Type-Options": "nosniff",
          "Content-Security-Policy": "default-src 'none'; sandbox",
          "Cache-Control": "private, no-store",
          ETag: `"${file.sha256}"`,
        });
        req.res!.write(file.content);
        return reply(200, undefined);
      },
      approve: async ({ params, body, req }) => reply(200, transferJson(await approveTransfer(db, actionContext(req), { transferId: params.id, allowNegative: body.allowNegative, note: body.note }))),
      reject: async ({ params, body, req }) => reply(200, transferJson(await rejectTransfer(db, actionContext(req), { transferId: params.id, note: body.note }))),
      reverse: async ({ params, body, req }) => reply(200, transferJson(await reverseTransfer(db, actionContext(req), { transferId: params.id, reason: body.reason, allowNegative: body.allowNegative }))),
    },
  );
}
