import { randomBytes } from "node:crypto";
import { deleteQueueKeys } from "../../src/queue/delete-keys.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { startHub, type RunningHub } from "../../src/hub.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { checkLedger } from "../../src/ledger/ledger-accounts.ts";
import { createDatabaseFromTemplate, dropDatabase, REDIS_URL } from "./services.ts";

export interface TestHub {
  url: string;
  hub: RunningHub;
  config: Config;
  databaseName: string;
  databaseUrl: string;
  /** The hub's Redis URL; empty for a hub on a Sentinel group (REDIS_SENTINELS), whose Redis is `config.redis`. */
  redisUrl: string;
  /** Stops the hub, drops its database and deletes its queue's Redis keys. */
  stop(): Promise<void>;
}

/** Environment shared by every test hub: fast sweeps and retries so recovery is seen within seconds. */
export function testEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    WORKER_METRICS_PORT: "0",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    HUB_ADMIN_TOKEN: "test-admin-token-0123456789",
    SWEEP_INTERVAL_MS: "250",
    SWEEP_AFTER_MS: "1000",
    CREDIT_BACKOFF_MS: "50",
    ...overrides,
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
}

/**
 * A whole hub (server, worker and sweeper unless HUB_ROLE says otherwise) on its own database and queue prefix. An
 * empty value in `env` means unset, as in an env file: NODE_ENV "" leaves the rules to DATABASE_URL, and
 * DATABASE_URL "" runs the hub as on local defaults (it still uses its own database). With REDIS_SENTINELS in `env`
 * the hub asks those sentinels for its master and REDIS_URL stays unset. `log` receives its log lines.
 */
export async function startTestHub(env: Record<string, string> = {}, log?: Logger): Promise<TestHub> {
  const databaseName = uniqueName("payhub_t");
  const databaseUrl = await createDatabaseFromTemplate(databaseName);
  const sentinel = Boolean(env.REDIS_SENTINELS);
  const redisUrl = sentinel ? "" : env.REDIS_URL || REDIS_URL;
  const config = loadConfig(testEnvironment({ DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, QUEUE_PREFIX: uniqueName("t"), ...env }));
  const hub = await startHub(config, log ?? createLogger(config.logLevel), sentinel ? { databaseUrl, redis: config.redis! } : { databaseUrl, redisUrl });
  return {
    url: `http://127.0.0.1:${hub.port}`,
    hub,
    config,
    databaseName,
    databaseUrl,
    redisUrl,
    stop: async () => {
      await hub.stop();
      // A Sentinel group is the test's own: its keys go with its processes.
      if (!sentinel) await deleteQueueKeys(redisUrl, config.queuePrefix);
      await dropDatabase(databaseName);
    },
  };
}

/**
 * Runs a worker role (credit worker and sweeper, and what `env` configures, e.g. the card poller with CARD_API_URL and
 * CARD_POLL_INTERVAL_MS) on a test hub's database and queue while `during` runs.
 */
export async function withWorker<T>(hub: TestHub, redisUrl: string, during: () => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const config = loadConfig(
    testEnvironment({ ...env, HUB_ROLE: "worker", DATABASE_URL: hub.databaseUrl, REDIS_URL: redisUrl, QUEUE_PREFIX: hub.config.queuePrefix }),
  );
  const worker = await startHub(config, createLogger(config.logLevel), { databaseUrl: hub.databaseUrl, redisUrl });
  try {
    return await during();
  } finally {
    await worker.stop();
  }
}

export { deleteQueueKeys };

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until no payment of the hub waits for crediting (pending and closed ones are not money), and none failed. */
export async function waitUntilAllCredited(hub: TestHub, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    "every accepted payment to be credited",
    async () => (await hub.hub.db.inboundPayment.count({ where: { status: "accepted" } })) === 0,
    timeoutMs,
  );
  const failed = await hub.hub.db.inboundPayment.count({ where: { status: "failed" } });
  if (failed > 0) throw new Error(`${failed} payments failed to credit`);
}

/** The ledger's invariants as an operator checks them at month end. */
export async function expectLedgerConsistent(hub: TestHub): Promise<void> {
  const health = await checkLedger(hub.hub.db);
  if (health.totalKopecks !== 0n || health.unbalancedPostings !== 0 || health.balanceMismatches.length > 0) {
    throw new Error(`ledger inconsistent: ${JSON.stringify(health, (_key, value) => (typeof value === "bigint" ? value.toString() : value))}`);
  }
}
