import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedSignature } from "../../adapters/qiwi-bill/verify.ts";
import { expectedLmiHash, expectedLmiHash2 } from "../../adapters/webmoney/verify.ts";
import { expectedSha1Hash } from "../../adapters/yoomoney/verify.ts";
import { suspenseApi } from "../../src/api/suspense-routes.ts";
import { createPool } from "../../src/db.ts";
import { reversePayment } from "../../src/payments/reverse-payment.ts";
import nock from "nock";
import { issueQiwiBill, issueWebmoneyInvoice } from "../support/issued-payments.ts";
import { osmp } from "../support/osmp-client.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";
import { AUTOMATION_TOKEN, expectDocumented, staffApi } from "./cashier-api-client.ts";

// Payments a channel delivers after the money moved, for an account payhub cannot credit (unknown, closed, blocked):
// answered with the provider's success, recorded once, credited to the suspense ledger account, listed for an operator
// with match suggestions and assigned by a supervisor. Channels with a check step keep refusing.

/** The three notification channels configured, their secrets read back by the signers below. */
const HUB_ENV = {
  YOOMONEY_NOTIFICATION_SECRET: "ym-suspense-secret",
  QIWI_BILL_SECRET_KEY: "qiwi-suspense-secret",
  QIWI_BILL_SITE_ID: "alliance-site",
  WEBMONEY_SECRET_KEY: "wm-suspense-secret",
  WEBMONEY_PURSES: "R123456789012",
};
const PAYER_WALLET = "41001000077";

let hub: TestHub;
let api: ReturnType<typeof staffApi>;
let starshiy: string;
let kassir1: string;

beforeAll(async () => {
  hub = await startTestHub(HUB_ENV);
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  api = staffApi(hub);
  [starshiy, kassir1] = await Promise.all([api.signIn("starshiy"), api.signIn("kassir1")]);
});
afterAll(async () => {
  nock.enableNetConnect();
  await hub?.stop();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${hub.url}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });

const yoomoney = (operationId: string, label: string, amount = "250.00", sender = PAYER_WALLET) => {
  const signed = { notification_type: "p2p-incoming", operation_id: operationId, amount, currency: "643", datetime: "2026-11-24T09:00:00.000+10:00", sender, codepro: "false", label };
  return new URLSearchParams({ ...signed, test_notification: "false", unaccepted: "false", sha1_hash: expectedSha1Hash(signed, HUB_ENV.YOOMONEY_NOTIFICATION_SECRET) }).toString();
};

const qiwiBill = (billId: string, account: string, value: string) => {
  const body = { bill: { siteId: HUB_ENV.QIWI_BILL_SITE_ID, billId, amount: { value, currency: "RUB" }, status: { value: "PAID", changedDateTime: "2026-11-24T12:00:00+03:00" }, customer: { account, phone: "79141234567" } }, version: "1" };
  const signature = expectedSignature({ currency: "RUB", value, billId, siteId: HUB_ENV.QIWI_BILL_SITE_ID, status: "PAID" }, HUB_ENV.QIWI_BILL_SECRET_KEY)!;
  return fetch(`${hub.url}/webhooks/qiwi-bill`, { method: "POST", headers: { "content-type": "application/json", "X-Api-Signature-SHA256": signature }, body: JSON.stringify(body) });
};

const webmoney = (transNo: string, account: string, amount: string, paymentNo = `70${transNo}`) => {
  const signed = {
    LMI_PAYEE_PURSE: HUB_ENV.WEBMONEY_PURSES, LMI_PAYMENT_AMOUNT: amount, LMI_PAYMENT_NO: paymentNo, LMI_MODE: "0", LMI_SYS_INVS_NO: `55${transNo}`,
    LMI_SYS_TRANS_NO: transNo, LMI_SYS_TRANS_DATE: "20261124 13:07:36", LMI_PAYER_PURSE: "R366393600555", LMI_PAYER_WM: "404521188333",
  };
  return post("/webhooks/webmoney", new URLSearchParams({ ...signed, ACCOUNT: account, LMI_HASH: expectedLmiHash(signed, HUB_ENV.WEBMONEY_SECRET_KEY, "sha256"), LMI_HASH2: expectedLmiHash2(signed, HUB_ENV.WEBMONEY_SECRET_KEY) }).toString());
};

const balanceOf = async (number: string) => (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } })).balanceKopecks;
const suspenseBalance = async () => {
  const [row] = await hub.hub.db.$queryRaw<{ total: bigint }[]>`
    SELECT COALESCE(SUM(e.amount_kopecks), 0)::bigint AS total FROM ledger_entry e JOIN ledger_account l ON l.id = e.ledger_account_id WHERE l.code = 'suspense'`;
  return row!.total;
};
const itemOf = async (channel: string, externalId: string) =>
  hub.hub.db.suspenseItem.findFirstOrThrow({ where: { payment: { channel, externalId } }, include: { payment: true } });

describe("intake of a payment the provider cannot take back", () => {
  it("when a YooMoney notification names an unknown account, then 200, recorded once even if repeated, credited to suspense", async () => {
    // The same wallet paid account 100083 before: the suggestion to come.
    expect((await post("/webhooks/yoomoney", yoomoney("ym-s-0", "100083", "100.00"))).status).toBe(200);
    await waitUntilAllCredited(hub);
    const before = { suspense: await suspenseBalance(), a100081: await balanceOf("100081") };

    const body = yoomoney("ym-s-1", "100018");
    for (let i = 0; i < 3; i += 1) {
      const answer = await post("/webhooks/yoomoney", body);
      expect({ status: answer.status, text: await answer.text() }).toEqual({ status: 200, text: "OK" });
    }
    await waitUntilAllCredited(hub);
    expect(await hub.hub.db.inboundPayment.count({ where: { channel: "yoomoney", externalId: "ym-s-1" } })).toBe(1);
    const item = await itemOf("yoomoney", "ym-s-1");
    expect(item).toMatchObject({ status: "open", reason: "unknown account", accountId: null, payment: { accountId: null, accountNumber: "100018", status: "credited", amountKopecks: 25000n } });
    expect(await hub.hub.db.suspenseItem.count({ where: { paymentId: item.paymentId } })).toBe(1);
    expect(await suspenseBalance()).toBe(before.suspense + 25000n);
    expect(await balanceOf("100081")).toBe(before.a100081);
    await expectLedgerConsistent(hub);
  });

  it("when a QIWI bill or a WebMoney invoice payhub issued is paid after its account was closed or blocked, then success, in suspense with the reason", async () => {
    const setStatus = (number: string, status: string) =>
      api.call("PUT", `/api/accounts/${number}`, AUTOMATION_TOKEN, { ownerName: "Суспензов Павел Олегович", address: "Артём, ул. Фрунзе 1", status });
    expect((await setStatus("200001", "active")).status).toBe(201);
    expect((await setStatus("200002", "active")).status).toBe(201);
    const billId = await issueQiwiBill(hub, "200001", "300.00");
    const paymentNo = await issueWebmoneyInvoice(hub, "200002", "150.00");
    expect((await setStatus("200001", "closed")).status).toBe(200);
    expect((await setStatus("200002", "blocked")).status).toBe(200);
    const bill = await qiwiBill(billId, "200001", "300");
    expect({ status: bill.status, json: await bill.json() }).toEqual({ status: 200, json: { error: "0" } });
    expect((await webmoney("770001", "200002", "150.00", paymentNo)).status).toBe(200);
    await waitUntilAllCredited(hub);
    expect(await itemOf("qiwi-bill", billId)).toMatchObject({ reason: "account closed", payment: { accountId: null, accountNumber: "200001" } });
    expect(await itemOf("webmoney", "770001")).toMatchObject({ reason: "account blocked", payment: { accountId: null, accountNumber: "200002" } });
  });

  it("when a signed QIWI bill or WebMoney notification names something payhub never issued, then success, in suspense (its unsigned account is only a suggestion)", async () => {
    const bill = await qiwiBill("bill-s-1", "100099", "300");
    expect({ status: bill.status, json: await bill.json() }).toEqual({ status: 200, json: { error: "0" } });
    expect((await webmoney("770002", "100090", "150.00")).status).toBe(200);
    expect((await qiwiBill("bill-s-2", "10080", "120.50")).status).toBe(200);
    await waitUntilAllCredited(hub);
    expect(await itemOf("qiwi-bill", "bill-s-1")).toMatchObject({ reason: "not issued by payhub (bill-s-1)", payment: { accountId: null, accountNumber: "100099" } });
    expect(await itemOf("webmoney", "770002")).toMatchObject({ reason: "not issued by payhub (70770002)", payment: { accountId: null, accountNumber: "100090" } });
    expect(await itemOf("qiwi-bill", "bill-s-2")).toMatchObject({ reason: "not issued by payhub (bill-s-2)", payment: { accountNumber: "10080" } });
  });

  it("when the sum is outside the limits, then it is refused as before and no money is written, but the operator has an incident with the request", async () => {
    const items = await hub.hub.db.suspenseItem.count();
    const answer = await post("/webhooks/yoomoney", yoomoney("ym-s-big", "100018", "99999999.00"));
    expect(answer.status).toBe(422);
    expect(await answer.text()).toMatch(/amount too large/);
    expect(await hub.hub.db.inboundPayment.count({ where: { channel: "yoomoney", externalId: "ym-s-big" } })).toBe(0);
    expect(await hub.hub.db.suspenseItem.count()).toBe(items);
    const incident = await hub.hub.db.intakeIncident.findFirstOrThrow({ where: { channel: "yoomoney", externalId: "ym-s-big" } });
    expect(incident).toMatchObject({ kind: "out-of-limits", resolvedAt: null, request: expect.objectContaining({ amount: "99999999.00", label: "100018" }) });
  });

  it("when OSMP pays an unknown account, then result 5 as before and nothing is written", async () => {
    const [payments, items] = [await hub.hub.db.inboundPayment.count(), await hub.hub.db.suspenseItem.count()];
    const answer = await osmp(hub.url, { command: "pay", txn_id: "880001", txn_date: "20261124120000", account: "100018", sum: "100.00" });
    expect(answer.result).toBe(5);
    expect(await hub.hub.db.inboundPayment.count()).toBe(payments);
    expect(await hub.hub.db.suspenseItem.count()).toBe(items);
  });

  it("when the provider reverses a payment still in suspense, then it is refused saying so", async () => {
    const pool = createPool(hub.databaseUrl, 1);
    try {
      const outcome = await reversePayment(pool, { channel: "yoomoney", protocol: "yoomoney", profile: "yoomoney" }, {
        kind: "reverse", reference: "ym-s-1", reversalKey: "refund", amountKopecks: undefined, reason: "refund", externalId: "ym-s-1", accountNumber: undefined,
      });
      expect(outcome).toMatchObject({ kind: "operationRefused", reason: expect.stringMatching(/in suspense: assign or resolve it first/) });
    } finally {
      await pool.end();
    }
  });
});

describe("the suspense queue for operators", () => {
  it("when a supervisor lists the open items, then each comes with similar accounts and the payer's earlier accounts", async () => {
    const list = await api.expectStatus(200, "GET", "/api/suspense?status=open", starshiy);
    expectDocumented(suspenseApi.routes.list, 200, list);
    const byExternalId = new Map(list.items.map((item: { payment: { externalId: string } }) => [item.payment.externalId, item]));
    expect(byExternalId.get("ym-s-1")).toMatchObject({
      status: "open",
      reason: "unknown account",
      payment: { channel: "yoomoney", account: "100018", amount: "250.00", status: "credited" },
      assignment: null,
      suggestions: {
        similar: [{ number: "100081", rule: "adjacent digits swapped" }],
        payer: PAYER_WALLET,
        payerAccounts: [{ number: "100083", payments: 1 }],
      },
    });
    expect(byExternalId.get("bill-s-2")).toMatchObject({
      suggestions: { similar: expect.arrayContaining([expect.objectContaining({ number: "100080", rule: "one digit missing" })]), payer: "79141234567", payerAccounts: [] },
    });
    // The closed account itself is never suggested: only active accounts can be assigned.
    const closed = byExternalId.get("bill-s-1") as { suggestions: { similar: { number: string }[] } };
    expect(closed.suggestions.similar.map((account) => account.number)).not.toContain("100099");
    expect(closed.suggestions.similar.map((account) => account.number)).not.toContain("100090");
  });

  it("when a cashier asks, then 403; an unknown item is 404", async () => {
    expect((await api.call("GET", "/api/suspense", kassir1)).status).toBe(403);
    const item = await itemOf("yoomoney", "ym-s-1");
    expect((await api.call("POST", `/api/suspense/${item.id}/assign`, kassir1, { account: "100081", note: "swapped digits" })).status).toBe(403);
    expect((await api.call("GET", "/api/suspense/999999", starshiy)).status).toBe(404);
  });

  it("when a supervisor assigns an item, then the account is credited, suspense gives it back, the audit has it; a second assignment is 409", async () => {
    const item = await itemOf("yoomoney", "ym-s-1");
    const [suspenseBefore, balanceBefore] = [await suspenseBalance(), await balanceOf("100081")];
    expect((await api.call("POST", `/api/suspense/${item.id}/assign`, starshiy, { account: "100081" })).status).toBe(400);
    expect((await api.call("POST", `/api/suspense/${item.id}/assign`, starshiy, { account: "100099", note: "the closed one" })).status).toBe(409);
    expect((await api.call("POST", `/api/suspense/${item.id}/assign`, starshiy, { account: "777777", note: "nobody" })).status).toBe(404);

    const assigned = await api.expectStatus(200, "POST", `/api/suspense/${item.id}/assign`, starshiy, { account: "100081", note: "payer swapped the last two digits (phone call)" });
    expectDocumented(suspenseApi.routes.assign, 200, assigned);
    expect(assigned).toMatchObject({ status: "assigned", suggestions: null, assignment: { account: "100081", assignedBy: "starshiy", note: "payer swapped the last two digits (phone call)" } });
    expect(await balanceOf("100081")).toBe(balanceBefore + 25000n);
    expect(await suspenseBalance()).toBe(suspenseBefore - 25000n);
    const posting = await hub.hub.db.posting.findUniqueOrThrow({ where: { id: BigInt(assigned.assignment.postingId) }, include: { entries: { include: { ledgerAccount: true } } } });
    expect(posting).toMatchObject({ kind: "suspense-assignment", paymentId: item.paymentId });
    expect(posting.entries.map((entry) => [entry.ledgerAccount.code, entry.amountKopecks]).sort()).toEqual([["subscriber:100081", 25000n], ["suspense", -25000n]]);
    expect((await hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { id: item.paymentId }, include: { account: true } })).account?.number).toBe("100081");

    const audit = await api.expectStatus(200, "GET", "/api/audit?action=suspense.assign", starshiy);
    expect(audit.entries).toEqual([expect.objectContaining({ action: "suspense.assign", target: `suspense:${item.id}`, reason: "payer swapped the last two digits (phone call)" })]);

    const again = await api.call("POST", `/api/suspense/${item.id}/assign`, AUTOMATION_TOKEN, { account: "100080", note: "a second try" });
    expect(again).toMatchObject({ status: 409, json: { error: "already_assigned" } });
    expect(await balanceOf("100081")).toBe(balanceBefore + 25000n);

    const listed = await api.expectStatus(200, "GET", "/api/suspense?status=assigned", starshiy);
    expect(listed.items.map((entry: { id: string }) => entry.id)).toEqual([String(item.id)]);
    expectDocumented(suspenseApi.routes.get, 200, await api.expectStatus(200, "GET", `/api/suspense/${item.id}`, starshiy));
  });

  it("when two supervisors assign the same item at once, then one succeeds and the other gets 409; the ledger sums to zero", async () => {
    const item = await itemOf("qiwi-bill", "bill-s-2");
    const before = await balanceOf("100080");
    const answers = await Promise.all([
      api.call("POST", `/api/suspense/${item.id}/assign`, starshiy, { account: "100080", note: "one digit missing" }),
      api.call("POST", `/api/suspense/${item.id}/assign`, AUTOMATION_TOKEN, { account: "100080", note: "one digit missing too" }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(await balanceOf("100080")).toBe(before + 12050n);
    expect(await hub.hub.db.posting.count({ where: { kind: "suspense-assignment", paymentId: item.paymentId } })).toBe(1);
    await expectLedgerConsistent(hub);
  });
});
