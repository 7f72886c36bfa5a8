import type { Queue } from "bullmq";
import type { Db } from "../db.ts";
import { queueCounts, type QueueCounts } from "../queue/job-state.ts";
import type { BillingJobData, CreditJobData } from "../queue/names.ts";

/** The queues of a hub, for the operators' view and the gauges. */
export interface HubQueues {
  credit: Queue<CreditJobData>;
  billing: Queue<BillingJobData>;
}

/** How far behind the hub's background work is: what GET /api/operations/queues shows and /metrics exports. */
export interface QueueHealth {
  /** Job counts per queue; null when Redis did not answer. */
  queues: { credit: QueueCounts | null; billing: QueueCounts | null };
  /** Credit outbox rows not yet processed (payments accepted, not credited). */
  outboxBacklog: number;
  unsentNotifications: number;
  /** Age of the oldest notification neither sent nor failed, in seconds; null when there is none. */
  oldestUnsentNotificationAgeSeconds: number | null;
  failedNotifications: number;
  failedPayments: number;
  /** Intake incidents waiting for an operator, by kind (money a provider said moved that payhub did not take as sent). */
  openIncidents: Record<string, number>;
  /** Suspense items waiting to be assigned to an account: how many, and the money they hold. */
  openSuspense: { items: number; kopecks: bigint };
}

const orNull = <T>(promise: Promise<T>): Promise<T | null> => promise.catch(() => null);

export async function queueHealth(db: Db, queues: HubQueues): Promise<QueueHealth> {
  const [credit, billing, [figures]] = await Promise.all([
    orNull(queueCounts(queues.credit)),
    orNull(queueCounts(queues.billing)),
    db.$queryRaw<{ outbox: number; unsent: number; oldest: number | null; failed_notifications: number; failed_payments: number; incidents: Record<string, number>; suspense_items: number; suspense_kopecks: bigint }[]>`
      SELECT (SELECT count(*) FROM outbox WHERE topic = 'credit' AND processed_at IS NULL)::int AS outbox,
             (SELECT count(*) FROM billing_notification WHERE sent_at IS NULL AND failed_at IS NULL)::int AS unsent,
             (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM billing_notification
               WHERE sent_at IS NULL AND failed_at IS NULL) AS oldest,
             (SELECT count(*) FROM billing_notification WHERE failed_at IS NOT NULL AND sent_at IS NULL)::int AS failed_notifications,
             (SELECT count(*) FROM inbound_payment WHERE status = 'failed')::int AS failed_payments,
             (SELECT COALESCE(json_object_agg(kind, open), '{}'::json) FROM (
               SELECT kind, count(*)::int AS open FROM intake_incident WHERE resolved_at IS NULL GROUP BY kind) AS open_incidents) AS incidents,
             suspense.items AS suspense_items, suspense.kopecks AS suspense_kopecks
        FROM (SELECT count(*)::int AS items, COALESCE(sum(p.amount_kopecks), 0)::bigint AS kopecks
                FROM suspense_item s JOIN inbound_payment p ON p.id = s.payment_id WHERE s.status = 'open') AS suspense`,
  ]);
  return {
    queues: { credit, billing },
    outboxBacklog: figures!.outbox,
    unsentNotifications: figures!.unsent,
    oldestUnsentNotificationAgeSeconds: figures!.oldest === null ? null : Math.max(0, Math.round(figures!.oldest * 1000) / 1000),
    failedNotifications: figures!.failed_notifications,
    failedPayments: figures!.failed_payments,
    openIncidents: figures!.incidents,
    openSuspense: { items: figures!.suspense_items, kopecks: BigInt(figures!.suspense_kopecks) },
  };
}
