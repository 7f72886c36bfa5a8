import type { Request, Response } from "express";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { secretsEqual } from "../../adapters/contract/index.ts";
import { prismaTransactionClient, type Db } from "../db.ts";
import type { QueueCounts } from "../queue/job-state.ts";
import { INCIDENT_KINDS } from "../payments/intake-incidents.ts";
import { workingPeriod, type ChannelSilence } from "./channel-silence.ts";
import { queueHealth, type HubQueues } from "./queue-health.ts";
import { daysWithoutRegistry, type RegistryExpectation } from "../registries/registry-missing.ts";

/** What intake reports once per provider request (src/payments/handle-command.ts, its single log point). */
export interface IntakeOutcomeEvent {
  channel: string;
  command: string;
  outcome: string;
  seconds: number;
  /** The outcome repeats an earlier one (a provider's retry of an open or a confirm). */
  repeat?: boolean;
}

/** A payment reached payhub on the channel: a pay accepted, or a pending payment confirmed for the first time. */
const isNewPayment = (event: IntakeOutcomeEvent) => event.outcome === "accepted" || (event.outcome === "confirmed" && event.repeat !== true);

/** How long the registry_missing figures are reused between scrapes. */
const REGISTRY_READ_INTERVAL_MS = 60_000;

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

  private readonly suspenseOpen = this.gauge("payhub_suspense_open", "Suspense items waiting for an operator to assign them to an account");
  private readonly suspenseOpenKopecks = this.gauge("payhub_suspense_open_kopecks", "Money held by the open suspense items, in kopecks");

  private readonly channelLastPayment = this.gauge(
    "payhub_channel_last_payment_timestamp_seconds",
    "Unix time of the last payment this process took on the channel (a pay accepted, a pending payment confirmed); the process's start time until one comes. Take the max by channel across processes",
    ["channel"],
  );
  private readonly channelSilenceThreshold = this.gauge(
    "payhub_channel_silence_threshold_seconds",
    "How long the channel may send no payment during its working hours before PayhubChannelSilent fires (CHANNEL_SILENCE)",
    ["channel"],
  );
  private readonly channelWorkingHours = this.gauge(
    "payhub_channel_working_hours",
    "1 when the current Vladivostok time is inside the channel's working hours (CHANNEL_SILENCE), 0 otherwise",
    ["channel"],
  );
  private readonly channelWorkingPeriodStart = this.gauge(
    "payhub_channel_working_period_start_timestamp_seconds",
    "Unix time the channel's current working hours began (its next ones when outside them; 0 when it works all day): silence counts from it",
    ["channel"],
  );
  private readonly registryMissing = this.gauge(
    "payhub_registry_missing",
    "Days of the last 7 (Moscow) whose registry from the channel has not arrived by its hour (REGISTRY_DUE_HOUR, REGISTRY_DUE): registry_missing, read from PostgreSQL at most once a minute",
    ["channel"],
  );
  private registries: readonly RegistryExpectation[] = [];
  private registriesRead: { at: number; days: Promise<Map<string, string[]>> } | undefined;

  /** Unix time (seconds) of the last new payment per channel id, as intake reported them to this process. */
  private readonly lastPaymentAt = new Map<string, number>();
  private readonly silence: ChannelSilence;
  private readonly now: () => Date;
  private readonly startedAt: number;

  /**
   * `channelSilence`: the channels whose silence gauges /metrics exports (config.channelSilence). Until a channel's
   * first payment its last-payment time is this process's start, so a process that just started is not reported for
   * the time before it. `now`: the clock, for tests.
   */
  constructor(options: { channelSilence?: ChannelSilence; now?: () => Date } = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: "payhub_" });
    this.now = options.now ?? (() => new Date());
    this.startedAt = this.now().getTime() / 1000;
    this.silence = options.channelSilence ?? {};
    for (const [channel, rule] of Object.entries(this.silence)) this.channelSilenceThreshold.set({ channel }, rule.thresholdSeconds);
  }

  /**
   * Exports payhub_registry_missing for these channels (src/registries/registry-missing.ts: every file channel and
   * each API one the worker fetches, with their due hours), 0 for a channel whose registries are all in.
   */
  watchRegistries(expectations: readonly RegistryExpectation[]): void {
    this.registryMissing.reset();
    this.registries = expectations;
    this.registriesRead = undefined;
  }

  /** The days without a registry, read again at most once a minute: they change by the day, a scrape comes every few seconds. */
  private async renderRegistries(db: Db): Promise<void> {
    if (this.registries.length === 0) return;
    const now = this.now();
    if (!this.registriesRead || now.getTime() - this.registriesRead.at >= REGISTRY_READ_INTERVAL_MS) {
      this.registriesRead = { at: now.getTime(), days: daysWithoutRegistry(prismaTransactionClient(db), this.registries, now) };
    }
    const read = this.registriesRead;
    const days = await read.days.catch(() => {
      // A failed read is not kept: the next scrape asks again.
      if (this.registriesRead === read) this.registriesRead = undefined;
      return undefined;
    });
    if (!days) return;
    for (const { channel } of this.registries) this.registryMissing.set({ channel }, days.get(channel)?.length ?? 0);
  }

  /** Intake's hook: one call per provider request. */
  readonly onIntakeOutcome = (event: IntakeOutcomeEvent): void => {
    this.intakeRequests.inc({ channel: event.channel, command: event.command, outcome: event.outcome });
    this.intakeDuration.observe({ channel: event.channel, command: event.command }, event.seconds);
    if (isNewPayment(event)) this.lastPaymentAt.set(event.channel, this.now().getTime() / 1000);
  };

  /** The silence gauges as of now: the last payments, and whether each channel is inside its working hours. */
  private renderSilence(): void {
    const now = this.now();
    for (const [channel, rule] of Object.entries(this.silence)) {
      this.channelLastPayment.set({ channel }, this.lastPaymentAt.get(channel) ?? this.startedAt);
      const period = workingPeriod(rule.hours, now);
      this.channelWorkingHours.set({ channel }, period.inside ? 1 : 0);
      this.channelWorkingPeriodStart.set({ channel }, period.startSeconds);
    }
  }

  /** Reads the gauges' values (queue depth, backlog), then renders the registry in the text exposition format. */
  async render(db: Db, queues: HubQueues): Promise<string> {
    this.renderSilence();
    const [health] = await Promise.all([queueHealth(db, queues).catch(() => undefined), this.renderRegistries(db)]);
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
      this.suspenseOpen.set(health.openSuspense.items);
      this.suspenseOpenKopecks.set(Number(health.openSuspense.kopecks));
    }
    return this.registry.metrics();
  }
}

/** The hub's queues and metrics, for the routes that show or replay them (handed to createRequestListener by src/hub.ts). */
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
