import type { AddressInfo } from "node:net";
import http, { type RequestListener, type Server } from "node:http";
import type { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { loadDemoAccountsIfEmpty } from "./accounts/demo-accounts.ts";
import { ensureOffices } from "./cashier/offices.ts";
import { DEMO_STAFF, loadDemoStaffIfEmpty } from "./staff/demo-staff.ts";
import { channelSettings, clearingChannelIds, pendingTtlsByChannel, profilesWithoutSources } from "./channels/index.ts";
import type { Config } from "./config.ts";
import { createCreditQueue, createDispatcher } from "./crediting/credit-queue.ts";
import { startCreditWorker } from "./crediting/credit-worker.ts";
import { startSweeper } from "./crediting/sweeper.ts";
import { createBillingQueue, startBillingRelay } from "./billing/billing-queue.ts";
import { startBillingWorker } from "./billing/billing-worker.ts";
import express from "express";
import { HubMetrics, metricsRoute, type HubServices } from "./metrics/metrics.ts";
import { createDatabase, createPool, type Db } from "./db.ts";
import { ensureLedgerAccounts } from "./ledger/ledger-accounts.ts";
import { withStartupLock } from "./infra/database.ts";
import { describeRedis, redisStartupError, StartupError } from "./infra/startup-errors.ts";
import type { Logger } from "./log.ts";
import { createRedis, type RedisTarget } from "./queue/connection.ts";
import type { BillingJobData, CreditJobData } from "./queue/names.ts";
import { InFlight } from "./payments/in-flight.ts";
import { PaymentIds } from "./payments/payment-ids.ts";
import { createPaymentRecorder } from "./payments/record-payment.ts";
import { createRequestListener } from "./server.ts";
import { apiCredentials, startRegistryFetcher } from "./registries/registry-fetcher.ts";
import { fetchedChannels, registryExpectations } from "./registries/registry-missing.ts";

const STOP_TIMEOUT_MS = 3000;

/** Statements of pays in flight at once, and the most pays one takes (src/infra/group-commit.ts). */
const INTAKE_GROUP_COMMIT = { maxBatch: 64, maxInFlight: 4 };

/**
 * Listens on host:port and resolves once bound. Express 5's app.listen calls its callback on an error as well (the
 * hub then read the address of a server that never bound: "Cannot read properties of null (reading 'port')"), so the
 * server is made here and its own events decide. A refused bind becomes a StartupError that says what to do.
 */
function listen(handler: RequestListener, port: number, host: string, variable: string): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const server = http.createServer(handler);
    server.once("error", (error: NodeJS.ErrnoException) => reject(listenError(error, port, host, variable)));
    server.once("listening", () => resolve(server));
    server.listen(port, host);
  });
}

function listenError(error: NodeJS.ErrnoException, port: number, host: string, variable: string): Error {
  if (error.code === "EADDRINUSE") {
    return new StartupError(`port ${port} on ${host} is already in use (EADDRINUSE): stop the process that holds it (ss -ltnp 'sport = :${port}') or set ${variable} to a free port`, error);
  }
  if (error.code === "EACCES") {
    return new StartupError(`not allowed to listen on port ${port} on ${host} (EACCES): use a port above 1023 or set ${variable}`, error);
  }
  if (error.code === "EADDRNOTAVAIL") {
    return new StartupError(`${host} is not an address of this machine (EADDRNOTAVAIL): set HOST to one of its addresses, or 0.0.0.0`, error);
  }
  return error;
}

/** QUIT when Redis answers; with Redis gone, QUIT would wait for a reconnection that never comes. */
async function quitOrDisconnect(redis: Redis): Promise<void> {
  if (redis.status === "ready") {
    await redis.quit().catch(() => undefined);
  }
  redis.disconnect();
}

/**
 * Billing notifications (worker roles): the relay hands the rows the database wrote with every posting to the
 * billing queue, and the sender delivers them. Without BILLING_WEBHOOK_URL nothing runs and the rows wait.
 */
function startBilling(
  config: Config,
  db: Db,
  queue: Queue<BillingJobData>,
  redisTarget: RedisTarget,
  log: Logger,
  metrics: HubMetrics,
  stops: { name: string; stop: () => Promise<unknown> }[],
): Worker<BillingJobData> | undefined {
  const { webhook, ...billing } = config.billing;
  if (!webhook) {
    log.info("billing notifications are off (BILLING_WEBHOOK_URL is not set): postings' notifications wait, unsent");
    return undefined;
  }
  const redis = createRedis(redisTarget, "worker");
  redis.on("error", (error) => log.warn({ err: error.message }, "redis billing worker connection error"));
  stops.push({ name: "billing worker redis", stop: () => quitOrDisconnect(redis) });
  const worker = startBillingWorker(db, redis, log, {
    prefix: config.queuePrefix,
    webhook,
    timeoutMs: billing.timeoutMs,
    onSent: () => metrics.billingSent.inc(),
    onFailed: (reason) => metrics.billingFailed.inc({ reason }),
    onAttemptFailed: (final) => metrics.jobsFailed.inc({ queue: "billing", final: String(final) }),
  });
  stops.push({ name: "billing worker", stop: () => worker.close() });
  const relay = startBillingRelay(db, queue, log, { intervalMs: billing.relayIntervalMs, onEnqueued: (count) => metrics.billingEnqueued.inc(count) });
  stops.push({ name: "billing relay", stop: relay.stop });
  log.info({ url: new URL(webhook.url).origin, attempts: billing.attempts }, "billing notifications on: relay and sender started");
  return worker;
}

export interface RunningHub {
  db: Db;
  queue: Queue<CreditJobData>;
  billingQueue: Queue<BillingJobData>;
  /** This hub's Prometheus registry and counters (GET /metrics). */
  metrics: HubMetrics;
  /** The HTTP server: the whole app (roles all and server), or the worker's metrics server (role worker). */
  server: Server | undefined;
  /** The port actually bound (PORT=0 binds an ephemeral one). */
  port: number | undefined;
  worker: Worker<CreditJobData> | undefined;
  /** Set for roles that run workers, when BILLING_WEBHOOK_URL is set. */
  billingWorker: Worker<BillingJobData> | undefined;
  /** Stops in reverse order of start: HTTP first (in-flight answers finish), the database last. */
  stop(): Promise<void>;
}

/**
 * Where the hub's PostgreSQL and Redis are. Redis: `redis`, a URL or Sentinel settings (src/main.ts passes the
 * configuration's), or `redisUrl`, a bare URL (the tests' form). A URL without a password takes REDIS_PASSWORD.
 */
export type HubConnections = { databaseUrl: string } & ({ redis: RedisTarget | string } | { redisUrl: string });

/** The Redis every connection of the hub goes to: producer, credit worker, billing worker (and BullMQ's duplicates). */
function hubRedisTarget(config: Config, connections: HubConnections): RedisTarget {
  const target = "redis" in connections ? connections.redis : connections.redisUrl;
  return typeof target === "string" ? { url: target, password: config.redisPassword } : target;
}

/**
 * Wires the hub for its role on a migrated database: the HTTP server (role server), the credit worker and the
 * sweeper, the billing relay and sender (role worker), or both (role all). Used by src/main.ts and by the tests, so both run the same wiring.
 */
export async function startHub(config: Config, log: Logger, urls: HubConnections): Promise<RunningHub> {
  const redisTarget = hubRedisTarget(config, urls);
  const stops: { name: string; stop: () => Promise<unknown> }[] = [];
  const stop = async () => {
    for (const { name, stop: stopOne } of stops.splice(0).reverse()) {
      // A dead Redis must not hold the shutdown forever: each part gets a bounded time, then the next one goes.
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          log.warn({ name }, `stopping ${name} took over ${STOP_TIMEOUT_MS} ms: going on`);
          resolve();
        }, STOP_TIMEOUT_MS);
      });
      await Promise.race([stopOne().catch((error: unknown) => log.warn({ err: error, name }, `stopping ${name} failed`)), timedOut]);
      clearTimeout(timer);
    }
  };
  log.info({ env: config.env }, `payhub runs with ${config.env} rules (${config.envReason})`);
  if (config.env === "production" && config.metricsToken === undefined) {
    log.warn("GET /metrics is open to anyone who reaches this port: restrict it at the proxy or set METRICS_TOKEN");
  }
  try {
    const onIdleError = (error: Error) => log.warn({ err: error.message }, "an idle PostgreSQL connection failed; the pool replaces it");
    const { db, pool } = createDatabase(urls.databaseUrl, 20, onIdleError);
    stops.push({ name: "database", stop: () => db.$disconnect().then(() => pool.end()) });
    // Several processes starting together seed one at a time: each step checks what is there, then writes.
    await withStartupLock(urls.databaseUrl, "migrateAndSeed", async () => {
      await ensureLedgerAccounts(db, clearingChannelIds(config.channels));
      await ensureOffices(db);
      if (config.demoData) {
        const loaded = await loadDemoAccountsIfEmpty(db);
        if (loaded > 0) log.info({ loaded }, "empty database: demo accounts loaded (100080 among them)");
        if (config.env !== "production") {
          const staff = await loadDemoStaffIfEmpty(db, config.staff.demoPassword);
          if (staff > 0) log.info({ staff: DEMO_STAFF.map((member) => member.login) }, "no staff yet: demo staff created with STAFF_DEMO_PASSWORD (development only)");
        }
      }
    });

    const producer = createRedis(redisTarget, "producer");
    // ioredis rejects connect() with "Connection is closed."; the reason (ECONNREFUSED, NOAUTH …) came as an event.
    let producerError: Error | undefined;
    producer.on("error", (error) => {
      producerError = error;
      log.warn({ err: error.message }, "redis producer connection error");
    });
    await producer.connect().catch((error: unknown) => {
      throw redisStartupError(producerError ?? error, describeRedis(producer.options));
    });
    stops.push({ name: "redis", stop: () => quitOrDisconnect(producer) });
    const queue = createCreditQueue(producer, { prefix: config.queuePrefix, ...config.credit });
    stops.push({ name: "credit queue", stop: () => queue.close() });
    const billingQueue = createBillingQueue(producer, { prefix: config.queuePrefix, attempts: config.billing.attempts, backoffMs: config.billing.backoffMs });
    // The queues repeat their connection's errors, which the producer's listener logs already; unheard, BullMQ would
    // print each to stderr (every reconnection attempt of a Redis restart or a Sentinel failover).
    for (const each of [queue, billingQueue]) each.on("error", (error) => log.debug({ err: error.message, queue: each.name }, "queue connection error"));
    stops.push({ name: "billing queue", stop: () => billingQueue.close() });
    // Every role says when each channel last brought a new payment (PayhubChannelSilent): the server of the requests
    // it took, a worker of the payments its pollers confirmed (card); the alert takes the freshest across processes.
    const metrics = new HubMetrics({ channelSilence: config.channelSilence });
    // Every role says which days' registries are missing (PayhubRegistryMissing), read from PostgreSQL.
    metrics.watchRegistries(registryExpectations(config.registries, fetchedChannels(config.registries, apiCredentials(config))));
    const onOutcome = metrics.onIntakeOutcome;
    const services: HubServices = { db, queues: { credit: queue, billing: billingQueue }, metrics, billingEnabled: config.billing.webhook !== undefined };

    let worker: Worker<CreditJobData> | undefined;
    let billingWorker: Worker<BillingJobData> | undefined;
    if (config.role !== "server") {
      const workerRedis = createRedis(redisTarget, "worker");
      workerRedis.on("error", (error) => log.warn({ err: error.message }, "redis worker connection error"));
      stops.push({ name: "worker redis", stop: () => quitOrDisconnect(workerRedis) });
      // The worker has a pool of its own, so a flood of provider requests cannot starve crediting (nor the reverse);
      // its statements (the credit statement, marking a payment failed) run on generic plans (see createPool).
      const workerPool = createPool(urls.databaseUrl, Math.min(config.credit.concurrency, 16), onIdleError, true);
      stops.push({ name: "worker database pool", stop: () => workerPool.end() });
      worker = startCreditWorker(workerPool, workerRedis, log, {
        prefix: config.queuePrefix,
        concurrency: config.credit.concurrency,
        onCredited: (seconds) => metrics.creditLatency.observe(seconds),
        onAttemptFailed: (final) => metrics.jobsFailed.inc({ queue: "credit", final: String(final) }),
      });
      stops.push({ name: "credit worker", stop: () => worker!.close() });
      const sweeper = startSweeper(db, queue, log, {
        ...config.sweeper,
        pendingTtlMsByChannel: pendingTtlsByChannel(config),
        onResent: (count) => metrics.sweeperResent.inc(count),
      });
      stops.push({ name: "sweeper", stop: sweeper.stop });
      // The channels' own work (the card poller) settles payments through the intake use case.
      const intake = { db, pool, dispatchCredit: createDispatcher(queue, log), log, inFlight: new InFlight(config.intakeMaxInFlight), paymentIds: new PaymentIds(pool), onOutcome };
      for (const channel of config.channels) {
        const running = channel.worker?.start(channelSettings(config, channel), { intake, log });
        if (running) stops.push({ name: channel.worker!.name, stop: running.stop });
      }
      log.info({ concurrency: config.credit.concurrency }, "credit worker and sweeper started");
      billingWorker = startBilling(config, db, billingQueue, redisTarget, log, metrics, stops);
      // The providers' API registries of the days that are over (src/registries/registry-fetcher.ts).
      const registryFetcher = startRegistryFetcher(config, { pool, log });
      if (registryFetcher) stops.push({ name: "registry fetcher", stop: registryFetcher.stop });
    }

    let server: Server | undefined;
    if (config.role !== "worker") {
      for (const profile of config.env === "production" ? profilesWithoutSources(config) : []) {
        log.warn({ profile }, `profile ${profile} has no allowed source addresses: it refuses every request until its _ALLOWED_IPS is set`);
      }
      const inFlight = new InFlight(config.intakeMaxInFlight);
      // Stopped after the HTTP server: commands still running when their sockets closed finish (and are queued) first.
      stops.push({ name: "intake in flight", stop: () => inFlight.drained() });
      const handler = createRequestListener({
        config,
        db,
        redis: producer,
        log,
        intake: {
          db,
          pool,
          dispatchCredit: createDispatcher(queue, log),
          log,
          inFlight,
          paymentIds: new PaymentIds(pool),
          // Group commit at intake: concurrent pays share one statement and its commit, each answered after it.
          paymentRecorder: createPaymentRecorder(pool, (error, size) => log.warn({ err: error, payments: size }, "a batch of pays failed: recording them one by one"), INTAKE_GROUP_COMMIT),
          onOutcome,
        },
        services,
      });
      server = await listen(handler, config.port, config.host, "PORT");
      const httpServer = server;
      stops.push({
        name: "http server",
        stop: () =>
          new Promise<void>((resolve) => {
            httpServer.close(() => resolve());
            httpServer.closeIdleConnections();
          }),
      });
    }
    if (config.role === "worker") {
      // A worker-only process has counters of its own (credit latency, failed jobs, sweeper re-sends, billing): it
      // serves them, and a liveness probe, on a port of its own so that Prometheus can scrape it too.
      const metricsApp = express();
      metricsApp.disable("x-powered-by");
      metricsApp.get("/health/live", (_req, res) => {
        res.json({ status: "live", role: "worker" });
      });
      metricsApp.get("/metrics", metricsRoute(services, config.metricsToken));
      server = await listen(metricsApp, config.workerMetricsPort, config.host, "WORKER_METRICS_PORT");
      const metricsServer = server;
      stops.push({ name: "worker metrics server", stop: () => new Promise<void>((resolve) => metricsServer.close(() => resolve())) });
      log.info({ port: (metricsServer.address() as AddressInfo).port }, "worker metrics served at /metrics");
    }
    const port = server ? (server.address() as AddressInfo).port : undefined;
    return { db, queue, billingQueue, metrics, server, port, worker, billingWorker, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
