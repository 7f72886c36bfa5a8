import { Queue } from "bullmq";
import type { Redis } from "ioredis";

/** States in which a job is still on its way to a worker: adding it again would only add a duplicate. */
export const STILL_QUEUED: ReadonlySet<string> = new Set(["waiting", "delayed", "prioritized", "waiting-children"]);

/** The job counts operators watch, per queue. */
export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export async function queueCounts(queue: Pick<Queue, "getJobCounts">): Promise<QueueCounts> {
  const counts = await queue.getJobCounts("waiting", "active", "delayed", "failed", "prioritized");
  return { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0, failed: counts.failed ?? 0 };
}

/** Options of a queue whose jobs retry with exponential backoff (credit, billing): the database holds the record. */
export interface RetryingQueueOptions {
  prefix: string;
  attempts: number;
  backoffMs: number;
  /** What BullMQ keeps of a job that failed for good: true removes it at once, an age (s) keeps it that long. */
  removeOnFail: true | { age: number };
}

export function createRetryingQueue<T>(name: string, connection: Redis, options: RetryingQueueOptions): Queue<T> {
  return new Queue<T>(name, {
    connection,
    prefix: options.prefix,
    defaultJobOptions: {
      attempts: options.attempts,
      backoff: { type: "exponential", delay: options.backoffMs },
      // A completed job is removed at once: the row in Postgres is the record, and a job id that outlived its row
      // (a database restored or reset under the same Redis) would make BullMQ ignore a new job with that id.
      removeOnComplete: true,
      removeOnFail: options.removeOnFail,
    },
  });
}
