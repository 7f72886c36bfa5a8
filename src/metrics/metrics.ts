import type { Request, Response } from "express";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { secretsEqual } from "../../adapters/contract/index.ts";
import type { Db } from "../db.ts";
import type { QueueCounts } from "../queue/job-state.ts";
import { INCIDENT_KINDS } from "../payments/intake-incidents.ts";
import { queueHealth, type HubQueues } from "./queue-health.ts";

/** What intake reports once per provider request (src/payments/handle-command.ts, its single log point). */
export interface IntakeOutcomeEvent {
  channel: string;
  command: string;
  outcome: string;
  seconds: number;
}

const QUEUE_STATES = ["waiting", "active", "delayed", "failed"] as const satisfies readonly (keyof QueueCounts)[];

/**
 * The metrics of one hub, in a registry of its own (never prom-client's global one), so several hubs in one process
 * (the tests) each count their own. Counters are fed by the parts that see the events; the gauges of queue depth and
 * backlog are read from Redis and PostgreSQL when Prometheus scrapes.
 */
export class HubMetrics {
  readonly registry = new Registry();
  private readonly registers = [this.registry];
  private counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: this.registers });
  }
  private gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: this.registers });
  }

  readonly intakeRequests = this.counter(
    "payhub_intake_requests_total",
    "Provider requests handled by intake, by channel, command and outcome (accepted, duplicate, accountNotFound, temporaryFailure …)",
    ["channel", "command", "outcome"],
  );
  readonly intakeDuration = new Histogram({
    name: "payhub_intake_duration_seconds",
    help: "Time intake took to answer a provider request (a pay includes its commit), by channel and command",
    labelNames: ["channel", "command"] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: this.registers,
  });
  readonly creditLatency = new Histogram({
    name: "payhub_credit_latency_seconds",
    help: "From a payment's receipt (or its hand-over to the queue) to its credit, observed by the credit worker",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers: this.registers,
  });
  readonly jobsFailed = this.counter("payhub_jobs_failed_total", "Failed job attempts by queue (credit, billing); final=true when no retry follows", ["queue", "final"]);
  readonly sweeperResent = this.counter("payhub_sweeper_resent_total", "Accepted payments the sweeper re-sent to the credit queue (their job was lost or stuck)");
  readonly billingEnqueued = this.counter(
    "payhub_billing_relay_enqueued_total",
    "Billing notifications the relay handed to the billing queue (new ones, and ones whose job Redis lost)",
  );
  readonly billingSent = this.counter("payhub_billing_notifications_sent_total", "Billing notifications the billing system accepted (2xx)");
  readonly billingFailed = this.counter(
    "payhub_billing_notifications_failed_total",
    "Billing notifications given up on for an operator: retries exhausted, or refused (4xx)",
    ["reason"],
  );

  private readonly queueJobs = this.gauge("payhub_queue_jobs", "Jobs in a queue by state, read at scrape", ["queue", "state"]);
  private readonly outboxBacklog = this.gauge("payhub_outbox_backlog", "Accepted payments whose credit is not yet processed");
  private readonly billingUnsent = this.gauge("payhub_billing_unsent", "Billing notifications neither sent nor failed");
  private readonly billingOldestUnsent = this.gauge("payhub_billing_oldest_unsent_age_seconds", "Age of the oldest billing notification neither sent nor failed (0 when none)");
  private readonly billingFailedNow = this.gauge("payhub_billing_failed", "Billing notifications failed and waiting for an operator's replay");
  private readonly paymentsFailed = this.gauge("payhub_payments_failed", "Payments whose credit failed, waiting for an operator's retry");
  private readonly incidentsOpen = this.gauge(
    "payhub_intake_incidents_open",
    "Intake incidents waiting for an operator, by kind: money a provider said moved that payhub did not take as sent, conflicts, contradictions",
    ["kind"],
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "payhub_" });
  }

  /** Intake's hook: one call per provider request. */
  readonly onIntakeOutcome = (event: IntakeOutcomeEvent): void => {
    this.intakeRequests.inc({ channel: event.channel, command: event.command, outcome: event.outcome });
    this.intakeDuration.observe({ channel: event.channel, command: event.command }, event.seconds);
  };

  /** Reads the gauges' values (queue depth, backlog), then renders the registry in the text exposition format. */
  async render(db: Db, queues: HubQueues): Promise<string> {
    const health = await queueHealth(db, queues).catch(() => undefined);
    if (health) {
      for (const [queue, counts] of Object.entries(health.queues)) {
        for (const state of QUEUE_STATES) {
          if (counts) this.queueJobs.set({ queue, state }, counts[state]);
          else this.queueJobs.remove({ queue, state });
        }
      }
      this.outboxBacklog.set(health.outboxBacklog);
      this.billingUnsent.set(health.unsentNotifications);
      this.billingOldestUnsent.set(health.oldestUnsentNotificationAgeSeconds ?? 0);
      this.billingFailedNow.set(health.failedNotifications);
      this.paymentsFailed.set(health.failedPayments);
      // Every kind is exported, 0 when none is open, so an alert can say "above 0" without a missing series.
      for (const kind of new Set([...Object.values(INCIDENT_KINDS), ...Object.keys(health.openIncidents)])) this.incidentsOpen.set({ kind }, health.openIncidents[kind] ?? 0);
    }
    return this.registry.metrics();
  }
}

/** The hub's queues and metrics, for the routes that show or replay them (handed to createApp by src/hub.ts). */
export interface HubServices {
  db: Db;
  queues: HubQueues;
  metrics: HubMetrics;
  billingEnabled: boolean;
}

/**
 * GET /metrics: Prometheus text exposition of this hub's registry. With a token (METRICS_TOKEN) only a scrape that
 * sends `Authorization: Bearer <token>` (compared in constant time) is answered; any other gets 401.
 */
export const metricsRoute = (services: HubServices, token: string | undefined) => async (req: Request, res: Response): Promise<void> => {
  if (token !== undefined) {
    const sent = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (sent === undefined || !secretsEqual(sent, token)) {
      req.log?.warn({ ip: req.ip }, "GET /metrics refused: missing or wrong METRICS_TOKEN");
      res.status(401).set("WWW-Authenticate", 'Bearer realm="payhub metrics"').type("text/plain").send("send Authorization: Bearer <METRICS_TOKEN>\n");
      return;
    }
  }
  const text = await services.metrics.render(services.db, services.queues);
  res.type(services.metrics.registry.contentType).send(text);
};
