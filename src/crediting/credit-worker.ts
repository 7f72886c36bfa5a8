import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { SqlPool } from "../db.ts";
import type { Logger } from "../log.ts";
import { CREDIT_QUEUE, type CreditJobData } from "../queue/names.ts";
import { createCreditBatcher } from "./credit-batcher.ts";
import { MARK_FAILED_SQL } from "./credit-payment.ts";

export interface CreditWorkerOptions {
  prefix: string;
  concurrency: number;
  /** A payment credited (not a repeat): seconds since it was received, or since its job was added (the fast path). */
  onCredited?: (seconds: number) => void;
  /** Every failed attempt; final when no retry follows. */
  onAttemptFailed?: (final: boolean) => void;
  /** Group commit of credits (src/crediting/credit-batcher.ts): the most payments one statement credits, and how many statements run at once. */
  batch?: { maxBatch: number; maxInFlight: number };
}

/**
 * Consumes credit jobs. Every job may arrive more than once (retries, the sweeper, stalled-job recovery): the
 * crediting statement's compare-and-set makes each repeat a no-op. The jobs in progress credit their payments
 * together (group commit, src/crediting/credit-batcher.ts): one statement and one commit for all that are waiting. When BullMQ gives up
 * after the last attempt, the payment is marked `failed` with the reason, for an operator to see and retry.
 */
export function startCreditWorker(pool: SqlPool, connection: Redis, log: Logger, options: CreditWorkerOptions): Worker<CreditJobData> {
  const batcher = createCreditBatcher(pool, log, options.batch ?? { maxBatch: 64, maxInFlight: 2 });
  const worker = new Worker<CreditJobData>(
    CREDIT_QUEUE,
    async (job: Job<CreditJobData>) => {
      const paymentId = BigInt(job.data.paymentId);
      const result = await batcher.credit(paymentId);
      // The fast path adds the job right after the payment's commit, so its timestamp stands for the receipt.
      if (result === "credited") options.onCredited?.((Date.now() - (job.data.receivedAt ?? job.timestamp)) / 1000);
      log.info({ paymentId: job.data.paymentId, requestId: job.data.requestId, jobId: job.id, result }, `payment ${result}`);
      return result;
    },
    { connection, prefix: options.prefix, concurrency: options.concurrency, autorun: true },
  );

  worker.on("failed", (job, error) => {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    const final = job.attemptsMade >= attempts;
    options.onAttemptFailed?.(final);
    log.error({ err: error, paymentId: job.data.paymentId, requestId: job.data.requestId, attemptsMade: job.attemptsMade, final }, "crediting attempt failed");
    if (!final) return;
    pool.query(MARK_FAILED_SQL, [job.data.paymentId, error.message.slice(0, 500)]).catch((markError: unknown) => {
      log.error({ err: markError, paymentId: job.data.paymentId }, "could not mark payment failed; the sweeper will retry it");
    });
  });
  worker.on("error", (error) => log.error({ err: error }, "credit worker error"));
  return worker;
}
