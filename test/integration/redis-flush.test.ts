import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { osmp, payParams } from "../support/osmp-client.ts";
import { startPrivateRedis } from "../support/redis-server.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, withWorker, type TestHub } from "../support/test-hub.ts";

// Redis carries work, never the only copy of it: with every key gone, the sweeper re-sends each accepted payment
// from the Postgres outbox and the worker credits it once.

const PAYMENTS = 300;
let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let hub: TestHub;

beforeAll(async () => {
  redis = await startPrivateRedis();
  hub = await startTestHub({ HUB_ROLE: "server", REDIS_URL: redis.url });
});
afterAll(async () => {
  await hub?.stop();
  await redis?.stop();
});

it("when Redis is flushed (FLUSHALL) while payments are queued, then the sweeper brings every accepted payment to credited", async () => {
  const answers = [];
  for (let start = 0; start < PAYMENTS; start += 50) {
    const batch = [];
    for (let index = start; index < start + 50; index++) batch.push(osmp(hub.url, payParams(700000 + index, "100080", "1.00")));
    answers.push(...(await Promise.all(batch)));
  }
  expect(answers.every((answer) => answer.result === 0)).toBe(true);

  const client = new Redis(redis.url);
  const queued = await client.llen(`${hub.config.queuePrefix}:credit:wait`);
  expect(queued).toBe(PAYMENTS);
  await client.flushall();
  expect(await client.dbsize()).toBe(0);
  client.disconnect();

  // A worker starts on the empty Redis: nothing is queued there, only the outbox remembers.
  await withWorker(hub, redis.url, () => waitUntilAllCredited(hub, 60_000));
  const account = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100080" } });
  expect(account.balanceKopecks).toBe(BigInt(PAYMENTS) * 100n);
  expect(await hub.hub.db.posting.count({ where: { kind: "payment-credit" } })).toBe(PAYMENTS);
  await expectLedgerConsistent(hub);
});

it("when Redis is down, then payments are still accepted (they are durable in Postgres) and credited once it is back", async () => {
  await redis.stop();
  const answer = await osmp(hub.url, payParams(710001, "100081", "7.77"));
  expect(answer.result).toBe(0);
  const payment = await hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { id: BigInt(answer.prvTxn!) } });
  expect(payment.status).toBe("accepted");

  const revived = await startPrivateRedis();
  try {
    await withWorker(hub, revived.url, () => waitUntilAllCredited(hub, 60_000));
  } finally {
    await revived.stop();
  }
  await expectLedgerConsistent(hub);
});
