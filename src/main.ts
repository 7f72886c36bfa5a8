import { ConfigError, loadConfig, type Config } from "./config.ts";
import { startHub } from "./hub.ts";
import { ensureDatabase, migrateDatabase, withStartupLock } from "./infra/database.ts";
import { migrationStartupError, postgresStartupError, StartupError } from "./infra/startup-errors.ts";
import { findOrStartPostgres, findOrStartRedis, type LocalService } from "./infra/local-services.ts";
import { createLogger, defaultLogFormat, type Logger } from "./log.ts";

/**
 * `npm start`: finds (or starts) PostgreSQL and Redis, creates and migrates the database, and runs the hub in the
 * role HUB_ROLE says (all by default: server and worker in one process). SIGTERM stops it gracefully.
 */
async function main(config: Config, log: Logger): Promise<void> {
  const services: LocalService[] = [];
  const postgres = config.databaseUrl ? { url: config.databaseUrl } : await findOrStartPostgres(config.dataDir, log);
  services.push(postgres);
  // The configured Redis (REDIS_URL, or the master REDIS_SENTINELS name), else the local one found or started.
  const localRedis = config.redis ? undefined : await findOrStartRedis(config.dataDir, log);
  if (localRedis) services.push(localRedis);

  try {
    if (await ensureDatabase(postgres.url)) log.info("database created");
    // Several processes started together migrate one at a time (the others then find nothing pending).
    await withStartupLock(postgres.url, "migrateAndSeed", () => migrateDatabase(postgres.url).catch((error: unknown) => Promise.reject(migrationStartupError(error))));
  } catch (error) {
    throw postgresStartupError(error, postgres.url);
  }
  log.info("migrations applied");

  const hub = await startHub(config, log, { databaseUrl: postgres.url, redis: config.redis ?? localRedis!.url });
  if (hub.port !== undefined) log.info({ port: hub.port, role: config.role }, `payhub listening on http://${config.host}:${hub.port}`);
  else log.info({ role: config.role }, "payhub worker running");

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down gracefully");
    setTimeout(() => {
      log.error("graceful shutdown took over 20 s: exiting");
      process.exit(1);
    }, 20000).unref();
    await hub.stop();
    for (const service of services.reverse()) await service.stop?.();
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
  // One line, like every start-up failure: what is wrong with which variable, and where the variables are listed.
  if (error instanceof ConfigError) {
    console.error(`payhub could not start: the configuration is invalid: ${error.problems.join("; ")}${error.why ? `. ${error.why}` : ""}. Fix the environment (every variable is listed in .env.example)`);
  } else {
    console.error(error);
  }
  process.exit(1);
}
const log = createLogger(config.logLevel, undefined, config.logFormat ?? defaultLogFormat(config.env, process.stdout.isTTY === true));
main(config, log).catch((error: unknown) => {
  // A StartupError's message says what to do; its cause (the driver's error and stack) is for a debug log only.
  if (error instanceof StartupError) {
    log.debug({ err: error.cause }, "the error behind the start-up failure");
    log.fatal(`payhub could not start: ${error.message}`);
  } else {
    log.fatal({ err: error }, `payhub could not start: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
});
