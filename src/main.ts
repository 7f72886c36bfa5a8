import type { Server } from "node:http";
import { loadDemoAccountsIfEmpty } from "./accounts/demo-accounts.ts";
import { ConfigError, loadConfig, OSMP_PROFILES, type Config } from "./config.ts";
import { createCreditQueue, createDispatcher } from "./crediting/credit-queue.ts";
import { startCreditWorker } from "./crediting/credit-worker.ts";
import { startSweeper } from "./crediting/sweeper.ts";
import { createDb } from "./db.ts";
import { ensureDatabase, migrateDatabase } from "./infra/database.ts";
import { findOrStartPostgres, findOrStartRedis } from "./infra/local-services.ts";
import { ensureLedgerAccounts } from "./ledger/ledger-accounts.ts";
import { createLogger, type Logger } from "./log.ts";
import { createRedis } from "./queue/connection.ts";
import { createApp } from "./server.ts";
import { osmpChannel } from "../webhooks/osmp.ts";

/** Every channel the hub posts for: each needs its clearing ledger account. */
export const ALL_CHANNELS = OSMP_PROFILES.map(osmpChannel);

/**
 * The composition root: `npm start` runs server and worker in one process (HUB_ROLE=all); production runs
 * HUB_ROLE=server and HUB_ROLE=worker separately. Stops are run in reverse order on SIGTERM.
 */
async function main(config: Config, log: Logger): Promise<void> {
  const stops: { name: string; stop: () => Promise<unknown> }[] = [];

  const postgres = config.databaseUrl ? { url: config.databaseUrl } : await findOrStartPostgres(config.dataDir, log);
  if (postgres.stop) stops.push({ name: "embedded postgres", stop: postgres.stop });
  const redisService = config.redisUrl ? { url: config.redisUrl } : await findOrStartRedis(config.dataDir, log);
  if (redisService.stop) stops.push({ name: "embedded redis", stop: redisService.stop });

  if (await ensureDatabase(postgres.url)) log.info("database created");
  await migrateDatabase(postgres.url);
  log.info("migrations applied");

  const db = createDb(postgres.url);
  stops.push({ name: "database", stop: () => db.$disconnect() });
  await ensureLedgerAccounts(db, ALL_CHANNELS);
  if (config.demoData) {
    const loaded = await loadDemoAccountsIfEmpty(db);
    if (loaded > 0) log.info({ loaded }, "empty database: demo accounts loaded (100080 among them)");
  }

  const producer = createRedis(redisService.url, "producer");
  producer.on("error", (error) => log.warn({ err: error.message }, "redis producer connection error"));
  await producer.connect();
  stops.push({ name: "redis", stop: () => producer.quit() });
  const queue = createCreditQueue(producer, { prefix: config.queuePrefix, ...config.credit });
  stops.push({ name: "credit queue", stop: () => queue.close() });

  if (config.role !== "server") {
    const workerRedis = createRedis(redisService.url, "worker");
    workerRedis.on("error", (error) => log.warn({ err: error.message }, "redis worker connection error"));
    const worker = startCreditWorker(db, workerRedis, log, { prefix: config.queuePrefix, concurrency: config.credit.concurrency });
    const sweeper = startSweeper(db, queue, log, config.sweeper);
    stops.push({ name: "worker redis", stop: () => workerRedis.quit() });
    stops.push({ name: "sweeper", stop: sweeper.stop });
    stops.push({ name: "credit worker", stop: () => worker.close() });
    log.info({ concurrency: config.credit.concurrency }, "credit worker and sweeper started");
  }

  if (config.role !== "worker") {
    const app = createApp({ config, db, redis: producer, log, intake: { db, dispatchCredit: createDispatcher(queue, log), log } });
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(config.port, config.host, () => resolve(listening));
    });
    // In-flight provider requests finish (their payments are committed) before the database closes.
    stops.push({ name: "http server", stop: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    log.info({ port: config.port, host: config.host, role: config.role }, `payhub listening on http://${config.host}:${config.port}`);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down gracefully");
    const force = setTimeout(() => {
      log.error("graceful shutdown took over 20 s: exiting");
      process.exit(1);
    }, 20000);
    force.unref();
    for (const { name, stop } of stops.reverse()) {
      await stop().catch((error: unknown) => log.warn({ err: error, name }, `stopping ${name} failed`));
    }
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
const log = createLogger(config.logLevel);
main(config, log).catch((error: unknown) => {
  log.fatal({ err: error }, `payhub could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
