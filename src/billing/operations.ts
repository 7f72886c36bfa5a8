import type { Queue } from "bullmq";
import type { Db } from "../db.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { BillingJobData } from "../queue/names.ts";
import type { ActionContext } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import { enqueueNotification } from "./billing-queue.ts";

/**
 * The operators' side of billing notifications (the API in src/api/operations-routes.ts, and the console pages):
 * list them by state, replay the failed ones. A replay makes a failed notification pending again; the queue gets it
 * at once when Redis answers, else the relay hands it over on its next round.
 */

export type NotificationState = "pending" | "sent" | "failed";

export interface NotificationView {
  id: bigint;
  kind: string;
  state: NotificationState;
  postingId: bigint;
  paymentId: bigint | null;
  createdAt: Date;
  attempts: number;
  lastAttemptAt: Date | null;
  lastError: string | null;
  sentAt: Date | null;
  failedAt: Date | null;
}

const WHERE_STATE: Record<NotificationState, Prisma.BillingNotificationWhereInput> = {
  pending: { sentAt: null, failedAt: null },
  sent: { sentAt: { not: null } },
  failed: { sentAt: null, failedAt: { not: null } },
};

const stateOf = (row: { sentAt: Date | null; failedAt: Date | null }): NotificationState => (row.sentAt ? "sent" : row.failedAt ? "failed" : "pending");

/** Notifications in one state: pending and failed oldest first (the order they wait in), sent newest first. */
export async function listNotifications(db: Db, state: NotificationState, limit = 100): Promise<NotificationView[]> {
  const rows = await db.billingNotification.findMany({
    where: WHERE_STATE[state],
    orderBy: { id: state === "sent" ? "desc" : "asc" },
    take: limit,
    include: { posting: { select: { paymentId: true } } },
  });
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    state: stateOf(row),
    postingId: row.postingId,
    paymentId: row.posting.paymentId,
    createdAt: row.createdAt,
    attempts: row.attempts,
    lastAttemptAt: row.lastAttemptAt,
    lastError: row.lastError,
    sentAt: row.sentAt,
    failedAt: row.failedAt,
  }));
}

export type ReplayResult = { replayed: true; queued: boolean } | { replayed: false; reason: "not-found" | "not-failed" };

/** Hands replayed notifications to the queue; false when Redis did not take them (the relay will). */
async function enqueueAll(queue: Queue<BillingJobData> | undefined, ids: bigint[]): Promise<boolean> {
  if (!queue) return false;
  try {
    await Promise.all(ids.map((id) => enqueueNotification(queue, id)));
    return true;
  } catch {
    return false;
  }
}

/** One failed notification back to pending, audited; refused when it is not (or no longer) failed. */
export async function replayNotification(db: Db, queue: Queue<BillingJobData> | undefined, context: ActionContext, id: bigint): Promise<ReplayResult> {
  const reopened = await db.$transaction(async (tx) => {
    const { count } = await tx.billingNotification.updateMany({ where: { id, ...WHERE_STATE.failed }, data: { failedAt: null } });
    if (count === 1) await audit(tx, context, { action: "billing.replay", target: `billing_notification:${id}` });
    return count === 1;
  });
  if (!reopened) {
    const exists = await db.billingNotification.count({ where: { id } });
    return { replayed: false, reason: exists === 0 ? "not-found" : "not-failed" };
  }
  return { replayed: true, queued: await enqueueAll(queue, [id]) };
}

/** Every failed notification back to pending, in one audited transaction. Returns how many. */
export async function replayFailedNotifications(db: Db, queue: Queue<BillingJobData> | undefined, context: ActionContext): Promise<{ replayed: number; queued: boolean }> {
  const ids = await db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: bigint }[]>`
      UPDATE billing_notification SET failed_at = NULL WHERE failed_at IS NOT NULL AND sent_at IS NULL RETURNING id`;
    if (rows.length > 0) await audit(tx, context, { action: "billing.replay-failed", detail: { count: rows.length, ids: rows.slice(0, 100).map((row) => row.id.toString()) } });
    return rows.map((row) => row.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  });
  return { replayed: ids.length, queued: ids.length === 0 || (await enqueueAll(queue, ids)) };
}
