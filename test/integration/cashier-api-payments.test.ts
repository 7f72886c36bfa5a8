import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cashierApi } from "../../src/api/cashier-routes.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";
import { expectDocumented, staffApi } from "./cashier-api-client.ts";

// A cash payment is recorded exactly once per receipt number, however often the desk program sends it.

let hub: TestHub;
let api: ReturnType<typeof staffApi>;
let kassir2: string;
let shiftId: string;

const balance = async (number: string) => (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } })).balanceKopecks;
const cashPayments = () => hub.hub.db.inboundPayment.count({ where: { channel: "cashier" } });

beforeAll(async () => {
  hub = await startTestHub();
  api = staffApi(hub);
  kassir2 = await api.signIn("kassir2");
  shiftId = await api.desk(kassir2).open("us-nekrasova-1", "2000.00");
});
afterAll(async () => {
  await hub?.stop();
});

describe("POST /api/cashier/payments", () => {
  it("when the same payment is sent 10 times at once, then one payment, one credit, the balance up once; 201 once and 200 for the repeats", async () => {
    const before = await balance("100082");
    const receiptNumber = await api.desk(kassir2).receipt(shiftId);
    const payment = { shiftId, receiptNumber, account: "100082", amount: "450.50" };
    const answers = await Promise.all(Array.from({ length: 10 }, () => api.call("POST", "/api/cashier/payments", kassir2, payment)));

    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const created = answers.find((answer) => answer.status === 201)!;
    expectDocumented(cashierApi.routes.takePayment, 201, created.json);
    expect(created.json).toMatchObject({ receipt: `us-nekrasova-1:${receiptNumber}`, receiptNumber, shiftId, account: "100082", amount: "450.50" });
    expect(new Set(answers.map((answer) => answer.json!.id))).toEqual(new Set([created.json!.id]));

    await waitUntilAllCredited(hub);
    expect(await balance("100082")).toBe(before + 45050n);
    expect(await cashPayments()).toBe(1);
    expect(await hub.hub.db.posting.count({ where: { creditOfPaymentId: BigInt(created.json!.id) } })).toBe(1);
    const repeat = await api.expectStatus(200, "POST", "/api/cashier/payments", kassir2, payment);
    expect(repeat).toMatchObject({ id: created.json!.id, status: "credited" });
    expect(await balance("100082")).toBe(before + 45050n);

    const other = await api.call("POST", "/api/cashier/payments", kassir2, { ...payment, amount: "45.05" });
    expect(other).toMatchObject({ status: 409, json: { error: "receipt_used" } });
    expect(await api.call("POST", "/api/cashier/payments", kassir2, { ...payment, account: "100080" })).toMatchObject({ status: 409, json: { error: "receipt_used" } });
    expect(await cashPayments()).toBe(1);
    await expectLedgerConsistent(hub);
  });

  it("when the account does not exist, then 404 account_not_found and nothing is recorded", async () => {
    const receiptNumber = await api.desk(kassir2).receipt(shiftId);
    const before = await cashPayments();
    expect(await api.call("POST", "/api/cashier/payments", kassir2, { shiftId, receiptNumber, account: "999999", amount: "100.00" })).toMatchObject({ status: 404, json: { error: "account_not_found" } });
    expect(await cashPayments()).toBe(before);
  });

  it.each([["1e3"], ["-5"], ["10,456"], ["10.456"], ["0"], [" 100"], [100]])("when the amount is %j, then 400 naming amount and nothing is recorded", async (amount) => {
    const receiptNumber = await api.desk(kassir2).receipt(shiftId);
    const before = await cashPayments();
    const answer = await api.call("POST", "/api/cashier/payments", kassir2, { shiftId, receiptNumber, account: "100082", amount });
    expect(answer).toMatchObject({ status: 400, json: { error: "bad_request", message: expect.stringContaining("amount") } });
    expect(await cashPayments()).toBe(before);
  });

  it("when the receipt number was not issued to the shift, then 404 receipt_not_found", async () => {
    expect(await api.call("POST", "/api/cashier/payments", kassir2, { shiftId, receiptNumber: 999, account: "100082", amount: "1.00" })).toMatchObject({ status: 404, json: { error: "receipt_not_found" } });
  });

  it("when another cashier sends a payment on this shift, then 403", async () => {
    const receiptNumber = await api.desk(kassir2).receipt(shiftId);
    const kassir1 = await api.signIn("kassir1");
    expect((await api.call("POST", "/api/cashier/payments", kassir1, { shiftId, receiptNumber, account: "100082", amount: "1.00" })).status).toBe(403);
    expect((await api.call("POST", `/api/cashier/shifts/${shiftId}/receipt-numbers`, kassir1)).status).toBe(403);
  });

  it("when the shift is closed, then a payment with a receipt number issued before is refused with 409 shift_closed", async () => {
    const receiptNumber = await api.desk(kassir2).receipt(shiftId);
    const current = await api.expectStatus(200, "GET", "/api/cashier/shifts/current", kassir2);
    expect(current.shift).toMatchObject({ id: shiftId, open: true, expectedCash: "2450.50", payments: { count: 1, sum: "450.50" } });

    const report = await api.desk(kassir2).close(shiftId, "2450.00");
    expectDocumented(cashierApi.routes.closeShift, 200, report);
    expect(report).toMatchObject({ open: false, expectedCash: "2450.50", countedCash: "2450.00", difference: "-0.50" });
    const before = await cashPayments();
    expect(await api.call("POST", "/api/cashier/payments", kassir2, { shiftId, receiptNumber, account: "100082", amount: "10.00" })).toMatchObject({ status: 409, json: { error: "shift_closed" } });
    expect(await api.call("POST", `/api/cashier/shifts/${shiftId}/receipt-numbers`, kassir2)).toMatchObject({ status: 409, json: { error: "shift_closed" } });
    expect(await api.call("POST", `/api/cashier/shifts/${shiftId}/close`, kassir2, { countedCash: "2450.00" })).toMatchObject({ status: 409, json: { error: "shift_closed" } });
    expect(await cashPayments()).toBe(before);
    expect((await api.expectStatus(200, "GET", "/api/cashier/shifts/current", kassir2)).shift).toBeNull();
  });
});

describe("GET /api/cashier/accounts", () => {
  const search = async (q: string) =>
    ((await api.expectStatus(200, "GET", `/api/cashier/accounts?q=${encodeURIComponent(q)}`, kassir2)).accounts as { number: string }[]).map((account) => account.number);

  it("finds an account by its number, its login (any case), or the owner's name with the address; never by the address alone", async () => {
    const [byNumber] = (await api.expectStatus(200, "GET", "/api/cashier/accounts?q=100080", kassir2)).accounts;
    expect(byNumber).toEqual({ number: "100080", login: "atk141925", ownerName: "И***в И. И.", address: "г. Владивосток, ул. Луговая, д. 21а, кв. 12", status: "active", balance: "0.00", monthlyFee: "890.00" });
    expect(await search("ATK141925")).toEqual(["100080"]);
    expect(await search("иванов луговая 21а")).toEqual(["100080"]);
    expect(await search("Кузнецова, Ленинская")).toEqual(["100083"]);
    expect(await search("ул. Луговая, д. 21а")).toEqual([]);
    expect(await search("Иванов")).toEqual([]);
    expect(await search("999999")).toEqual([]);
    expect(await search("100%_ луговая")).toEqual([]);
  });
});
