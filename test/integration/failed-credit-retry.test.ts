import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureLedgerAccounts } from "../../src/ledger/ledger-accounts.ts";
import { ALL_CHANNELS } from "../../src/channels/index.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { expectLedgerConsistent, startTestHub, waitFor, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// A credit that cannot succeed (here: the channel's clearing account is missing, so its posting cannot balance) is
// retried with backoff, then lands in `failed` with the reason, where an operator sees it and retries it.

const AUTH = { authorization: "Bearer test-admin-token-0123456789" };
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ CREDIT_ATTEMPTS: "3", CREDIT_BACKOFF_MS: "20" });
});
afterAll(async () => {
  await hub?.stop();
});

it("when crediting keeps failing, then the payment is marked failed with the reason, credits nothing, and an operator's retry credits it once", async () => {
  await hub.hub.db.ledgerAccount.delete({ where: { code: "clearing:osmp:epos" } });
  const answer = await osmp(hub.url, payParams(42, "100083", "250.00"), { profile: "epos" });
  // The provider was told OK: the payment is durable; crediting is the hub's own business from here on.
  expect(answer.result).toBe(0);

  const failed = await waitFor("the payment to be marked failed", async () => {
    const list = (await fetch(`${hub.url}/api/payments?status=failed`, { headers: AUTH }).then((response) => response.json())) as { payments: Record<string, unknown>[] };
    return list.payments.length === 1 ? list.payments[0] : undefined;
  });
  expect(failed).toMatchObject({ id: answer.prvTxn, channel: "osmp:epos", externalId: "42", account: "100083", amount: "250.00", status: "failed" });
  expect(String(failed.failureReason)).toMatch(/unbalanced/);
  const account = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100083" } });
  expect(account.balanceKopecks).toBe(0n);
  await expectLedgerConsistent(hub);

  // Retrying something that has not failed is refused.
  const other = await osmp(hub.url, payParams(43, "100083", "1.00"), { profile: "qiwi" });
  await waitFor("the qiwi payment to be credited", async () => (await hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { id: BigInt(other.prvTxn!) } })).status === "credited");
  expect((await fetch(`${hub.url}/api/payments/${other.prvTxn}/retry`, { method: "POST", headers: AUTH })).status).toBe(409);
  expect((await fetch(`${hub.url}/api/payments/999999/retry`, { method: "POST", headers: AUTH })).status).toBe(404);

  // The operator fixes the cause and retries: credited once, even if the retry is clicked twice.
  await ensureLedgerAccounts(hub.hub.db, ALL_CHANNELS);
  const retries = await Promise.all([1, 2].map(() => fetch(`${hub.url}/api/payments/${answer.prvTxn}/retry`, { method: "POST", headers: AUTH })));
  expect(retries.map((response) => response.status).sort()).toEqual([202, 409]);
  await waitUntilAllCredited(hub);
  // Who retried is on record: the one retry that happened, by the automation token.
  const audited = await hub.hub.db.auditEntry.findMany({ where: { action: "payment.retry", target: `payment:${answer.prvTxn}` } });
  expect(audited).toEqual([expect.objectContaining({ actor: "automation" })]);

  const story = (await fetch(`${hub.url}/api/payments/${answer.prvTxn}`, { headers: AUTH }).then((response) => response.json())) as {
    postings: { entries: unknown[] }[];
  };
  expect(story).toMatchObject({ status: "credited", failureReason: null, response: answer.body });
  expect(story.postings).toHaveLength(1);
  expect(story.postings[0]!.entries).toEqual(
    expect.arrayContaining([
      { ledgerAccount: "subscriber:100083", amount: "250.00" },
      { ledgerAccount: "clearing:osmp:epos", amount: "-250.00" },
    ]),
  );
  const after = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100083" } });
  expect(after.balanceKopecks).toBe(25100n);
  await expectLedgerConsistent(hub);
});

it("when the payments API is called without the bearer token, then it is refused", async () => {
  expect((await fetch(`${hub.url}/api/payments?status=failed`)).status).toBe(401);
  expect((await fetch(`${hub.url}/api/payments/1/retry`, { method: "POST" })).status).toBe(401);
});
