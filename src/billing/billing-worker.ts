import { UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { BillingConfig } from "../config.ts";
import type { Db } from "../db.ts";
import { createProviderHttp, transportFailure } from "../http/provider-retry.ts";
import type { Logger } from "../log.ts";
import { BILLING_QUEUE, type BillingJobData } from "../queue/names.ts";
import { billingSignature, loadNotification, NOTIFICATION_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./notification.ts";

export interface BillingWorkerOptions {
  prefix: string;
  concurrency?: number;
  webhook: NonNullable<BillingConfig["webhook"]>;
  timeoutMs: number;
  onSent?: () => void;
  /** A notification given up on: its retries ran out, or the billing system refused it. */
  onFailed?: (reason: "exhausted" | "refused") => void;
  /** Every failed attempt, final or not. */
  onAttemptFailed?: (final: boolean) => void;
}

/** A delivery that did not succeed and will be retried: already logged with its reason. */
class DeliveryError extends Error {}

/** What one delivery came to. Transient problems are retried with backoff; a refusal is final at once. */
type Delivery = { ok: true } | { ok: false; permanent: boolean; error: string };

/**
 * Which answers are worth repeating: no answer (timeout, connection refused or reset), 5xx, 408 Request Timeout and
 * 429 Too Many Requests. Every other non-2xx (400, 401, 403, 404, 422, a redirect …) says the request itself or the
 * configuration is wrong: sending the same bytes again cannot help, so the notification fails at once for an
 * operator, who replays it once the cause is fixed.
 */
export function classifyStatus(status: number): Delivery {
  if (status >= 200 && status < 300) return { ok: true };
  const transient = status >= 500 || status === 408 || status === 429;
  return { ok: false, permanent: !transient, error: `HTTP ${status} from the billing system` };
}

/** Records one attempt; the outcome's column (sent_at or failed_at) only while the row is still open. */
const RECORD_ATTEMPT_SQL = `
UPDATE billing_notification SET attempts = attempts + 1, last_attempt_at = now(), last_error = $2,
  sent_at = CASE WHEN $3::boolean THEN now() END,
  failed_at = CASE WHEN $4::boolean THEN now() END
WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL`;

/**
 * Delivers billing notifications: builds the body from the posting, signs it (notification.ts), POSTs it to
 * BILLING_WEBHOOK_URL and records the attempt on the row. A notification already sent or failed is skipped, so a
 * job added twice (the relay after a Redis flush, a replay) sends nothing twice; the billing system still gets the
 * notification id as its idempotency key for the one case the hub cannot rule out: an answer lost after the
 * billing system applied it.
 */
export function startBillingWorker(db: Db, connection: Redis, log: Logger, options: BillingWorkerOptions): Worker<BillingJobData> {
  const http = createProviderHttp(options.webhook.url, options.timeoutMs, { "content-type": "application/json", "user-agent": "payhub-billing" });

  const deliver = async (body: Buffer, notificationId: string): Promise<Delivery> => {
    const timestamp = Math.floor(Date.now() / 1000).toString();
    const headers = { [SIGNATURE_HEADER]: billingSignature(options.webhook.secret, timestamp, body), [TIMESTAMP_HEADER]: timestamp, [NOTIFICATION_ID_HEADER]: notificationId };
    try {
      const response = await http.post(options.webhook.url, body, { headers, responseType: "text" });
      return classifyStatus(response.status);
    } catch (error) {
      // Only the transport's code is kept: the axios error carries the request, headers (signature) and body.
      const failure = transportFailure(error, options.timeoutMs);
      if (!failure) throw error;
      return { ok: false, permanent: false, error: failure.what };
    }
  };

  const worker = new Worker<BillingJobData>(
    BILLING_QUEUE,
    async (job: Job<BillingJobData>) => {
      const id = BigInt(job.data.notificationId);
      const notification = await loadNotification(db, id);
      if (!notification) return "missing";
      if (notification.sentAt || notification.failedAt) return "already-done";
      const body = Buffer.from(JSON.stringify(notification.payload), "utf8");
      const started = Date.now();
      const delivery = await deliver(body, notification.payload.notificationId);
      const attempt = job.attemptsMade + 1;
      const final = !delivery.ok && (delivery.permanent || attempt >= (job.opts.attempts ?? 1));
      await db.$executeRawUnsafe(RECORD_ATTEMPT_SQL, id, delivery.ok ? null : delivery.error, delivery.ok, final);
      const context = {
        notificationId: notification.payload.notificationId,
        event: notification.payload.event,
        postingId: notification.payload.postingId,
        paymentId: notification.payload.paymentId ?? undefined,
        requestId: notification.requestId ?? undefined,
        attempt,
        ms: Date.now() - started,
      };
      if (delivery.ok) {
        log.info(context, "billing notification sent");
        options.onSent?.();
        return "sent";
      }
      options.onAttemptFailed?.(final);
      if (final) {
        const reason = delivery.permanent ? "refused" : "exhausted";
        options.onFailed?.(reason);
        log.error({ ...context, error: delivery.error, reason }, "billing notification failed: an operator can replay it (POST /api/operations/billing/:id/replay)");
        throw new UnrecoverableError(delivery.error);
      }
      log.warn({ ...context, error: delivery.error }, "billing notification not delivered; will retry");
      throw new DeliveryError(delivery.error);
    },
    // A worker that dies mid-send leaves its job "active", and the relay will not add an active job again: BullMQ's
    // stalled-job check gives it back once its lock lapses. The lock is renewed every half-period while a send runs,
    // so a short one is safe, and a crash delays those notifications by seconds rather than a minute. (A lock lost to
    // a long pause means one more delivery, which billing dedupes by notificationId.)
    { connection, prefix: options.prefix, concurrency: options.concurrency ?? 4, autorun: true, lockDuration: 10_000, stalledInterval: 5_000 },
  );
  worker.on("failed", (job, error) => {
    // Delivery problems are logged above; this is anything else (the database, a bug), retried by BullMQ.
    if (job && !(error instanceof DeliveryError) && !(error instanceof UnrecoverableError)) {
      log.error({ err: error, notificationId: job.data.notificationId, attemptsMade: job.attemptsMade }, "billing job failed");
    }
  });
  worker.on("error", (error) => log.error({ err: error }, "billing worker error"));
  return worker;
}
