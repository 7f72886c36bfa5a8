import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { ACCOUNT_NUMBER_FORMAT } from "../../adapters/contract/index.ts";
import { formatRubles } from "../../lib/money.ts";
import type { Db, SqlPool } from "../db.ts";
import type { InboundPayment } from "../generated/prisma/client.ts";
import type { DispatchCredit } from "../payments/accept-payment.ts";
import { retryPayment } from "../payments/retry-payment.ts";
import { actionContext } from "../staff/http-auth.ts";
import { BigId, issuesMessage } from "./api-registry.ts";

const ListQuery = z.object({
  status: z.enum(["accepted", "credited", "failed"]).optional(),
  account: z.string().regex(ACCOUNT_NUMBER_FORMAT).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** A payment as staff see it: money in rubles strings, ids as strings (JSON has no 64-bit integers). */
function paymentJson(payment: InboundPayment) {
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

/** A refusal as the registry's routes answer it: 400 bad_request, each issue with the field it is about. */
function badRequest(res: Response, error: z.ZodError, where: string) {
  res.status(400).json({ error: "bad_request", message: issuesMessage(error, where) });
}

/** GET /api/payments, GET /api/payments/:id, POST /api/payments/:id/retry. */
export function paymentsRoutes(db: Db, pool: SqlPool, dispatchCredit: DispatchCredit): Router {
  const router = express.Router();

  router.get("/", async (req: Request, res: Response) => {
    const query = ListQuery.safeParse(req.query);
    if (!query.success) return badRequest(res, query.error, "query");
    const payments = await db.inboundPayment.findMany({
      where: { status: query.data.status, accountNumber: query.data.account },
      orderBy: { id: "desc" },
      take: query.data.limit,
    });
    res.json({ payments: payments.map(paymentJson) });
  });

  router.get("/:id", async (req: Request, res: Response) => {
    const id = BigId.safeParse(req.params.id);
    if (!id.success) return badRequest(res, id.error, "path.id");
    const payment = await db.inboundPayment.findUnique({ where: { id: id.data }, include: { postings: { include: { entries: { include: { ledgerAccount: true } } } }, reversals: true } });
    if (!payment) return res.status(404).json({ error: "payment_not_found", message: `no payment ${id.data}` });
    res.json({
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
  });

  router.post("/:id/retry", async (req: Request, res: Response) => {
    const id = BigId.safeParse(req.params.id);
    if (!id.success) return badRequest(res, id.error, "path.id");
    const result = await retryPayment({ pool, db, dispatchCredit }, actionContext(req), id.data);
    if (result === "not-found") return res.status(404).json({ error: "payment_not_found", message: `no payment ${id.data}` });
    if (result === "not-failed") return res.status(409).json({ error: "payment_not_failed", message: `payment ${id.data} has not failed: only a failed payment can be retried` });
    req.log.info({ paymentId: id.data.toString() }, "operator retried a failed payment");
    res.status(202).json({ id: id.data.toString(), status: "accepted", message: "queued for crediting again" });
  });
  return router;
}
