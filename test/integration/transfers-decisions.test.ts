import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { transfersApi } from "../../src/api/transfers-routes.ts";
import { createPool, type SqlPool } from "../../src/db.ts";
import { reversePayment } from "../../src/payments/reverse-payment.ts";
import { transfersOfPayment } from "../../src/transfers/transfers.ts";
import { expectLedgerConsistent, startTestHub, type TestHub } from "../support/test-hub.ts";
import { AUTOMATION_TOKEN, expectDocumented } from "./cashier-api-client.ts";
import { transfersClient } from "./transfers-client.ts";

// Maker-checker transfers of mis-sent payments: who may decide, what moves and how much, under concurrency.
// Demo accounts 100080…100084 are active and start at zero; every payment comes through OSMP (QIWI terminals).

let hub: TestHub;
let client: ReturnType<typeof transfersClient>;
let t: Awaited<ReturnType<ReturnType<typeof transfersClient>["signInAll"]>>;
let pool: SqlPool;

beforeAll(async () => {
  hub = await startTestHub();
  client = transfersClient(hub);
  t = await client.signInAll();
  pool = createPool(hub.databaseUrl, 2);
});
afterAll(async () => {
  await pool?.end();
  await hub?.stop();
});
afterEach(async () => {
  await expectLedgerConsistent(hub);
});

/** A provider's partial refund of an OSMP payment, as a channel's reverse callback posts it. */
async function refund(txnId: string, key: string, amountKopecks: bigint) {
  const outcome = await reversePayment(pool, { channel: "osmp:qiwi", protocol: "osmp", profile: "qiwi" }, { kind: "reverse", reference: txnId, reversalKey: key, amountKopecks, reason: "refund", externalId: txnId, accountNumber: undefined });
  expect(outcome.kind).toBe("reversed");
}

describe("maker-checker", () => {
  it("when the maker approves or rejects their own request, then 403 and nothing moves; a cashier, the automation token and a second decision are refused too", async () => {
    const { paymentId } = await client.pay("100080", "500.00");
    const before = await client.balances("100080", "100081");
    const id = await client.filed(t.starshiy, { paymentId, to: "100081", amount: "200.00" });

    expect(await client.approve(t.starshiy, id)).toMatchObject({ status: 403, json: { error: "maker_cannot_decide" } });
    expect(await client.reject(t.starshiy, id, "передумал")).toMatchObject({ status: 403, json: { error: "maker_cannot_decide" } });
    expect(await client.approve(t.kassir1, id)).toMatchObject({ status: 403, json: { error: "forbidden" } });
    expect(await client.approve(AUTOMATION_TOKEN, id)).toMatchObject({ status: 403, json: { error: "staff_only" } });
    expect(await client.file(AUTOMATION_TOKEN, { paymentId, to: "100081", amount: "1.00" })).toMatchObject({ status: 403, json: { error: "staff_only" } });
    expect(await client.balances("100080", "100081")).toEqual(before);
    expect(await client.postingsOf(paymentId)).toEqual([]);

    const approved = await client.approve(t.starshiy2, id, { note: "квитанция сверена" });
    expect(approved.status, JSON.stringify(approved.json)).toBe(200);
    expectDocumented(transfersApi.routes.approve, 200, approved.json);
    expect(approved.json).toMatchObject({ status: "approved", checker: { login: "starshiy2" }, maker: { login: "starshiy" }, decisionNote: "квитанция сверена", allowNegative: false });
    expect(await client.balances("100080", "100081")).toEqual([before[0]! - 20000n, before[1]! + 20000n]);
    expect(await client.approve(t.admin, id)).toMatchObject({ status: 409, json: { error: "already_decided" } });
    expect(await client.reject(t.admin, id, "поздно")).toMatchObject({ status: 409, json: { error: "already_decided" } });

    // The database refuses a checker who is the maker too.
    const row = await hub.hub.db.transferRequest.findUniqueOrThrow({ where: { id: Number(id) } });
    await expect(hub.hub.db.$executeRawUnsafe("UPDATE transfer_request SET checker_id = maker_id WHERE id = $1::int", row.id)).rejects.toThrow(/checker_not_maker/);

    // Both accounts show the movement with its reason; the audit log has both steps.
    for (const [account, amount] of [["100080", "-200.00"], ["100081", "200.00"]] as const) {
      const shown = await client.api.expectStatus(200, "GET", `/api/accounts/${account}`, AUTOMATION_TOKEN);
      expect(shown.movements[0]).toMatchObject({ kind: "transfer", amount, paymentId, memo: expect.stringContaining(`transfer #${id}`) });
      expect(shown.movements[0].memo).toContain("плательщик ошибся в номере счёта");
    }
    const audit = await client.api.expectStatus(200, "GET", `/api/audit?action=transfer`, t.starshiy);
    expect(audit.entries.filter((entry: { target: string }) => entry.target === `transfer:${id}`).map((entry: { action: string }) => entry.action)).toEqual(["transfer.approve", "transfer.file"]);
  });

  it("when a pending request is rejected with a note, then nothing moves and its amount can be asked again", async () => {
    const { paymentId } = await client.pay("100082", "300.00");
    const id = await client.filed(t.kassir1, { paymentId, to: "100083", amount: "300.00" });
    expect(await client.file(t.kassir2, { paymentId, to: "100084", amount: "0.01" })).toMatchObject({ status: 409, json: { error: "amount_exceeds_payment" } });
    expect(await client.api.call("POST", `/api/transfers/${id}/reject`, t.starshiy, { note: "" })).toMatchObject({ status: 400 });
    const rejected = await client.reject(t.starshiy, id, "на квитанции другой счёт");
    expect(rejected).toMatchObject({ status: 200, json: { status: "rejected", decisionNote: "на квитанции другой счёт", postingId: null } });
    expect(await client.balances("100082", "100083")).toEqual([30000n, 0n]);
    expect(await client.approve(t.starshiy2, id)).toMatchObject({ status: 409, json: { error: "already_decided" } });
    await client.filed(t.kassir2, { paymentId, to: "100084", amount: "300.00" });
  });
});

describe("concurrent approvals", () => {
  it("when two supervisors and an admin approve one request at once, then the money moves exactly once (several rounds)", async () => {
    const payments = await client.payAll(Array.from({ length: 5 }, () => ["100083", "300.00"] as [string, string]));
    for (const { paymentId } of payments) {
      const before = await client.balances("100083", "100084");
      const id = await client.filed(t.kassir1, { paymentId, to: "100084", amount: "300.00" });
      const answers = await Promise.all([client.approve(t.starshiy, id), client.approve(t.starshiy2, id), client.approve(t.admin, id)]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409, 409]);
      for (const answer of answers.filter((one) => one.status === 409)) expect(answer.json).toMatchObject({ error: "already_decided" });
      expect(await client.balances("100083", "100084")).toEqual([before[0]! - 30000n, before[1]! + 30000n]);
      const postings = await client.postingsOf(paymentId);
      expect(postings).toHaveLength(1);
      expect(postings[0]!.entries.map((entry) => entry.amountKopecks).sort()).toEqual([-30000n, 30000n]);
    }
    await expectLedgerConsistent(hub);
  });

  it("when two requests of one payment are approved at once after a refund left too little for both, then only one moves", async () => {
    const payments = await client.payAll(Array.from({ length: 3 }, () => ["100080", "500.00"] as [string, string]));
    for (const { paymentId, txnId } of payments) {
      const [a, b] = [await client.filed(t.kassir1, { paymentId, to: "100081", amount: "300.00" }), await client.filed(t.kassir2, { paymentId, to: "100082", amount: "200.00" })];
      await refund(txnId, "r1", 10000n);
      const answers = await Promise.all([client.approve(t.starshiy, a), client.approve(t.starshiy2, b)]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
      expect(answers.find((answer) => answer.status === 409)!.json).toMatchObject({ error: "amount_exceeds_payment" });
      const story = (await transfersOfPayment(hub.hub.db, BigInt(paymentId)))!;
      expect(story.payment.reversedKopecks + story.payment.transferredKopecks).toBeLessThanOrEqual(50000n);
      expect(story.transfers.map((transfer) => transfer.status).sort()).toEqual(["approved", "pending"]);
    }
  });
});

describe("how much may move", () => {
  it("when a request asks more than the payment, than is left after an approved transfer or a refund, or than open requests leave, then 409", async () => {
    const { paymentId, txnId } = await client.pay("100081", "500.00");
    const over = await client.file(t.kassir1, { paymentId, to: "100082", amount: "500.01" });
    expect(over).toMatchObject({ status: 409, json: { error: "amount_exceeds_payment" } });
    expect(over.json!.message).toContain("at most 500.00 ₽");

    const first = await client.filed(t.kassir1, { paymentId, to: "100082", amount: "300.00" });
    expect(await client.file(t.kassir2, { paymentId, to: "100082", amount: "200.01" })).toMatchObject({ status: 409, json: { error: "amount_exceeds_payment" } });
    expect((await client.approve(t.starshiy, first)).status).toBe(200);
    expect(await client.file(t.kassir2, { paymentId, to: "100083", amount: "250.00" })).toMatchObject({ status: 409, json: { error: "amount_exceeds_payment" } });

    await refund(txnId, "r1", 5000n);
    const left = await client.api.expectStatus(200, "GET", `/api/transfers/find-payment?paymentId=${paymentId}`, t.kassir1);
    expect(left.payments[0]).toMatchObject({ amount: "500.00", reversed: "50.00", transferred: "300.00", pending: "0.00", left: "150.00", requestable: "150.00" });
    expect(await client.file(t.kassir2, { paymentId, to: "100083", amount: "150.01" })).toMatchObject({ status: 409, json: { error: "amount_exceeds_payment" } });
    const last = await client.filed(t.kassir2, { paymentId, to: "100083", amount: "150.00" });
    expect((await client.approve(t.starshiy2, last)).status).toBe(200);
    const story = (await transfersOfPayment(hub.hub.db, BigInt(paymentId)))!;
    expect(story.payment).toMatchObject({ amountKopecks: 50000n, reversedKopecks: 5000n, transferredKopecks: 45000n, pendingKopecks: 0n, leftKopecks: 0n });
    expect(story.transfers.map((transfer) => [transfer.to, transfer.amountKopecks, transfer.status])).toEqual([["100082", 30000n, "approved"], ["100083", 15000n, "approved"]]);
  });

  it("when the payment is not on the from-account's side or the to-account is wrong, then the request is refused", async () => {
    const { paymentId } = await client.pay("100084", "100.00");
    expect(await client.file(t.kassir1, { paymentId, to: "100084", amount: "1.00" })).toMatchObject({ status: 409, json: { error: "same_account" } });
    expect(await client.file(t.kassir1, { paymentId, to: "100090", amount: "1.00" })).toMatchObject({ status: 409, json: { error: "account_not_active" } });
    expect(await client.file(t.kassir1, { paymentId, to: "100099", amount: "1.00" })).toMatchObject({ status: 409, json: { error: "account_not_active" } });
    expect(await client.file(t.kassir1, { paymentId, to: "999999", amount: "1.00" })).toMatchObject({ status: 404, json: { error: "account_not_found" } });
    expect(await client.file(t.kassir1, { paymentId: "999999999", to: "100080", amount: "1.00" })).toMatchObject({ status: 404, json: { error: "payment_not_found" } });
    expect(await client.file(t.kassir1, { paymentId, to: "100080", amount: "1.00", reason: " " })).toMatchObject({ status: 400 });
  });
});

describe("reversing a transfer", () => {
  it("when an approved transfer is reversed, then both balances are as before, once, and the payment's money can be asked again", async () => {
    const { paymentId } = await client.pay("100082", "400.00");
    const before = await client.balances("100082", "100080");
    const id = await client.filed(t.kassir1, { paymentId, to: "100080", amount: "400.00" });
    expect(await client.reverse(t.starshiy, id, { reason: "ещё не проведён" })).toMatchObject({ status: 409, json: { error: "not_approved" } });
    expect((await client.approve(t.starshiy, id)).status).toBe(200);
    expect(await client.balances("100082", "100080")).toEqual([before[0]! - 40000n, before[1]! + 40000n]);

    expect(await client.reverse(t.kassir1, id, { reason: "плательщик передумал" })).toMatchObject({ status: 403 });
    expect(await client.reverse(AUTOMATION_TOKEN, id, { reason: "плательщик передумал" })).toMatchObject({ status: 403, json: { error: "staff_only" } });
    const answers = await Promise.all([client.reverse(t.starshiy2, id, { reason: "оказалось, счёт был верный" }), client.reverse(t.admin, id, { reason: "оказалось, счёт был верный" })]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const reversed = answers.find((answer) => answer.status === 200)!;
    expectDocumented(transfersApi.routes.reverse, 200, reversed.json);
    expect(reversed.json).toMatchObject({ status: "reversed", reversal: { reason: "оказалось, счёт был верный" } });
    expect(await client.balances("100082", "100080")).toEqual(before);

    const [transfer, reversal] = await client.postingsOf(paymentId);
    expect(reversal).toMatchObject({ kind: "transfer-reversal", reversesPostingId: transfer!.id, paymentId: BigInt(paymentId) });
    expect(reversal!.memo).toContain(`reversal of transfer #${id}`);
    const shown = await client.api.expectStatus(200, "GET", "/api/accounts/100080", AUTOMATION_TOKEN);
    expect(shown.movements[0]).toMatchObject({ kind: "transfer-reversal", amount: "-400.00", memo: expect.stringContaining("оказалось, счёт был верный") });
    const found = await client.api.expectStatus(200, "GET", `/api/transfers/find-payment?paymentId=${paymentId}`, t.kassir1);
    expect(found.payments[0]).toMatchObject({ transferred: "0.00", left: "400.00" });
  });
});

/**
 * Takes money out of an account by a balanced correction posting (subscriber −, the QIWI clearing account +), as a
 * correction outside payhub's own flows would: the only way an account's balance can fall below what is left of its
 * payments, since refunds and storno never take more than that.
 */
async function debit(account: string, kopecks: bigint) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const posting = await client.query<{ id: string }>("INSERT INTO posting (kind, memo) VALUES ('test-correction', 'test: money taken out') RETURNING id");
    await client.query(
      `INSERT INTO ledger_entry (posting_id, ledger_account_id, amount_kopecks)
       SELECT $1::bigint, s.ledger_account_id, -$3::bigint FROM subscriber_account s WHERE s.number = $2
       UNION ALL SELECT $1::bigint, l.id, $3::bigint FROM ledger_account l WHERE l.code = 'clearing:osmp:qiwi'`,
      [posting.rows[0]!.id, account, kopecks],
    );
    await client.query("UPDATE subscriber_account SET balance_kopecks = balance_kopecks - $2::bigint WHERE number = $1", [account, kopecks]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}

describe("provider refunds after a transfer", () => {
  it("when the provider refunds a payment whose money was transferred away, then only what is left on its account can go back", async () => {
    const { paymentId, txnId } = await client.pay("100082", "300.00");
    const id = await client.filed(t.kassir1, { paymentId, to: "100083", amount: "200.00" });
    expect((await client.approve(t.starshiy, id)).status).toBe(200);
    const before = await client.balances("100082", "100083");
    const rest = await reversePayment(pool, { channel: "osmp:qiwi", protocol: "osmp", profile: "qiwi" }, { kind: "reverse", reference: txnId, reversalKey: "r-all", amountKopecks: undefined, reason: "refund", externalId: txnId, accountNumber: undefined });
    expect(rest.kind).toBe("reversed");
    expect(rest).toMatchObject({ amountKopecks: 10000n });
    const more = await reversePayment(pool, { channel: "osmp:qiwi", protocol: "osmp", profile: "qiwi" }, { kind: "reverse", reference: txnId, reversalKey: "r-more", amountKopecks: 100n, reason: "refund", externalId: txnId, accountNumber: undefined });
    expect(more).toMatchObject({ kind: "operationRefused", reason: expect.stringContaining("reverse the transfer first") });
    expect(await client.balances("100082", "100083")).toEqual([before[0]! - 10000n, before[1]!]);
  });
});

describe("the from-account's balance", () => {
  it("when the transfer would take the from-account below zero, then 409 with the balance and the shortfall, and allowNegative approves it", async () => {
    // A fresh account 200084 gives 500.00 away, then a correction takes 100.00 more out of it: -100.00.
    await client.api.expectStatus(201, "PUT", "/api/accounts/200084", AUTOMATION_TOKEN, { ownerName: "Ошибкин Пётр Петрович" });
    const first = await client.pay("200084", "500.00");
    const away = await client.filed(t.kassir1, { paymentId: first.paymentId, to: "100083", amount: "500.00" });
    expect((await client.approve(t.starshiy, away)).status).toBe(200);
    await debit("200084", 10000n);
    expect(await client.balance("200084")).toBe(-10000n);
    const { paymentId } = await client.pay("200084", "200.00");
    expect(await client.balance("200084")).toBe(10000n);

    const id = await client.filed(t.kassir2, { paymentId, to: "100083", amount: "200.00" });
    const refused = await client.approve(t.starshiy2, id);
    expect(refused).toMatchObject({ status: 409, json: { error: "insufficient_balance" } });
    expect(refused.json!.message).toContain("has 100.00 ₽");
    expect(refused.json!.message).toContain("100.00 ₽ short");
    expect(await client.balance("200084")).toBe(10000n);
    expect((await client.api.expectStatus(200, "GET", `/api/transfers/${id}`, t.kassir2)).status).toBe("pending");

    const approved = await client.approve(t.starshiy2, id, { allowNegative: true });
    expect(approved).toMatchObject({ status: 200, json: { status: "approved", allowNegative: true } });
    expect(await client.balance("200084")).toBe(-10000n);

    // The reversal's rule is the same for the to-account: 200083 (fresh) got 200.00 and spent it (it went back).
    await client.api.expectStatus(201, "PUT", "/api/accounts/200083", AUTOMATION_TOKEN, { ownerName: "Правильнов Иван Ильич" });
    const { paymentId: third } = await client.pay("200084", "50.00");
    const forward = await client.filed(t.kassir1, { paymentId: third, to: "200083", amount: "50.00" });
    expect((await client.approve(t.starshiy, forward, { allowNegative: true })).status).toBe(200);
    const onward = await client.pay("200083", "30.00");
    const spent = await client.filed(t.kassir1, { paymentId: onward.paymentId, to: "100080", amount: "30.00" });
    expect((await client.approve(t.starshiy, spent)).status).toBe(200);
    await debit("200083", 3000n);
    expect(await client.balance("200083")).toBe(2000n);
    const short = await client.reverse(t.starshiy2, forward, { reason: "ошибка в заявке" });
    expect(short).toMatchObject({ status: 409, json: { error: "insufficient_balance" } });
    expect(short.json!.message).toContain("has 20.00 ₽");
    expect((await client.reverse(t.starshiy2, forward, { reason: "ошибка в заявке", allowNegative: true })).status).toBe(200);
    expect(await client.balances("200083", "200084")).toEqual([-3000n, -10000n + 5000n]);
  });
});
