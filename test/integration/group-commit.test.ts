import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCreditBatcher } from "../../src/crediting/credit-batcher.ts";
import { createPool } from "../../src/db.ts";
import { createLogger } from "../../src/log.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// Group commit (issue 11): concurrent pays share one intake statement, and the worker's credits share one credit
// statement. Whatever batch a request or a payment lands in, its outcome is the one it gets alone.
// Demo accounts: 100080–100084 active, 100090 blocked, 100099 closed.

const ACTIVE = ["100080", "100081", "100082", "100083", "100084"];

describe("pays arriving together (one intake statement for many)", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("when pays to active, unknown, blocked and closed accounts and conflicting repeats arrive together, then each gets the answer it gets alone, and only accepted ones are money", async () => {
    const requests: { expected: number; params: Record<string, string> }[] = [];
    for (let index = 0; index < 60; index++) requests.push({ expected: 0, params: payParams(710_000 + index, ACTIVE[index % ACTIVE.length]!, "10.00") });
    for (let index = 0; index < 10; index++) {
      requests.push({ expected: 5, params: payParams(720_000 + index, "999999", "10.00") });
      requests.push({ expected: 7, params: payParams(730_000 + index, "100090", "10.00") });
      requests.push({ expected: 79, params: payParams(740_000 + index, "100099", "10.00") });
    }
    const answers = await Promise.all(requests.map(async ({ expected, params }) => ({ expected, params, answer: await osmp(hub.url, params) })));
    for (const { expected, params, answer } of answers) expect({ txn: params.txn_id, result: answer.result }).toEqual({ txn: params.txn_id, result: expected });
    const accepted = answers.filter(({ expected }) => expected === 0);
    expect(new Set(accepted.map(({ answer }) => answer.prvTxn)).size).toBe(60);

    // The same 60 again, half of them with another sum, all at once: repeats answer their first prv_txn, conflicts 300.
    const repeats = await Promise.all(
      accepted.map(async ({ params, answer }, index) => {
        const conflicting = index % 2 === 1;
        const again = await osmp(hub.url, { ...params, sum: conflicting ? "11.00" : params.sum! });
        return { conflicting, first: answer.prvTxn, again };
      }),
    );
    for (const { conflicting, first, again } of repeats) {
      if (conflicting) expect(again.result).toBe(300);
      else expect({ result: again.result, prvTxn: again.prvTxn }).toEqual({ result: 0, prvTxn: first });
    }

    await waitUntilAllCredited(hub);
    expect(await hub.hub.db.inboundPayment.count()).toBe(60);
    expect(await hub.hub.db.suspenseItem.count()).toBe(0);
    const credited = await hub.hub.db.posting.findMany({ where: { kind: "payment-credit" } });
    expect(credited).toHaveLength(60);
    for (const number of ACTIVE) {
      const account = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } });
      expect({ number, balance: account.balanceKopecks }).toEqual({ number, balance: 12n * 1000n });
    }
    await expectLedgerConsistent(hub);
  }, 60_000);
});

describe("credits in one statement, one of which cannot be credited", () => {
  let hub: TestHub;
  beforeAll(async () => {
    // Intake only: the payments stay accepted for the batcher under test to credit.
    hub = await startTestHub({ HUB_ROLE: "server" });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("when one payment of a batch breaks the statement, then its batch-mates are credited one by one and only that payment stays uncredited", async () => {
    const payments: { number: string; id: bigint }[] = [];
    for (const [index, number] of ["100080", ...ACTIVE].entries()) {
      const answer = await osmp(hub.url, payParams(750_000 + index, number, "25.00"));
      expect(answer.result).toBe(0);
      const payment = await hub.hub.db.inboundPayment.findFirstOrThrow({ where: { externalId: String(750_000 + index) } });
      payments.push({ number, id: payment.id });
    }
    // 100083's balance is a kopeck short of bigint's limit: its credit overflows, and so does any statement holding it.
    const overflowing = "100083";
    const nearLimit = 9_223_372_036_854_775_807n - 1n;
    await hub.hub.db.subscriberAccount.update({ where: { number: overflowing }, data: { balanceKopecks: nearLimit } });

    const lines: string[] = [];
    const log = createLogger("warn", new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    const pool = createPool(hub.databaseUrl, 4);
    try {
      // One statement at a time: the first payment goes alone, the five submitted while it runs go together.
      const batcher = createCreditBatcher(pool, log, { maxBatch: 64, maxInFlight: 1 });
      const results = await Promise.all(payments.map(({ id }) => batcher.credit(id).then((result) => result, (error: Error) => `error: ${error.message}`)));
      expect(results).toEqual(payments.map(({ number }) => (number === overflowing ? "error: bigint out of range" : "credited")));
    } finally {
      await pool.end();
    }
    const batchFailures = lines.map((line) => JSON.parse(line) as { msg: string; payments: number }).filter((line) => line.msg.startsWith("a batch of credits failed"));
    expect(batchFailures.map((line) => line.payments)).toEqual([5]);

    for (const { number, id } of payments) {
      const payment = await hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { id } });
      expect({ number, status: payment.status }).toEqual({ number, status: number === overflowing ? "accepted" : "credited" });
    }
    expect((await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: overflowing } })).balanceKopecks).toBe(nearLimit);
    expect((await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100080" } })).balanceKopecks).toBe(5000n);
    expect(await hub.hub.db.posting.count({ where: { kind: "payment-credit" } })).toBe(5);
  }, 60_000);
});
