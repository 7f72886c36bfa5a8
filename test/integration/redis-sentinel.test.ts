import { Redis } from "ioredis";
import { afterEach, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { startHub } from "../../src/hub.ts";
import { createLogger } from "../../src/log.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { startSentinelGroup, type SentinelGroup } from "../support/redis-server.ts";
import { expectLedgerConsistent, startTestHub, testEnvironment, uniqueName, waitFor, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// Redis behind Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME): the master crashes under load, the sentinel promotes
// the replica, and the hub goes on. Pays are answered throughout (each is durable in PostgreSQL before its answer;
// a credit job Redis did not take is re-sent by the sweeper from the outbox), every pay answered OK is credited
// exactly once, and the producer and the workers, reconnected through the sentinel, use the new master.

const ACCOUNTS = ["100080", "100081", "100082", "100083", "100084"];
/** Pays sent at once, each loop pausing a little between its pays: a steady load that leaves the two cores room. */
const LOOPS = 4;
const PAUSE_MS = 10;

interface Pay {
  txnId: number;
  sentAt: number;
  answeredAt: number;
  result: number | undefined;
  prvTxn: string | undefined;
  error?: string;
}

// Each test has its own Sentinel group (master, replica, sentinel) and its own hub and database.
let group: SentinelGroup | undefined;
let hub: TestHub | undefined;
let loading = false;
let loops: Promise<void>[] = [];
let pays: Pay[] = [];
let nextTxnId = 910_000_000;

async function sendPay(): Promise<Pay> {
  const txnId = nextTxnId++;
  const sentAt = Date.now();
  try {
    const answer = await osmp(hub!.url, payParams(txnId, ACCOUNTS[txnId % ACCOUNTS.length]!, "1.00"));
    return { txnId, sentAt, answeredAt: Date.now(), result: answer.result, prvTxn: answer.prvTxn };
  } catch (error) {
    return { txnId, sentAt, answeredAt: Date.now(), result: undefined, prvTxn: undefined, error: String(error) };
  }
}

async function loadLoop(): Promise<void> {
  while (loading) {
    pays.push(await sendPay());
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
}

async function stopLoad(): Promise<void> {
  loading = false;
  await Promise.all(loops);
  loops = [];
}

const answeredOk = (from: number, to = Infinity) => pays.filter((pay) => pay.result === 0 && pay.sentAt >= from && pay.answeredAt <= to);

async function creditedCount(): Promise<number> {
  return hub!.hub.db.inboundPayment.count({ where: { status: "credited" } });
}

async function sweeperResent(): Promise<number> {
  return (await hub!.hub.metrics.sweeperResent.get()).values[0]?.value ?? 0;
}

/** A Sentinel group and a hub configured with it (REDIS_SENTINELS, REDIS_SENTINEL_NAME and `env`). */
async function setUp(passwords: { redis?: string; sentinel?: string } = {}, env: Record<string, string> = {}): Promise<void> {
  pays = [];
  group = await startSentinelGroup("m", passwords);
  // The queue prefix hash-tagged as Redis Cluster needs it ({…}): BullMQ and the checks below take it as any other.
  hub = await startTestHub({ REDIS_SENTINELS: group.sentinels, REDIS_SENTINEL_NAME: group.name, QUEUE_PREFIX: `{${uniqueName("t")}}`, ...env });
}

// Also after a failed test: the load stops, the hub stops and drops its database, the Redis processes are killed and
// their directory removed.
afterEach(async () => {
  await stopLoad();
  await hub?.stop();
  hub = undefined;
  await group?.stop();
  group = undefined;
});

/**
 * Runs a steady load of pays across `failover` (which returns the new master's port), then checks what each scenario
 * must keep: every pay answered OK, some of them during the failover, each credited exactly once, and after it the
 * queue at work on the new master (fresh pays credited by their jobs, none re-sent by the sweeper).
 */
async function payThroughFailover(failover: () => Promise<number>): Promise<void> {
  loading = true;
  loops = Array.from({ length: LOOPS }, () => loadLoop());
  // The hub works through the master the sentinel names: pays are credited by the worker.
  await waitFor("pays credited through the master the sentinel names", async () => (await creditedCount()) >= 50);

  const startedAt = Date.now();
  const newMaster = await failover();
  const failedOverAt = Date.now();
  // Pays sent after the failover began and answered before it ended (the new master answering as master).
  const duringFailover = answeredOk(startedAt, failedOverAt).length;
  // The load goes on after the failover, on the new master.
  await waitFor("200 pays answered after the failover", async () => answeredOk(failedOverAt).length >= 200);
  await stopLoad();

  const failures = pays.filter((pay) => pay.result !== 0);
  expect(failures, JSON.stringify(failures.slice(0, 5))).toEqual([]);
  expect(duringFailover, `pays answered OK during the failover (${failedOverAt - startedAt} ms)`).toBeGreaterThan(0);

  await waitUntilAllCredited(hub!, 60_000);
  const paymentIds = pays.map((pay) => BigInt(pay.prvTxn!));
  expect(new Set(paymentIds).size).toBe(pays.length);
  const db = hub!.hub.db;
  expect(await db.inboundPayment.count({ where: { id: { in: paymentIds }, status: "credited" } })).toBe(pays.length);
  // Exactly once: one credit posting per payment answered OK, and no other credit posting at all.
  const credits = await db.posting.groupBy({ by: ["creditOfPaymentId"], where: { kind: "payment-credit" }, _count: { _all: true } });
  expect(credits.filter((credit) => credit._count._all !== 1)).toEqual([]);
  expect(new Set(credits.map((credit) => credit.creditOfPaymentId))).toEqual(new Set(paymentIds));
  const balances = await db.subscriberAccount.aggregate({ where: { number: { in: ACCOUNTS } }, _sum: { balanceKopecks: true } });
  expect(balances._sum.balanceKopecks).toBe(BigInt(pays.length) * 100n);
  await expectLedgerConsistent(hub!);

  // The queue itself works on the new master: fresh pays are credited by their jobs, none of them re-sent by the
  // sweeper, and the queue's keys are there.
  const resentBefore = await sweeperResent();
  const fresh: Pay[] = [];
  for (let index = 0; index < 20; index++) fresh.push(await sendPay());
  pays.push(...fresh);
  expect(fresh.map((pay) => pay.result)).toEqual(fresh.map(() => 0));
  await waitUntilAllCredited(hub!, 30_000);
  expect(await sweeperResent()).toBe(resentBefore);
  const master = new Redis({ host: "127.0.0.1", port: newMaster, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await master.connect();
    expect((await master.info("replication")).match(/^role:(\w+)/m)?.[1]).toBe("master");
    const [, keys] = await master.scan("0", "MATCH", `${hub!.config.queuePrefix}:credit:*`, "COUNT", 10_000);
    expect(keys.length).toBeGreaterThan(0);
  } finally {
    master.disconnect();
  }
  await expectLedgerConsistent(hub!);
}

it("when the Redis master crashes under load and Sentinel promotes the replica, then pays are still answered OK, each is credited exactly once, and the queue runs on the new master", async () => {
  await setUp();
  const oldMaster = await group!.currentMasterPort();
  expect(oldMaster).toBe(group!.masterPort);
  await payThroughFailover(async () => {
    await group!.kill(oldMaster);
    const newMaster = await group!.waitForFailover(oldMaster);
    expect(newMaster).toBe(group!.replicaPort);
    return newMaster;
  });
});

it("when Sentinel fails over while the old master still runs (SENTINEL FAILOVER), then every connection leaves it for the new master", async () => {
  // The demoted master stays up: a connection left on it would get READONLY to its writes and wait forever in its
  // blocking reads. Every connection must go to the promoted replica (on the sentinels' +switch-master, or when the
  // old master drops its clients as the sentinel turns it into a replica).
  await setUp();
  const oldMaster = await group!.currentMasterPort();
  expect(oldMaster).toBe(group!.masterPort);
  await payThroughFailover(async () => {
    await group!.failover();
    const newMaster = await group!.waitForFailover(oldMaster);
    expect(newMaster).toBe(group!.replicaPort);
    return newMaster;
  });
});

it("when the Redis servers and the sentinel require passwords, then the hub connects with REDIS_PASSWORD and REDIS_SENTINEL_PASSWORD, and a wrong one stops start-up without naming it", async () => {
  const passwords = { redis: "redis-secret-8f2c", sentinel: "sentinel-secret-51d0" };
  await setUp(passwords, { REDIS_PASSWORD: passwords.redis, REDIS_SENTINEL_PASSWORD: passwords.sentinel });
  const answer = await sendPay();
  expect(answer.result).toBe(0);
  await waitUntilAllCredited(hub!, 30_000);
  expect(await creditedCount()).toBe(1);

  // A worker given the wrong master password: the sentinel names the master, which refuses the login.
  const wrong = "not-the-redis-password";
  const config = loadConfig(
    testEnvironment({
      HUB_ROLE: "worker",
      DATABASE_URL: hub!.databaseUrl,
      QUEUE_PREFIX: hub!.config.queuePrefix,
      REDIS_SENTINELS: group!.sentinels,
      REDIS_SENTINEL_NAME: group!.name,
      REDIS_PASSWORD: wrong,
      REDIS_SENTINEL_PASSWORD: passwords.sentinel,
    }),
  );
  const refused = await startHub(config, createLogger("silent"), { databaseUrl: hub!.databaseUrl, redis: config.redis! }).then(
    async (worker) => {
      await worker.stop();
      return "started";
    },
    (error: unknown) => (error instanceof Error ? `${error.message} ${String(error.cause ?? "")}` : String(error)),
  );
  expect(refused).toMatch(/WRONGPASS|NOAUTH|Connection is closed/);
  expect(refused).not.toContain(wrong);
  expect(refused).not.toContain(passwords.sentinel);
});
