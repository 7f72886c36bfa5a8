import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../log.ts";
import { createRetryingQueue } from "../queue/job-state.ts";
import { CREDIT_JOB, CREDIT_QUEUE, creditJobId, type CreditJobData } from "../queue/names.ts";
import type { DispatchCredit } from "../payments/accept-payment.ts";

export interface CreditQueueOptions {
  prefix: string;
  attempts: number;
  backoffMs: number;
}

export function createCreditQueue(connection: Redis, options: CreditQueueOptions): Queue<CreditJobData> {
  // Failed jobs stay a week for operators (the payment is marked failed too).
  return createRetryingQueue<CreditJobData>(CREDIT_QUEUE, connection, { ...options, removeOnFail: { age: 7 * 24 * 3600 } });
}

/**
 * The outbox relay's fast path: right after the commit, hand the payment to BullMQ. It never blocks or fails the
 * provider's answer; whatever Redis does not take, the sweeper re-sends from the outbox.
 */
export function createDispatcher(queue: Queue<CreditJobData>, log: Logger): DispatchCredit {
  return (paymentId, requestId) => {
    const data: CreditJobData = requestId ? { paymentId: paymentId.toString(), requestId } : { paymentId: paymentId.toString() };
    queue.add(CREDIT_JOB, data, { jobId: creditJobId(paymentId) }).catch((error: unknown) => {
      log.warn({ err: error, paymentId: paymentId.toString(), requestId }, "credit job not queued; the sweeper will re-send it");
    });
  };
}
