import { afterAll, beforeAll, expect, it } from "vitest";
import { osmp, payParams } from "../support/osmp-client.ts";
import { spawnHubProcess, waitForExit } from "../support/hub-process.ts";
import { expectLedgerConsistent, startTestHub, waitFor, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// A worker process dies (SIGKILL: no clean-up, no graceful shutdown) while it is crediting a backlog. After a
// restart every accepted payment is credited, none twice.

const PAYMENTS = 1000;
const ACCOUNTS = ["100080", "100081", "100082", "100083", "100084"];

let hub: TestHub;
beforeAll(async () => {
  // The HTTP side only: payments wait in the queue until the worker process starts.
  hub = await startTestHub({ HUB_ROLE: "server" });
});
afterAll(async () => {
  await hub?.stop();
});

async function creditedCount(): Promise<number> {
  return hub.hub.db.inboundPayment.count({ where: { status: "credited" } });
}

it("when a crediting worker is killed with SIGKILL mid-backlog and restarted, then nothing is lost and nothing is credited twice", async () => {
  const before = new Map((await hub.hub.db.subscriberAccount.findMany()).map((account) => [account.number, account.balanceKopecks]));
  const expected = new Map<string, bigint>();
  for (let start = 0; start < PAYMENTS; start += 50) {
    const batch = [];
    for (let index = start; index < Math.min(PAYMENTS, start + 50); index++) {
      const account = ACCOUNTS[index % ACCOUNTS.length]!;
      expected.set(account, (expected.get(account) ?? 0n) + 1000n);
      batch.push(osmp(hub.url, payParams(300000 + index, account, "10.00")));
    }
    for (const answer of await Promise.all(batch)) expect(answer.result, answer.body).toBe(0);
  }
  expect(await creditedCount()).toBe(0);

  const workerEnv = {
    HUB_ROLE: "worker",
    DATABASE_URL: hub.databaseUrl,
    REDIS_URL: hub.redisUrl,
    QUEUE_PREFIX: hub.config.queuePrefix,
    CREDIT_CONCURRENCY: "2",
  };
  const first = spawnHubProcess(workerEnv);
  const creditedWhenKilled = await waitFor(
    "the first worker to be part-way through the backlog",
    async () => {
      const credited = await creditedCount();
      return credited >= 50 ? credited : undefined;
    },
    60_000,
  );
  first.child.kill("SIGKILL");
  await waitForExit(first.child);
  const creditedAfterKill = await creditedCount();
  expect(creditedAfterKill, first.output()).toBeLessThan(PAYMENTS);
  expect(creditedAfterKill).toBeGreaterThanOrEqual(creditedWhenKilled);

  const second = spawnHubProcess({ ...workerEnv, CREDIT_CONCURRENCY: "16" });
  try {
    await waitUntilAllCredited(hub, 90_000);
  } finally {
    second.child.kill("SIGTERM");
    await waitForExit(second.child);
  }

  expect(await hub.hub.db.inboundPayment.count()).toBe(PAYMENTS);
  expect(await hub.hub.db.posting.count({ where: { kind: "payment-credit" } })).toBe(PAYMENTS);
  expect(await hub.hub.db.outbox.count({ where: { processedAt: null } })).toBe(0);
  for (const [account, credited] of expected) {
    const after = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: account } });
    expect(after.balanceKopecks - (before.get(account) ?? 0n)).toBe(credited);
  }
  await expectLedgerConsistent(hub);
  // A graceful stop: the second worker exits 0 on SIGTERM.
  expect(second.child.exitCode).toBe(0);
}, 180_000);
