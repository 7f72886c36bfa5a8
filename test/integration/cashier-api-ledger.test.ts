import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cashierApi } from "../../src/api/cashier-routes.ts";
import { DESKS } from "../../src/cashier/offices.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";
import { AUTOMATION_TOKEN, expectDocumented, kopecks, staffApi } from "./cashier-api-client.ts";
import { receipt } from "./transfers-client.ts";

// A working day in every office through the API, then the books: each desk's cash ledger account holds, negated like
// a clearing account, exactly the net takings its Z-reports show, and each Z-report's figures add up.

let hub: TestHub;
let api: ReturnType<typeof staffApi>;

beforeAll(async () => {
  hub = await startTestHub();
  api = staffApi(hub);
});
afterAll(async () => {
  await hub?.stop();
});

/** −(sum of the desk's cash ledger entries): the net cash it took for subscribers. */
async function deskTakings(deskCode: string): Promise<bigint> {
  const [row] = await hub.hub.db.$queryRaw<{ total: bigint }[]>`
    SELECT COALESCE(SUM(e.amount_kopecks), 0)::bigint AS total
    FROM ledger_entry e JOIN ledger_account a ON a.id = e.ledger_account_id WHERE a.code = ${`cash:${deskCode}`}`;
  return -row!.total;
}

describe("a day at every desk", () => {
  it("when cashiers in several offices take payments, storno some, close with various counts, and a supervisor storno after a close, then every desk's cash account equals its Z-reports", async () => {
    const newCashiers = [
      { login: "kassir.nk", fullName: "Находкина Мария Ивановна", office: "nk-leninskaya" },
      { login: "kassir.ar", fullName: "Артёмов Артём Артёмович", office: "ar-frunze" },
    ];
    for (const cashier of newCashiers) {
      const created = await api.expectStatus(201, "POST", "/api/staff", AUTOMATION_TOKEN, { ...cashier, role: "cashier", password: "cash-desk-password" });
      expect(created).toMatchObject({ login: cashier.login, role: "cashier", office: cashier.office, active: true });
      expect(JSON.stringify(created)).not.toContain("cash-desk-password");
    }
    // The admin has no office and may work any desk: today the one at 100-letiya.
    const [kassir1, kassir2, starshiy, admin, nk, ar] = await Promise.all([
      api.signIn("kassir1"),
      api.signIn("kassir2"),
      api.signIn("starshiy"),
      api.signIn("admin"),
      ...newCashiers.map((cashier) => api.signIn(cashier.login, "cash-desk-password")),
    ]);
    const [lugovaya1, lugovaya2, nekrasova, leninskaya, frunze, sto] = [api.desk(kassir1!), api.desk(starshiy!), api.desk(kassir2!), api.desk(nk!), api.desk(ar!), api.desk(admin!)];

    // Morning: shifts open, payments taken.
    const shifts = {
      lugovaya1: await lugovaya1.open("vl-lugovaya-1", "1000.00"),
      lugovaya2: await lugovaya2.open("vl-lugovaya-2", "0"),
      nekrasova: await nekrasova.open("us-nekrasova-1", "500.00"),
      leninskaya: await leninskaya.open("nk-leninskaya-1", "0.00"),
      frunze: await frunze.open("ar-frunze-1", "200"),
      sto: await sto.open("vl-100let-1", "50.00"),
    };
    const lugovaya1Payments = [
      await lugovaya1.pay(shifts.lugovaya1, "100080", "500.00"),
      await lugovaya1.pay(shifts.lugovaya1, "100081", "250.50"),
      await lugovaya1.pay(shifts.lugovaya1, "100084", "99.99"),
    ];
    await lugovaya2.pay(shifts.lugovaya2, "100080", "1200.00");
    const nekrasovaPayments = [await nekrasova.pay(shifts.nekrasova, "100082", "300.00"), await nekrasova.pay(shifts.nekrasova, "100082", "300.00")];
    await leninskaya.pay(shifts.leninskaya, "100083", "700.00");
    await frunze.pay(shifts.frunze, "100084", "15.00");
    await waitUntilAllCredited(hub);

    // Storno while open, by the cashier and by the office's supervisor; then the closes.
    await lugovaya1.storno(lugovaya1Payments[1]!);
    await api.expectStatus(200, "POST", `/api/cashier/payments/${nekrasovaPayments[0]}/storno`, kassir2, { reason: "двойной платёж" });
    await lugovaya1.close(shifts.lugovaya1, "1599.99"); // exact: 1000 + 850.49 − 250.50
    await lugovaya2.close(shifts.lugovaya2, "1199.00"); // 1.00 short
    await nekrasova.close(shifts.nekrasova, "900.00"); // 100.00 over
    await leninskaya.close(shifts.leninskaya, "700.00");
    await frunze.close(shifts.frunze, "215.00");
    await sto.close(shifts.sto, "50.00");
    // A second shift at Frunze the same day, and a supervisor's storno after the first Lugovaya close.
    const frunze2 = await frunze.open("ar-frunze-1", "215.00");
    await frunze.pay(frunze2, "100080", "5.00");
    await waitUntilAllCredited(hub);
    await frunze.close(frunze2, "220.00");
    await api.expectStatus(200, "POST", `/api/cashier/payments/${lugovaya1Payments[2]}/storno`, starshiy, { reason: "оплата не тому абоненту" });

    // The books. Every Z-report adds up, and each desk's cash account holds what its Z-reports took.
    const list = await api.expectStatus(200, "GET", "/api/cashier/shifts?limit=50", AUTOMATION_TOKEN);
    expectDocumented(cashierApi.routes.listShifts, 200, list);
    expect(list.shifts).toHaveLength(7);
    const takingsByDesk = new Map<string, bigint>(DESKS.map((desk) => [desk.code, 0n]));
    for (const { id } of list.shifts as { id: string }[]) {
      const report = await api.expectStatus(200, "GET", `/api/cashier/shifts/${id}`, AUTOMATION_TOKEN);
      expectDocumented(cashierApi.routes.getShift, 200, report);
      const [opening, paid, storno, stornoAfter] = [report.openingCash, report.payments.sum, report.storno.sum, report.stornoAfterClose.sum].map(kopecks);
      expect(report.open).toBe(false);
      expect(kopecks(report.expectedCash)).toBe(opening! + paid! - storno!);
      expect(kopecks(report.difference)).toBe(kopecks(report.countedCash) - kopecks(report.expectedCash));
      takingsByDesk.set(report.desk.code, takingsByDesk.get(report.desk.code)! + paid! - storno! - stornoAfter!);
    }
    for (const [desk, takings] of takingsByDesk) expect({ desk, takings: await deskTakings(desk) }).toEqual({ desk, takings });
    expect(Object.fromEntries(takingsByDesk)).toEqual({
      "vl-lugovaya-1": 50000n,
      "vl-lugovaya-2": 120000n,
      "vl-100let-1": 0n,
      "us-nekrasova-1": 30000n,
      "nk-leninskaya-1": 70000n,
      "ar-frunze-1": 2000n,
    });

    const differences = Object.fromEntries(
      await Promise.all(Object.entries(shifts).map(async ([name, id]) => [name, (await api.expectStatus(200, "GET", `/api/cashier/shifts/${id}`, AUTOMATION_TOKEN)).difference])),
    );
    expect(differences).toEqual({ lugovaya1: "0.00", lugovaya2: "-1.00", nekrasova: "100.00", leninskaya: "0.00", frunze: "0.00", sto: "0.00" });
    const lugovaya = await api.expectStatus(200, "GET", `/api/cashier/shifts/${shifts.lugovaya1}`, starshiy);
    expect(lugovaya).toMatchObject({ expectedCash: "1599.99", storno: { count: 1, sum: "250.50" }, stornoAfterClose: { count: 1, sum: "99.99" } });

    // A supervisor sees the office's shifts only.
    const ownOffice = await api.expectStatus(200, "GET", "/api/cashier/shifts", starshiy);
    expect(new Set(ownOffice.shifts.map((shift: { office: string }) => shift.office))).toEqual(new Set(["vl-lugovaya"]));
    await api.expectStatus(403, "GET", "/api/cashier/shifts?office=ar-frunze", starshiy);
    await expectLedgerConsistent(hub);
  });

  it("when part of a cash payment was transferred to the right account before its storno, then the storno, the Z-report and the close count only what was left, as the ledger does", async () => {
    const [kassir1, starshiy] = await Promise.all([api.signIn("kassir1"), api.signIn("starshiy")]);
    const desk = api.desk(kassir1);
    const shift = await desk.open("vl-lugovaya-1", "0.00");
    const before = await deskTakings("vl-lugovaya-1");
    const paymentId = await desk.pay(shift, "100080", "1000.00");
    await waitUntilAllCredited(hub);
    // 400.00 of it belonged to 100081: filed by the cashier, approved by the supervisor.
    const filed = await api.expectStatus(201, "POST", "/api/transfers", kassir1, {
      payment: { paymentId },
      to: "100081",
      amount: "400.00",
      reason: "плательщик ошибся в номере счёта, квитанция приложена",
      evidence: [receipt()],
    });
    await api.expectStatus(200, "POST", `/api/transfers/${filed.id}/approve`, starshiy, { allowNegative: false });
    await desk.storno(paymentId, "плательщик забрал деньги");

    const report = await api.expectStatus(200, "GET", `/api/cashier/shifts/${shift}`, kassir1);
    expectDocumented(cashierApi.routes.getShift, 200, report);
    expect(report).toMatchObject({ payments: { count: 1, sum: "1000.00" }, storno: { count: 1, sum: "600.00" }, expectedCash: "400.00" });
    expect(report.lines[0].storno).toMatchObject({ amount: "600.00" });
    const closed = await desk.close(shift, "400.00");
    expect(closed).toMatchObject({ expectedCash: "400.00", difference: "0.00" });
    expect((await deskTakings("vl-lugovaya-1")) - before).toBe(40000n);
    await expectLedgerConsistent(hub);
  });
});
