import type { Job } from "bullmq";
import { replayNotification } from "../billing/operations.ts";
import type { Db, SqlPool } from "../db.ts";
import type { DispatchCredit } from "../payments/handle-command.ts";
import { retryPayment } from "../payments/retry-payment.ts";
import type { ActionContext } from "../staff/actor.ts";
import type { HubQueues } from "./queue-health.ts";

/**
 * The jobs BullMQ holds as failed in the credit and billing queues, for the console's queue view, and an operator's
 * retry of one. The database stays the record: a credit job is retried through the payment's own retry (failed →
 * accepted, audited, crediting is idempotent), a billing job through the notification's replay; then the job itself
 * goes back to waiting so the retry does not wait for the sweeper or the relay.
 */

export type JobQueueName = keyof HubQueues;

export interface FailedJobView {
  queue: JobQueueName;
  id: string;
  /** The payment a credit job credits; null for a billing job. */
  paymentId: string | null;
  /** The notification a billing job sends; null for a credit job. */
  notificationId: string | null;
  reason: string;
  attempts: number;
  failedAt: Date | null;
}

/** The latest failed jobs of each queue (at most `limit`), newest first; null where Redis did not answer. */
export async function listFailedJobs(queues: HubQueues, limit = 50): Promise<Record<JobQueueName, FailedJobView[] | null>> {
  const read = async (queue: JobQueueName): Promise<FailedJobView[] | null> => {
    try {
      const jobs = (await queues[queue].getFailed(0, limit - 1)) as Job[];
      return jobs.filter((job) => job?.id !== undefined).map((job) => viewOf(queue, job));
    } catch {
      return null;
    }
  };
  const [credit, billing] = await Promise.all([read("credit"), read("billing")]);
  return { credit, billing };
}

function viewOf(queue: JobQueueName, job: Job): FailedJobView {
  const data = (job.data ?? {}) as { paymentId?: unknown; notificationId?: unknown };
  return {
    queue,
    id: job.id!,
    paymentId: queue === "credit" && typeof data.paymentId === "string" ? data.paymentId : null,
    notificationId: queue === "billing" && typeof data.notificationId === "string" ? data.notificationId : null,
    reason: job.failedReason ?? "",
    attempts: job.attemptsMade,
    failedAt: job.finishedOn ? new Date(job.finishedOn) : null,
  };
}

/**
 * retried: the payment (notification) is waiting again and so is its job; not-failed: the job or its payment
 * (notification) is no longer failed (retried already, or credited since by the sweeper): nothing to do; not-found: no
 * such job, or it names nothing payhub knows.
 */
export type JobRetryResult = { result: "retried"; target: string } | { result: "not-failed" | "not-found"; target?: string };

export async function retryFailedJob(
  deps: { db: Db; queues: HubQueues; intake: { pool: SqlPool; db: Db; dispatchCredit: DispatchCredit } },
  context: ActionContext,
  queue: JobQueueName,
  jobId: string,
): Promise<JobRetryResult> {
  const job = (await deps.queues[queue].getJob(jobId)) as Job | undefined;
  if (!job) return { result: "not-found" };
  if ((await job.getState()) !== "failed") return { result: "not-failed" };
  const view = viewOf(queue, job);
  const id = view.paymentId ?? view.notificationId;
  if (id === null || !/^[1-9][0-9]{0,18}$/.test(id)) return { result: "not-found" };
  const target = queue === "credit" ? `payment:${id}` : `billing_notification:${id}`;
  const outcome =
    queue === "credit"
      ? await retryPayment(deps.intake, context, BigInt(id))
      : await replayNotification(deps.db, deps.queues.billing, context, BigInt(id)).then((replay) => (replay.replayed ? "retried" : replay.reason));
  if (outcome !== "retried") return { result: outcome, target };
  // The record is waiting again; the failed job follows at once (when it cannot, the sweeper or the relay sends a new one).
  await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true }).catch(() => undefined);
  return { result: "retried", target };
}
