import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, inTransaction, prismaTransactionClient, type SqlClient, type SqlPool } from "../../src/db.ts";
import { ledgerCodes } from "../../src/ledger/ledger-accounts.ts";
import { post, UnbalancedPostingError, type PostingInput } from "../../src/ledger/post.ts";
import { reverseInTransaction, reversePayment } from "../../src/payments/reverse-payment.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { yoomoneyNotification } from "../support/signed-requests.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";
import { transfersClient } from "./transfers-client.ts";

// The ledger's invariants where its writer lives (src/ledger): post() refuses an unbalanced posting before anything
// is written; every posting and entry is append-only; after each kind of movement of money (credit, provider
// reversal, cash storno, transfer, transfer reversal, suspense assignment) every cached balance equals the sum of its
// entries, the whole ledger sums to zero, the movement's own entries moved exactly the balances they name, and the
// posting has its billing notification. Demo accounts 100080…100084 are active and start at zero.

const YOOMONEY_SECRET = "ledger-writer-ym-secret";

let hub: TestHub;
let pool: SqlPool;
let client: ReturnType<typeof transfersClient>;
let t: Awaited<ReturnType<ReturnType<typeof transfersClient>["signInAll"]>>;

beforeAll(async () => {
  hub = await startTestHub({ YOOMONEY_NOTIFICATION_SECRET: YOOMONEY_SECRET });
  pool = createPool(hub.databaseUrl, 4);
  client = transfersClient(hub);
  t = await client.signInAll();
});
afterAll(async () => {
  await pool?.end();
  await hub?.stop();
});

/** How many rows the ledger holds, and every subscriber's cached balance. */
async function ledgerState() {
  const db = hub.hub.db;
  const [postings, entries, notifications, accounts] = await Promise.all([
    db.posting.count(),
    db.ledgerEntry.count(),
    db.billingNotification.count(),
    db.subscriberAccount.findMany({ select: { number: true, balanceKopecks: true } }),
  ]);
  return { postings, entries, notifications, balances: Object.fromEntries(accounts.map((account) => [account.number, account.balanceKopecks])) };
}

const ledgerId = async (number: string) => (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } })).ledgerAccountId;
const lastPostingId = async () => (await hub.hub.db.posting.findFirst({ orderBy: { id: "desc" } }))?.id ?? 0n;

/** Every way of changing a written posting or its entries is refused, and the posting is as it was. */
async function expectAppendOnly(postingId: bigint): Promise<void> {
  const db = hub.hub.db;
  const before = await db.posting.findUniqueOrThrow({ where: { id: postingId }, include: { entries: { orderBy: { id: "asc" } } } });
  const id = postingId.toString();
  await expect(db.$executeRawUnsafe("UPDATE posting SET memo = 'changed', kind = 'changed' WHERE id = $1::bigint", id)).rejects.toThrow(/append-only/);
  await expect(db.$executeRawUnsafe("DELETE FROM posting WHERE id = $1::bigint", id)).rejects.toThrow(/append-only/);
  await expect(db.$executeRawUnsafe("UPDATE ledger_entry SET amount_kopecks = 0 WHERE posting_id = $1::bigint", id)).rejects.toThrow(/append-only/);
  await expect(db.$executeRawUnsafe("UPDATE ledger_entry SET ledger_account_id = ledger_account_id WHERE posting_id = $1::bigint", id)).rejects.toThrow(/append-only/);
  await expect(db.$executeRawUnsafe("DELETE FROM ledger_entry WHERE posting_id = $1::bigint", id)).rejects.toThrow(/append-only/);
  expect(await db.posting.findUniqueOrThrow({ where: { id: postingId }, include: { entries: { orderBy: { id: "asc" } } } })).toEqual(before);
}

/**
 * Runs one movement and checks what it wrote: the postings of the kinds expected (in order), each balanced with its
 * billing notification and append-only; every subscriber balance moved by exactly its entries in them (and as
 * expected); the whole ledger consistent. Answers the new postings.
 */
async function expectMovement(kinds: string[], balanceDeltas: Record<string, bigint>, movement: () => Promise<unknown>) {
  const after = await lastPostingId();
  const before = await ledgerState();
  await movement();
  const db = hub.hub.db;
  const postings = await db.posting.findMany({ where: { id: { gt: after } }, include: { entries: { include: { ledgerAccount: { include: { subscriber: true } } }, orderBy: { id: "asc" } }, billing: true }, orderBy: { id: "asc" } });
  expect(postings.map((posting) => posting.kind)).toEqual(kinds);
  const moved: Record<string, bigint> = {};
  for (const posting of postings) {
    expect(posting.entries.length).toBeGreaterThanOrEqual(2);
    expect(posting.entries.reduce((sum, entry) => sum + entry.amountKopecks, 0n)).toBe(0n);
    expect(posting.billing).toMatchObject({ postingId: posting.id, kind: posting.kind });
    for (const entry of posting.entries) {
      const number = entry.ledgerAccount.subscriber?.number;
      if (number !== undefined) moved[number] = (moved[number] ?? 0n) + entry.amountKopecks;
    }
    await expectAppendOnly(posting.id);
  }
  expect(moved).toEqual(balanceDeltas);
  const now = await ledgerState();
  const changed = Object.fromEntries(Object.entries(now.balances).filter(([number, balance]) => balance !== before.balances[number]).map(([number, balance]) => [number, balance - (before.balances[number] ?? 0n)]));
  expect(changed).toEqual(Object.fromEntries(Object.entries(balanceDeltas).filter(([, delta]) => delta !== 0n)));
  expect(now.postings - before.postings).toBe(kinds.length);
  expect(now.notifications - before.notifications).toBe(kinds.length);
  await expectLedgerConsistent(hub);
  return postings;
}

describe("the posting writer", () => {
  const unbalanced: PostingInput = {
    kind: "transfer",
    memo: "ledger-writer: unbalanced",
    entries: [
      { ledgerAccount: ledgerCodes.commission, amountKopecks: -100n },
      { ledgerAccount: ledgerCodes.suspense, amountKopecks: 99n },
    ],
  };

  it("when the entries do not sum to zero or have one leg, then post() refuses before sending anything and nothing is written", async () => {
    const before = await ledgerState();
    const sent: string[] = [];
    const recorder: SqlClient = { query: async (text: string) => (sent.push(text), { rows: [] }) };
    await expect(post(recorder, unbalanced)).rejects.toThrow(UnbalancedPostingError);
    await expect(post(recorder, unbalanced)).rejects.toThrow(/entries sum to -1 kopecks instead of 0/);
    await expect(post(recorder, { ...unbalanced, entries: [{ ledgerAccount: ledgerCodes.commission, amountKopecks: 0n }] })).rejects.toThrow(/at least two entries/);
    await expect(post(recorder, { ...unbalanced, entries: [] })).rejects.toThrow(/at least two entries/);
    expect(sent).toEqual([]);
    // On a real connection in a transaction, the same, and the transaction rolls back with nothing written.
    await expect(inTransaction(pool, (sql) => post(sql, unbalanced))).rejects.toThrow(UnbalancedPostingError);
    expect(await ledgerState()).toEqual(before);
  });

  it("when a ledger account code does not exist, then the statement fails as a whole and nothing is written", async () => {
    const before = await ledgerState();
    const unknown: PostingInput = { ...unbalanced, entries: [{ ledgerAccount: ledgerCodes.commission, amountKopecks: -100n }, { ledgerAccount: "clearing:nowhere", amountKopecks: 100n }] };
    // Outside a transaction too: the posting, its entries and the balances are one statement.
    const connection = await pool.connect();
    try {
      await expect(post(connection, unknown)).rejects.toThrow(/ledger_account_id/);
    } finally {
      connection.release();
    }
    expect(await ledgerState()).toEqual(before);
  });

  it("when a balanced posting is written over pg or in a Prisma transaction, then its entries are in order and every subscriber among them moves by its entries", async () => {
    const [from, to] = [await ledgerId("100083"), await ledgerId("100084")];
    const [first] = await expectMovement(["transfer"], { "100083": -300n, "100084": 200n }, () =>
      inTransaction(pool, (sql) =>
        post(sql, {
          kind: "transfer",
          memo: "ledger-writer: three legs",
          entries: [
            { ledgerAccount: from, amountKopecks: -300n },
            { ledgerAccount: to, amountKopecks: 200n },
            { ledgerAccount: ledgerCodes.commission, amountKopecks: 100n },
          ],
        }),
      ),
    );
    expect(first!.entries.map((entry) => [entry.ledgerAccount.code, entry.amountKopecks])).toEqual([
      ["subscriber:100083", -300n],
      ["subscriber:100084", 200n],
      [ledgerCodes.commission, 100n],
    ]);
    expect(first).toMatchObject({ memo: "ledger-writer: three legs", paymentId: null, creditOfPaymentId: null, reversesPostingId: null });

    // The same account twice moves by both; the posting id comes back as the bigint it is, whichever driver ran it.
    let postingId: bigint | undefined;
    const [second] = await expectMovement(["transfer-reversal"], { "100083": 300n, "100084": -200n }, async () => {
      postingId = await hub.hub.db.$transaction((tx) =>
        post(prismaTransactionClient(tx), {
          kind: "transfer-reversal",
          reversesPostingId: first!.id,
          memo: "ledger-writer: back",
          entries: [
            { ledgerAccount: ledgerCodes.commission, amountKopecks: -100n },
            { ledgerAccount: to, amountKopecks: -200n },
            { ledgerAccount: from, amountKopecks: 100n },
            { ledgerAccount: from, amountKopecks: 200n },
          ],
        }),
      );
    });
    expect(postingId).toBe(second!.id);
    expect(second).toMatchObject({ reversesPostingId: first!.id });
  });
});

describe("every movement of money keeps the ledger consistent", () => {
  const txnId = String(Date.now() % 1_000_000_000);
  let paymentId: string;

  it("credit: the worker's one statement posts payment-credit (subscriber +, clearing −)", async () => {
    const [credit] = await expectMovement(["payment-credit"], { "100080": 50_000n }, async () => {
      expect((await osmp(hub.url, payParams(txnId, "100080", "500.00"))).result).toBe(0);
      await waitUntilAllCredited(hub);
    });
    paymentId = credit!.paymentId!.toString();
    expect(credit).toMatchObject({ creditOfPaymentId: credit!.paymentId, memo: `credit of payment ${paymentId} via osmp:qiwi` });
    expect(credit!.entries.map((entry) => [entry.ledgerAccount.code, entry.amountKopecks])).toEqual([
      ["subscriber:100080", 50_000n],
      ["clearing:osmp:qiwi", -50_000n],
    ]);
  });

  it("provider reversal: provider-reversal linked to the credit (subscriber −, clearing +)", async () => {
    const [reversal] = await expectMovement(["provider-reversal"], { "100080": -10_000n }, async () => {
      const outcome = await reversePayment(pool, { channel: "osmp:qiwi", protocol: "osmp", profile: "qiwi" }, { kind: "reverse", reference: txnId, reversalKey: "refund-1", amountKopecks: 10_000n, reason: "refund", externalId: txnId, accountNumber: undefined });
      expect(outcome).toMatchObject({ kind: "reversed", amountKopecks: 10_000n, repeat: false });
    });
    const credit = await hub.hub.db.posting.findUniqueOrThrow({ where: { creditOfPaymentId: BigInt(paymentId) } });
    expect(reversal).toMatchObject({ paymentId: BigInt(paymentId), reversesPostingId: credit.id, memo: `refund of payment ${paymentId} via osmp:qiwi (refund-1)` });
    expect(reversal!.entries.map((entry) => [entry.ledgerAccount.code, entry.amountKopecks])).toEqual([
      ["subscriber:100080", -10_000n],
      ["clearing:osmp:qiwi", 10_000n],
    ]);
    expect(await hub.hub.db.paymentReversal.findFirstOrThrow({ where: { paymentId: BigInt(paymentId) } })).toMatchObject({ postingId: reversal!.id, amountKopecks: 10_000n });
  });

  it("a reversal that outruns the queued credit: the credit statement and the reversal in one transaction, over pg or Prisma", async () => {
    const account = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100084" } });
    const source = { channel: "osmp:qiwi", protocol: "osmp", profile: "qiwi" };
    // Recorded as intake records a payment, without its outbox row: the worker never sees it, only the reversal.
    const accepted = (externalId: string) =>
      hub.hub.db.inboundPayment.create({ data: { ...source, externalId, accountNumber: "100084", accountId: account.id, amountKopecks: 7_000n, request: {} } });
    const refund = (externalId: string) => ({ kind: "reverse" as const, reference: externalId, reversalKey: "r", amountKopecks: 2_000n, reason: "refund" as const, externalId, accountNumber: undefined });
    for (const [externalId, reverse] of [
      [`outrun-pg-${txnId}`, (externalId: string) => reversePayment(pool, source, refund(externalId))],
      [`outrun-prisma-${txnId}`, (externalId: string) => hub.hub.db.$transaction(async (tx) => (await reverseInTransaction(prismaTransactionClient(tx), source, refund(externalId))).outcome)],
    ] as const) {
      const payment = await accepted(externalId);
      const [credit, reversal] = await expectMovement(["payment-credit", "provider-reversal"], { "100084": 5_000n }, async () => {
        expect(await reverse(externalId)).toMatchObject({ kind: "reversed", amountKopecks: 2_000n, repeat: false });
      });
      expect(credit).toMatchObject({ creditOfPaymentId: payment.id, memo: `credit of payment ${payment.id} via osmp:qiwi` });
      expect(reversal).toMatchObject({ reversesPostingId: credit!.id, memo: `refund of payment ${payment.id} via osmp:qiwi (r)` });
      expect(await hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "credited" });
    }
  });

  let transferId: string;
  it("transfer: an approved request posts transfer (wrong account −, right account +)", async () => {
    transferId = await client.filed(t.kassir1, { paymentId, to: "100081", amount: "150.00" });
    const [transfer] = await expectMovement(["transfer"], { "100080": -15_000n, "100081": 15_000n }, async () => {
      expect((await client.approve(t.starshiy, transferId)).status).toBe(200);
    });
    expect(transfer).toMatchObject({ paymentId: BigInt(paymentId), reversesPostingId: null, memo: expect.stringMatching(new RegExp(`^transfer #${transferId} of payment ${paymentId} \\(osmp:qiwi ${txnId}\\) from 100080 to 100081: `)) });
    expect(transfer!.entries.map((entry) => [entry.ledgerAccount.code, entry.amountKopecks])).toEqual([
      ["subscriber:100080", -15_000n],
      ["subscriber:100081", 15_000n],
    ]);
  });

  it("transfer reversal: transfer-reversal linked to the transfer (right account −, wrong account +)", async () => {
    const [reversal] = await expectMovement(["transfer-reversal"], { "100080": 15_000n, "100081": -15_000n }, async () => {
      expect((await client.reverse(t.starshiy2, transferId, { reason: "перенос по ошибке" })).status).toBe(200);
    });
    const request = await hub.hub.db.transferRequest.findUniqueOrThrow({ where: { id: Number(transferId) } });
    expect(reversal).toMatchObject({ reversesPostingId: request.postingId, memo: `reversal of transfer #${transferId} of payment ${paymentId}, back from 100081 to 100080: перенос по ошибке` });
    expect(request.reversalPostingId).toBe(reversal!.id);
    expect(reversal!.entries.map((entry) => [entry.ledgerAccount.code, entry.amountKopecks])).toEqual([
      ["subscriber:100081", -15_000n],
      ["subscriber:100080", 15_000n],
    ]);
  });

  it("cash storno: a cash payment's credit, then cash-storno linked to it (subscriber −, the desk's cash +)", async () => {
    const desk = client.api.desk(t.kassir1);
    const shiftId = await desk.open("vl-lugovaya-1", "0.00");
    let cashPaymentId = "";
    await expectMovement(["payment-credit"], { "100082": 30_000n }, async () => {
      cashPaymentId = await desk.pay(shiftId, "100082", "300.00");
      await waitUntilAllCredited(hub);
    });
    const [storno] = await expectMovement(["cash-storno"], { "100082": -30_000n }, () => desk.storno(cashPaymentId));
    const payment = await hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { id: BigInt(cashPaymentId) } });
    expect(storno).toMatchObject({ paymentId: payment.id, memo: `storno of payment ${cashPaymentId} via cashier (storno)` });
    expect(storno!.entries.map((entry) => [entry.ledgerAccount.code, entry.amountKopecks])).toEqual([
      ["subscriber:100082", -30_000n],
      ["cash:vl-lugovaya-1", 30_000n],
    ]);
  });

  it("suspense assignment: a payment for an unknown account is credited to suspense, then suspense-assignment moves it (suspense −, subscriber +)", async () => {
    const operationId = `ledger-writer-${txnId}`;
    const [credit] = await expectMovement(["payment-credit"], {}, async () => {
      const answer = await fetch(`${hub.url}/webhooks/yoomoney`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(yoomoneyNotification(YOOMONEY_SECRET, operationId, "999999")).toString(),
      });
      expect(answer.status).toBe(200);
      await waitUntilAllCredited(hub);
    });
    expect(credit!.entries.map((entry) => [entry.ledgerAccount.code, entry.amountKopecks])).toEqual([
      [ledgerCodes.suspense, 9_800n],
      ["clearing:yoomoney", -9_800n],
    ]);
    const item = await hub.hub.db.suspenseItem.findFirstOrThrow({ where: { paymentId: credit!.paymentId! } });
    const [assignment] = await expectMovement(["suspense-assignment"], { "100083": 9_800n }, async () => {
      expect((await client.api.call("POST", `/api/suspense/${item.id}/assign`, t.starshiy, { account: "100083", note: "плательщик подтвердил счёт" })).status).toBe(200);
    });
    expect(assignment).toMatchObject({ paymentId: credit!.paymentId, reversesPostingId: null, memo: `suspense item ${item.id}: payment ${credit!.paymentId} via yoomoney for 999999 assigned to 100083` });
    expect(assignment!.entries.map((entry) => [entry.ledgerAccount.code, entry.amountKopecks])).toEqual([
      [ledgerCodes.suspense, -9_800n],
      ["subscriber:100083", 9_800n],
    ]);
  });
});
