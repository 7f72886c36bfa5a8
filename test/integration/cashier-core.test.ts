import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCreateAdmin } from "../../scripts/create-admin.ts";
import { takeCashPayment, issueReceiptNumber, stornoCashPayment } from "../../src/cashier/cash-payments.ts";
import { closeShift, openShift, zReport } from "../../src/cashier/shifts.ts";
import { StaffActionError, type ActionContext } from "../../src/staff/actor.ts";
import { actorOf, signIn } from "../../src/staff/sessions.ts";
import { expectLedgerConsistent, startTestHub, waitFor, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";
import { InFlight } from "../../src/payments/in-flight.ts";
import { PaymentIds } from "../../src/payments/payment-ids.ts";
import type { IntakeDeps } from "../../src/payments/accept-payment.ts";
import { createDispatcher } from "../../src/crediting/credit-queue.ts";
import { createLogger } from "../../src/log.ts";
import { createDatabase } from "../../src/db.ts";

// The cash desk's money rules where they are decided, below the pages and the API: a close racing with payments, the
// database's own guards on shifts and the audit log, and the command that creates the first administrator.

let hub: TestHub;
let intake: IntakeDeps;
let database: ReturnType<typeof createDatabase>;

async function contextOf(login: string): Promise<ActionContext> {
  const staff = await hub.hub.db.staffUser.findUniqueOrThrow({ where: { login } });
  return { actor: actorOf(staff, "bearer"), ip: "127.0.0.1", requestId: undefined };
}

beforeAll(async () => {
  hub = await startTestHub();
  database = createDatabase(hub.databaseUrl, 8);
  const log = createLogger("silent");
  intake = { db: database.db, pool: database.pool, dispatchCredit: createDispatcher(hub.hub.queue, log), log, inFlight: new InFlight(100), paymentIds: new PaymentIds(database.pool) };
});
afterAll(async () => {
  await database?.db.$disconnect();
  await database?.pool.end();
  await hub?.stop();
});

describe("closing a shift while payments are being taken", () => {
  it("when 40 payments race the close, then each either counts in the Z-report or was refused and recorded nothing, and none comes after it", async () => {
    const cashier = await contextOf("kassir1");
    const { shiftId } = await openShift(hub.hub.db, cashier, { deskCode: "vl-lugovaya-2", openingCashKopecks: 100_000n });
    const receipts: { receiptNumber: number }[] = [];
    for (let i = 0; i < 40; i += 1) receipts.push(await issueReceiptNumber(hub.hub.db, cashier, shiftId));
    const late = await issueReceiptNumber(hub.hub.db, cashier, shiftId);
    const limits = hub.config.cashier;
    // Staggered, so that the close lands in the middle of them: some before it, some while it waits, some after.
    const attempts = receipts.map(({ receiptNumber }, i) =>
      new Promise((resolve) => setTimeout(resolve, i * 20)).then(() => takeCashPayment(intake, limits, cashier, { shiftId, receiptNumber, accountNumber: "100081", amountKopecks: 10_000n + BigInt(i) }).then(
        (result) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      )),
    );
    await waitFor("some payments to be recorded", async () => (await hub.hub.db.inboundPayment.count({ where: { channel: "cashier", profile: "vl-lugovaya-2" } })) >= 5);
    const report = await closeShift(hub.hub.db, cashier, { shiftId, countedCashKopecks: 0n });
    const results = await Promise.all(attempts);
    const taken = results.filter((attempt) => attempt.ok);
    const refused = results.filter((attempt) => !attempt.ok);
    for (const attempt of refused) expect((attempt.error as StaffActionError).code).toBe("shift_closed");
    expect(taken.length).toBeGreaterThanOrEqual(5);
    // However the race went, a receipt issued before the close and used after it is refused and records nothing.
    await expect(takeCashPayment(intake, limits, cashier, { shiftId, receiptNumber: late.receiptNumber, accountNumber: "100081", amountKopecks: 100n })).rejects.toMatchObject({ code: "shift_closed" });
    const takenSum = taken.reduce((sum, attempt) => sum + (attempt.ok ? 10_000n + BigInt(receipts.findIndex((r) => r.receiptNumber === attempt.result.receiptNumber)) : 0n), 0n);
    expect(report.payments.count).toBe(taken.length);
    expect(report.payments.sumKopecks).toBe(takenSum);
    expect(report.expectedCashKopecks).toBe(100_000n + takenSum);
    const recorded = await hub.hub.db.inboundPayment.count({ where: { channel: "cashier", profile: "vl-lugovaya-2" } });
    expect(recorded).toBe(taken.length);
    // A taken payment submitted again after the close (its answer was lost) is answered as the repeat it is.
    const first = taken[0]!;
    if (!first.ok) throw new Error("unreachable");
    const again = await takeCashPayment(intake, limits, cashier, { shiftId, receiptNumber: first.result.receiptNumber, accountNumber: "100081", amountKopecks: 10_000n + BigInt(receipts.findIndex((r) => r.receiptNumber === first.result.receiptNumber)) });
    expect(again).toMatchObject({ created: false, paymentId: first.result.paymentId });
    expect(await hub.hub.db.inboundPayment.count({ where: { channel: "cashier", profile: "vl-lugovaya-2" } })).toBe(taken.length);
    await waitUntilAllCredited(hub);
    await expectLedgerConsistent(hub);
  });
});

describe("storno", () => {
  it("when a payment is cancelled, then the balance goes back by a new posting linked to the credit, which stays as it was", async () => {
    const cashier = await contextOf("kassir2");
    const { shiftId } = await openShift(hub.hub.db, cashier, { deskCode: "us-nekrasova-1", openingCashKopecks: 0n });
    const { receiptNumber } = await issueReceiptNumber(hub.hub.db, cashier, shiftId);
    const before = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100082" } });
    const { paymentId } = await takeCashPayment(intake, hub.config.cashier, cashier, { shiftId, receiptNumber, accountNumber: "100082", amountKopecks: 70_000n });
    await waitUntilAllCredited(hub);
    await stornoCashPayment(hub.hub.db, cashier, { paymentId, reason: "ошибся счётом" });
    await expect(stornoCashPayment(hub.hub.db, cashier, { paymentId, reason: "ещё раз" })).rejects.toMatchObject({ code: "already_cancelled" });
    const after = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100082" } });
    expect(after.balanceKopecks).toBe(before.balanceKopecks);
    const postings = await hub.hub.db.posting.findMany({ where: { paymentId }, include: { entries: { include: { ledgerAccount: true } } }, orderBy: { id: "asc" } });
    expect(postings.map((posting) => posting.kind)).toEqual(["payment-credit", "cash-storno"]);
    expect(postings[1]!.reversesPostingId).toBe(postings[0]!.id);
    const cashEntries = postings.flatMap((posting) => posting.entries).filter((entry) => entry.ledgerAccount.code === "cash:us-nekrasova-1");
    expect(cashEntries.map((entry) => entry.amountKopecks)).toEqual([-70_000n, 70_000n]);
    const report = (await zReport(hub.hub.db, shiftId))!;
    expect(report.storno).toEqual({ count: 1, sumKopecks: 70_000n });
    expect(report.expectedCashKopecks).toBe(0n);
    await expectLedgerConsistent(hub);
  });
});

describe("the database's own guards", () => {
  it("when a second shift is opened at a desk with an open one, or the audit log is edited, then the database refuses", async () => {
    const supervisor = await contextOf("starshiy");
    await openShift(hub.hub.db, supervisor, { deskCode: "vl-lugovaya-1", openingCashKopecks: 0n });
    const desk = await hub.hub.db.cashDesk.findUniqueOrThrow({ where: { code: "vl-lugovaya-1" } });
    const admin = await hub.hub.db.staffUser.findUniqueOrThrow({ where: { login: "admin" } });
    await expect(
      hub.hub.db.cashShift.create({ data: { deskId: desk.id, cashierId: admin.id, openDeskId: desk.id, openCashierId: admin.id, openingCashKopecks: 0n } }),
    ).rejects.toThrow(/open_desk_id|Unique/);
    await expect(hub.hub.db.$executeRawUnsafe("UPDATE audit_entry SET actor = 'someone else'")).rejects.toThrow(/append-only|not allowed|forbid/i);
    await expect(hub.hub.db.$executeRawUnsafe("DELETE FROM audit_entry")).rejects.toThrow();
  });
});

describe("lock-out", () => {
  it("when a lock-out has run out, then the next wrong password counts as the first, not as one more past the limit", async () => {
    const attempt = (password: string) =>
      signIn(hub.hub.db, hub.config.staff, { login: "kassir2", password, kind: "bearer", ip: "127.0.0.1", userAgent: "test", requestId: undefined });
    for (let i = 1; i < hub.config.staff.lockoutAttempts; i += 1) expect(await attempt("wrong-password")).toEqual({ ok: false, reason: "bad-credentials" });
    expect(await attempt("wrong-password")).toMatchObject({ ok: false, reason: "locked" });
    // The lock-out period passes.
    await hub.hub.db.$executeRawUnsafe("UPDATE staff_user SET locked_until = now() - interval '1 second' WHERE login = 'kassir2'");
    expect(await attempt("wrong-password")).toEqual({ ok: false, reason: "bad-credentials" });
    expect(await hub.hub.db.staffUser.findUniqueOrThrow({ where: { login: "kassir2" } })).toMatchObject({ failedSignIns: 1, lockedUntil: null });
    expect(await attempt(hub.config.staff.demoPassword)).toMatchObject({ ok: true });
  });
});

describe("npm run staff:create-admin", () => {
  it("when run with a login, a name and a password, then that admin can sign in, and a weak password or a taken login is refused", async () => {
    const out: string[] = [];
    const output = { out: (line: string) => out.push(line), err: (line: string) => out.push(line) };
    const env = { databaseUrl: hub.databaseUrl, password: undefined };
    expect(await runCreateAdmin(["--", "chief", "Главный Администратор"], env, output, async () => "a-long-enough-password")).toBe(0);
    expect(await runCreateAdmin(["chief2", "Другой Администратор"], env, output, async () => "short")).toBe(1);
    expect(await runCreateAdmin(["chief", "Снова Он"], env, output, async () => "a-long-enough-password")).toBe(1);
    expect(await runCreateAdmin(["onlylogin"], env, output)).toBe(2);
    const unreachable: string[] = [];
    const code = await runCreateAdmin(["chief3", "Третий Администратор"], { databaseUrl: "postgresql://postgres@127.0.0.1:1/nowhere", password: "a-long-enough-password" }, { out: (line) => unreachable.push(line), err: (line) => unreachable.push(line) });
    expect(code).toBe(3);
    expect(unreachable).toEqual([expect.stringMatching(/^create-admin: the database 127\.0\.0\.1:1\/nowhere failed: [^\n]*127\.0\.0\.1:1$/)]);
    expect(out.join("\n")).toMatch(/login chief is taken/);
    expect(out.join("\n")).not.toContain("a-long-enough-password");
    const signedIn = await signIn(hub.hub.db, hub.config.staff, { login: "chief", password: "a-long-enough-password", kind: "bearer", ip: "127.0.0.1", userAgent: "test", requestId: undefined });
    expect(signedIn).toMatchObject({ ok: true, actor: { role: "admin", login: "chief" } });
    const audit = await hub.hub.db.auditEntry.findFirst({ where: { action: "staff.create", target: "staff:chief" } });
    expect(audit).toMatchObject({ actor: "command-line" });
  });
});
