import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { osmp, payParams } from "../support/osmp-client.ts";
import { spawnHubProcess, waitForExit } from "../support/hub-process.ts";
import { expectLedgerConsistent, startTestHub, waitFor, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// A worker process dies (SIGKILL: no clean-up, no graceful shutdown) while it is crediting a backlog and notifying
// the billing system. After a restart every accepted payment is credited, none twice, and billing has heard of every
// credit (at least once: it dedupes on notificationId).

const PAYMENTS = 1000;
const ACCOUNTS = ["100080", "100081", "100082", "100083", "100084"];

let hub: TestHub;
/** The billing system: answers 200 a little later (so sends are in flight when the worker dies) and records what it got. */
let billing: Server;
const billed: string[] = [];
beforeAll(async () => {
  // The HTTP side only: payments wait in the queue until the worker process starts.
  hub = await startTestHub({ HUB_ROLE: "server" });
  billing = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      billed.push(String((JSON.parse(body) as { notificationId: unknown }).notificationId));
      setTimeout(() => res.writeHead(200).end("ok"), 5);
    });
  });
  await new Promise<void>((resolve) => billing.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  await new Promise((resolve) => billing?.close(resolve));
  await hub?.stop();
});

async function creditedCount(): Promise<number> {
  return hub.hub.db.inboundPayment.count({ where: { status: "credited" } });
}

it("when a crediting worker is killed with SIGKILL mid-backlog and restarted, then nothing is lost, nothing is credited twice, and billing hears of every credit", async () => {
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
    BILLING_WEBHOOK_URL: `http://127.0.0.1:${(billing.address() as AddressInfo).port}/payhub`,
    BILLING_WEBHOOK_SECRET: "crash-test-billing-secret",
    BILLING_RELAY_INTERVAL_MS: "200",
    BILLING_BACKOFF_MS: "50",
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

  const billedWhenKilled = new Set(billed).size;
  expect(billedWhenKilled).toBeLessThan(PAYMENTS);

  const second = spawnHubProcess({ ...workerEnv, CREDIT_CONCURRENCY: "16" });
  try {
    await waitUntilAllCredited(hub, 90_000);
    await waitFor("every credit's billing notification to be sent", async () => (await hub.hub.db.billingNotification.count({ where: { sentAt: null } })) === 0, 90_000);
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
  // Billing heard of every credit posting, each under its own notification id; none failed.
  const notifications = await hub.hub.db.billingNotification.findMany({ select: { id: true, failedAt: true } });
  expect(notifications).toHaveLength(PAYMENTS);
  expect(notifications.filter((notification) => notification.failedAt !== null)).toEqual([]);
  expect(new Set(billed)).toEqual(new Set(notifications.map((notification) => notification.id.toString())));
  // A graceful stop: the second worker exits 0 on SIGTERM.
  expect(second.child.exitCode).toBe(0);
}, 180_000);
