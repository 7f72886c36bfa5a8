import { afterAll, beforeAll, expect, it } from "vitest";
import { DEMO_ACCOUNTS } from "../../src/accounts/demo-accounts.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// A terminal network that times out re-sends the same pay; several of its nodes may do so at once.

const PAYMENTS = 200;
const COPIES = 5;
const ACTIVE = DEMO_ACCOUNTS.filter((account) => account.input.status === "active").map((account) => account.number);

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => {
  await hub?.stop();
});

it(`when ${PAYMENTS} distinct payments are each sent ${COPIES} times concurrently, then each is credited exactly once`, async () => {
  const before = new Map<string, bigint>();
  for (const account of await hub.hub.db.subscriberAccount.findMany()) before.set(account.number, account.balanceKopecks);

  const expected = new Map<string, bigint>();
  const requests = [];
  for (let index = 0; index < PAYMENTS; index++) {
    const account = ACTIVE[index % ACTIVE.length]!;
    const kopecks = BigInt(100 + index); // 1.00, 1.01, … so that every payment's sum is distinct
    expected.set(account, (expected.get(account) ?? 0n) + kopecks);
    const sum = `${kopecks / 100n}.${(kopecks % 100n).toString().padStart(2, "0")}`;
    for (let copy = 0; copy < COPIES; copy++) {
      requests.push(
        osmp(hub.url, payParams(900000 + index, account, sum), { method: copy % 2 === 0 ? "GET" : "POST" }).then((answer) => ({ index, answer })),
      );
    }
  }
  const answers = await Promise.all(requests);

  const prvTxnsByPayment = new Map<number, Set<string | undefined>>();
  for (const { index, answer } of answers) {
    expect(answer.result, answer.body).toBe(0);
    const seen = prvTxnsByPayment.get(index) ?? new Set();
    seen.add(answer.prvTxn);
    prvTxnsByPayment.set(index, seen);
  }
  // All answers for one txn_id carry the same prv_txn, and distinct txn_ids got distinct prv_txns.
  for (const seen of prvTxnsByPayment.values()) expect(seen.size).toBe(1);
  const allPrvTxns = new Set([...prvTxnsByPayment.values()].map((seen) => [...seen][0]));
  expect(allPrvTxns.size).toBe(PAYMENTS);

  await waitUntilAllCredited(hub);
  expect(await hub.hub.db.inboundPayment.count()).toBe(PAYMENTS);
  expect(await hub.hub.db.posting.count({ where: { kind: "payment-credit" } })).toBe(PAYMENTS);
  for (const [account, credited] of expected) {
    const after = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: account } });
    expect(after.balanceKopecks - (before.get(account) ?? 0n)).toBe(credited);
  }
  await expectLedgerConsistent(hub);
}, 120_000);
