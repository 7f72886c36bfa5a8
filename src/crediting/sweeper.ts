import type { Queue } from "bullmq";
import { runEvery, type IntervalRunner } from "../infra/interval-runner.ts";
import type { Db } from "../db.ts";
import type { Logger } from "../log.ts";
import { STILL_QUEUED } from "../queue/job-state.ts";
import { CREDIT_JOB, CREDIT_TOPIC, creditJobId, type CreditJobData } from "../queue/names.ts";

export interface SweeperOptions {
  intervalMs: number;
  /** How long a credit may stay unprocessed before the sweeper re-sends it. */
  afterMs: number;
  batchSize?: number;
  /** Per channel id: a pending payment not confirmed within this time is closed as expired (the catalogue's `pendingExpiry`, src/channels). Channels not listed are not expired here. */
  pendingTtlMsByChannel?: Record<string, number>;
  onResent?: (count: number) => void;
}

/**
 * Re-sends accepted payments whose credit stayed unprocessed: Redis may lose every key (a FLUSHALL, a failover
 * without persistence) and payhub still loses no payment, because the outbox in Postgres is the record of the work.
 * Returns how many payments it re-sent.
 */
export async function sweepOnce(db: Db, queue: Queue<CreditJobData>, log: Logger, options: SweeperOptions): Promise<number> {
  const rows = await db.$queryRaw<{ payment_id: bigint; request_id: string | null; received_at: Date }[]>`
    SELECT o.payment_id, p.request_id, p.received_at FROM outbox o JOIN inbound_payment p ON p.id = o.payment_id
    WHERE o.topic = ${CREDIT_TOPIC} AND o.processed_at IS NULL AND p.status = 'accepted'
      AND o.created_at < now() - make_interval(secs => ${options.afterMs / 1000})
    ORDER BY o.id LIMIT ${options.batchSize ?? 1000}`;
  let resent = 0;
  for (const { payment_id: paymentId, request_id: requestId, received_at: receivedAt } of rows) {
    const jobId = creditJobId(paymentId);
    const state = await queue.getJobState(jobId);
    if (STILL_QUEUED.has(state)) continue;
    // Unknown (Redis lost it): the canonical id. Completed, failed or stuck active: a fresh id, since BullMQ ignores
    // an add whose id it still holds.
    const freshId = state === "unknown" ? jobId : `${jobId}-sweep-${Date.now()}`;
    // The request id goes along, so the credit worker's line still names the provider's request.
    const data: CreditJobData = { paymentId: paymentId.toString(), receivedAt: receivedAt.getTime(), ...(requestId ? { requestId } : {}) };
    await queue.add(CREDIT_JOB, data, { jobId: freshId });
    resent += 1;
  }
  if (resent > 0) {
    log.warn({ resent, found: rows.length }, "sweeper re-sent uncredited payments");
    options.onResent?.(resent);
  }
  return resent;
}

/**
 * Closes pending payments that were never confirmed (an SMS the subscriber did not confirm): they never became money,
 * so closing them is a status change, not a posting. Returns how many it closed.
 */
export async function expirePendingPayments(db: Db, log: Logger, ttlMsByChannel: Record<string, number>): Promise<number> {
  let total = 0;
  for (const [channel, ttlMs] of Object.entries(ttlMsByChannel)) {
    const reason = `expired: no confirmation within ${Math.round(ttlMs / 1000)} s`;
    const closed = await db.$executeRaw`
      UPDATE inbound_payment SET status = 'closed', closed_at = now(), close_reason = ${reason}
      WHERE status = 'pending' AND channel = ${channel} AND received_at < now() - make_interval(secs => ${ttlMs / 1000})`;
    if (closed > 0) log.info({ closed, channel }, "pending payments expired");
    total += closed;
  }
  return total;
}

/** Runs the sweeper every intervalMs until stopped; one sweep at a time. */
export function startSweeper(db: Db, queue: Queue<CreditJobData>, log: Logger, options: SweeperOptions): IntervalRunner {
  return runEvery(
    options.intervalMs,
    async () => {
      await sweepOnce(db, queue, log, options);
      await expirePendingPayments(db, log, options.pendingTtlMsByChannel ?? {});
    },
    (error) => log.error({ err: error }, "sweep failed; will try again"),
  );
}
