import type { Queue } from "bullmq";
import { runEvery, type IntervalRunner } from "../infra/interval-runner.ts";
import type { Redis } from "ioredis";
import type { Db } from "../db.ts";
import type { Logger } from "../log.ts";
import { createRetryingQueue, STILL_QUEUED, type RetryingQueueOptions } from "../queue/job-state.ts";
import { BILLING_JOB, BILLING_QUEUE, billingJobId, type BillingJobData } from "../queue/names.ts";

export type BillingQueueOptions = Omit<RetryingQueueOptions, "removeOnFail">;

export function createBillingQueue(connection: Redis, options: BillingQueueOptions): Queue<BillingJobData> {
  // The notification row is the record (attempts, last error, failed_at): a job that failed for good is removed at
  // once, so the canonical id is free again for an operator's replay or the relay's re-send.
  return createRetryingQueue<BillingJobData>(BILLING_QUEUE, connection, { ...options, removeOnFail: true });
}

/**
 * Hands one notification to the queue unless its job is already on its way (waiting, delayed) or being sent
 * (active: sending it twice at once could deliver it twice). A job that Redis lost is simply added again; one left
 * finished under the canonical id is removed first, since BullMQ ignores an add whose id it still holds.
 * Returns whether a job was added.
 */
export async function enqueueNotification(queue: Queue<BillingJobData>, notificationId: bigint): Promise<boolean> {
  const jobId = billingJobId(notificationId);
  const state = await queue.getJobState(jobId);
  if (STILL_QUEUED.has(state) || state === "active") return false;
  if (state !== "unknown") await queue.remove(jobId);
  await queue.add(BILLING_JOB, { notificationId: notificationId.toString() }, { jobId });
  return true;
}

export interface BillingRelayOptions {
  intervalMs: number;
  /** Rows looked at per round. */
  batchSize?: number;
  onEnqueued?: (count: number) => void;
}

/**
 * The outbox relay of billing notifications: the rows are written by the database with every posting, and this
 * hands the unsent, not-failed ones to BullMQ, oldest first. It walks every such row over successive rounds (a
 * cursor that wraps), so a thousand notifications delayed by a billing outage never hide the newer ones, and a job
 * lost with Redis's data is added again on the next pass. Returns the cursor for the next round.
 */
export async function relayOnce(db: Db, queue: Queue<BillingJobData>, log: Logger, after: bigint, options: BillingRelayOptions): Promise<bigint> {
  const batchSize = options.batchSize ?? 500;
  const rows = await db.billingNotification.findMany({
    where: { sentAt: null, failedAt: null, id: { gt: after } },
    orderBy: { id: "asc" },
    take: batchSize,
    select: { id: true },
  });
  const added = await Promise.all(rows.map((row) => enqueueNotification(queue, row.id)));
  const enqueued = added.filter(Boolean).length;
  if (enqueued > 0) {
    log.debug({ enqueued, found: rows.length }, "billing notifications handed to the queue");
    options.onEnqueued?.(enqueued);
  }
  return rows.length < batchSize ? 0n : rows[rows.length - 1]!.id;
}

/** Runs the relay every intervalMs until stopped; one round at a time. */
export function startBillingRelay(db: Db, queue: Queue<BillingJobData>, log: Logger, options: BillingRelayOptions): IntervalRunner {
  let cursor = 0n;
  return runEvery(
    options.intervalMs,
    async () => {
      cursor = await relayOnce(db, queue, log, cursor, options);
    },
    (error) => log.error({ err: error }, "billing relay round failed; will try again"),
    { immediately: true },
  );
}
