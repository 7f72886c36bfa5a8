import type { Router } from "express";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import { listNotifications, replayFailedNotifications, replayNotification, type NotificationView } from "../billing/operations.ts";
import type { Db } from "../db.ts";
import type { HubServices } from "../metrics/metrics.ts";
import { queueHealth } from "../metrics/queue-health.ts";
import { actionContext } from "../staff/http-auth.ts";
import { BigId, defineGroup, groupRouter, IdOut, refusals, reply, RublesOut, TimeOut } from "./api-registry.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict } = refusals;

const NotificationJson = z.object({
  id: IdOut,
  kind: z.string().meta({ description: "the posting's kind: payment-credit, a reversal, storno, transfer, suspense assignment …" }),
  state: z.enum(["pending", "sent", "failed"]),
  postingId: IdOut,
  paymentId: IdOut.nullable(),
  createdAt: TimeOut,
  attempts: z.number().int(),
  lastAttemptAt: TimeOut.nullable(),
  lastError: z.string().nullable().meta({ description: "why the last attempt failed: HTTP status or transport problem, never a body" }),
  sentAt: TimeOut.nullable(),
  failedAt: TimeOut.nullable(),
});

const Counts = z.object({ waiting: z.number().int(), active: z.number().int(), delayed: z.number().int(), failed: z.number().int() }).nullable().meta({ description: "null when Redis did not answer" });

const QueuesJson = z.object({
  billingEnabled: z.boolean().meta({ description: "BILLING_WEBHOOK_URL is set (in this process's configuration)" }),
  queues: z.object({ credit: Counts, billing: Counts }),
  outboxBacklog: z.number().int().meta({ description: "accepted payments not yet credited" }),
  unsentNotifications: z.number().int(),
  oldestUnsentNotificationAgeSeconds: z.number().nullable(),
  failedNotifications: z.number().int(),
  failedPayments: z.number().int(),
  openIncidents: z.record(z.string(), z.number().int()).meta({ description: "intake incidents waiting for an operator, by kind (GET /api/incidents lists them)" }),
  openSuspense: z
    .object({ items: z.number().int(), amount: RublesOut })
    .meta({ description: "suspense items waiting to be assigned to an account (GET /api/suspense lists them) and the money they hold" }),
});

const ReplayJson = z.object({
  replayed: z.number().int(),
  queued: z.boolean().meta({ description: "handed to the queue now; false: the relay hands them over within BILLING_RELAY_INTERVAL_MS" }),
});

/** Billing notifications and queue health, for supervisors. */
export const operationsApi = defineGroup({
  base: "/api/operations",
  tag: "operations",
  routes: {
    listBilling: {
      method: "get",
      path: "/billing",
      summary: "Billing notifications in one state: pending and failed oldest first, sent newest first",
      auth: "supervisor",
      query: z.object({
        state: z.enum(["pending", "sent", "failed"]).default("failed"),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      responses: { 200: { description: "the notifications (at most limit)", schema: z.object({ notifications: z.array(NotificationJson) }) }, 400: badRequest, 401: unauthorized, 403: forbidden },
    },
    replayBilling: {
      method: "post",
      path: "/billing/:id/replay",
      summary: "Send a failed billing notification again (it becomes pending); audited",
      auth: "supervisor",
      params: z.object({ id: BigId }),
      responses: { 202: { description: "pending again and queued", schema: ReplayJson }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict },
    },
    replayFailedBilling: {
      method: "post",
      path: "/billing/replay-failed",
      summary: "Send every failed billing notification again (after a billing outage); audited",
      auth: "supervisor",
      responses: { 202: { description: "how many became pending", schema: ReplayJson }, 401: unauthorized, 403: forbidden },
    },
    queues: {
      method: "get",
      path: "/queues",
      summary: "Queue depth (credit, billing), the credit outbox backlog, unsent and failed notifications, failed payments",
      auth: "supervisor",
      responses: { 200: { description: "the figures, read now", schema: QueuesJson }, 401: unauthorized, 403: forbidden },
    },
  },
});

export function notificationJson(view: NotificationView): z.input<typeof NotificationJson> {
  return {
    ...view,
    id: view.id.toString(),
    postingId: view.postingId.toString(),
    paymentId: view.paymentId?.toString() ?? null,
    createdAt: view.createdAt.toISOString(),
    lastAttemptAt: view.lastAttemptAt?.toISOString() ?? null,
    sentAt: view.sentAt?.toISOString() ?? null,
    failedAt: view.failedAt?.toISOString() ?? null,
  };
}

export function operationsRoutes(db: Db, services: HubServices): Router {
  return groupRouter(operationsApi, {
    listBilling: async ({ query }) => reply(200, { notifications: (await listNotifications(db, query.state, query.limit)).map(notificationJson) }),
    replayBilling: async ({ params, req }) => {
      const result = await replayNotification(db, services.queues.billing, actionContext(req), params.id);
      if (result.replayed) return reply(202, { replayed: 1, queued: result.queued });
      if (result.reason === "not-found") return reply(404, { error: "not_found", message: `no billing notification ${params.id}` });
      return reply(409, { error: "not_failed", message: `billing notification ${params.id} has not failed (pending or sent): nothing to replay` });
    },
    replayFailedBilling: async ({ req }) => reply(202, await replayFailedNotifications(db, services.queues.billing, actionContext(req))),
    queues: async () => {
      const health = await queueHealth(db, services.queues);
      return reply(200, { billingEnabled: services.billingEnabled, ...health, openSuspense: { items: health.openSuspense.items, amount: formatRubles(health.openSuspense.kopecks) } });
    },
  });
}
