import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedSignature } from "../../adapters/qiwi-bill/verify.ts";
import { expectedLmiHash, expectedLmiHash2 } from "../../adapters/webmoney/verify.ts";
import nock from "nock";
import { issueQiwiBill, issueWebmoneyInvoice, TEST_ADMIN_TOKEN } from "../support/issued-payments.ts";
import { yoomoneyNotification } from "../support/signed-requests.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// WebMoney, YooMoney and QIWI bills end to end over HTTP: a request signed the way the provider signs it credits an
// account once; a replay credits nothing; a forged or test notification writes no money.

const WEBMONEY_SECRET = "wm-secret-key";
const PURSE = "R123456789012";
const YOOMONEY_SECRET = "ym-notification-secret";
const QIWI_SECRET = "qiwi-bill-secret-key";
const SITE_ID = "alliance-site";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({
    WEBMONEY_SECRET_KEY: WEBMONEY_SECRET,
    WEBMONEY_PURSES: PURSE,
    YOOMONEY_NOTIFICATION_SECRET: YOOMONEY_SECRET,
    QIWI_BILL_SECRET_KEY: QIWI_SECRET,
    QIWI_BILL_SITE_ID: SITE_ID,
  });
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterAll(async () => {
  nock.enableNetConnect();
  await hub?.stop();
});

const balanceOf = async (number: string) => (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } })).balanceKopecks;
const paymentCount = () => hub.hub.db.inboundPayment.count();
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${hub.url}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });

describe("WebMoney", () => {
  /** A notification as WebMoney signs it: LMI_PAYMENT_NO (payhub's invoice) is signed, ACCOUNT (payhub's own form field) is not. */
  const fields = (transNo: string, paymentNo: string, account: string, amount: string, mode = "0") => {
    const signed = {
      LMI_PAYEE_PURSE: PURSE,
      LMI_PAYMENT_AMOUNT: amount,
      LMI_PAYMENT_NO: paymentNo,
      LMI_MODE: mode,
      LMI_SYS_INVS_NO: `55${transNo}`,
      LMI_SYS_TRANS_NO: transNo,
      LMI_SYS_TRANS_DATE: "20261124 13:07:36",
      LMI_PAYER_PURSE: "R366393600555",
      LMI_PAYER_WM: "404521188333",
    };
    return { ...signed, ACCOUNT: account, LMI_HASH: expectedLmiHash(signed, WEBMONEY_SECRET, "sha256"), LMI_HASH2: expectedLmiHash2(signed, WEBMONEY_SECRET) };
  };
  const prerequest = (paymentNo: string, account: string, amount: string) =>
    post("/webhooks/webmoney", new URLSearchParams({ LMI_PREREQUEST: "1", LMI_PAYEE_PURSE: PURSE, LMI_PAYMENT_AMOUNT: amount, LMI_PAYMENT_NO: paymentNo, LMI_MODE: "0", LMI_PAYER_WM: "404521188333", LMI_PAYER_PURSE: "R366393600555", ACCOUNT: account }).toString());

  it("when payhub issues an invoice, then it answers the payment form with its own LMI_PAYMENT_NO, our purse and the amount", async () => {
    const response = await fetch(`${hub.url}/api/webmoney/invoices`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ account: "100080", amount: "150" }),
    });
    expect(response.status).toBe(201);
    const invoice = (await response.json()) as { paymentNo: string; form: { action: string; fields: Record<string, string> } };
    expect(invoice.paymentNo).toMatch(/^[0-9]+$/);
    expect(invoice.form.action).toBe("https://merchant.webmoney.ru/lmi/payment_utf.asp");
    expect(invoice.form.fields).toMatchObject({ LMI_PAYEE_PURSE: PURSE, LMI_PAYMENT_AMOUNT: "150.00", LMI_PAYMENT_NO: invoice.paymentNo, ACCOUNT: "100080" });
    for (const [body, status] of [
      [{ account: "999999", amount: "150.00" }, 404],
      [{ account: "100099", amount: "150.00" }, 409],
      [{ account: "100080", amount: "100000.01" }, 422],
      [{ account: "100080", amount: "1e3" }, 400],
    ] as const) {
      const refused = await fetch(`${hub.url}/api/webmoney/invoices`, { method: "POST", headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      expect({ body, status: refused.status }).toEqual({ body, status });
    }
  });

  it("when the pre-request names payhub's invoice with its account and amount, then YES; an unknown number, another account or another amount gets a refusal text", async () => {
    const paymentNo = await issueWebmoneyInvoice(hub, "100080", "150.00");
    expect(await (await prerequest(paymentNo, "100080", "150.00")).text()).toBe("YES");
    for (const [number, account, amount] of [
      ["999999999", "100080", "150.00"],
      [paymentNo, "100081", "150.00"],
      [paymentNo, "100080", "1500.00"],
    ]) {
      const refused = await prerequest(number!, account!, amount!);
      expect(refused.status).toBe(200);
      expect(await refused.text()).toMatch(/^Счёт на оплату не найден или изменён/);
    }
    // The unsigned pre-request never changed the invoice: it is still for 100080 and 150.00.
    expect(await (await prerequest(paymentNo, "100080", "150.00")).text()).toBe("YES");
  });

  it("when a signed notification pays an invoice, then the invoice's account is credited once (whatever the unsigned ACCOUNT says), and its replay credits nothing", async () => {
    const paymentNo = await issueWebmoneyInvoice(hub, "100080", "150.00");
    const before = await balanceOf("100080");
    const body = new URLSearchParams(fields("892001", paymentNo, "100080", "150.00")).toString();
    expect((await post("/webhooks/webmoney", body)).status).toBe(200);
    expect((await post("/webhooks/webmoney", body)).status).toBe(200);
    // The same signed notification with ACCOUNT changed: the same payment, credited nothing more, to nobody else.
    expect((await post("/webhooks/webmoney", new URLSearchParams(fields("892001", paymentNo, "100081", "150.00")).toString())).status).toBe(200);
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100080")).toBe(before + 15000n);
    expect(await hub.hub.db.inboundPayment.count({ where: { channel: "webmoney", externalId: "892001" } })).toBe(1);
  });

  it("when a signed notification names a number payhub never issued or another amount than issued, then it is taken (200) into suspense, not credited to its unsigned ACCOUNT", async () => {
    const paymentNo = await issueWebmoneyInvoice(hub, "100083", "150.00");
    const before = await balanceOf("100083");
    expect((await post("/webhooks/webmoney", new URLSearchParams(fields("893001", paymentNo, "100083", "1500.00")).toString())).status).toBe(200);
    expect((await post("/webhooks/webmoney", new URLSearchParams(fields("893002", "777777", "100083", "150.00")).toString())).status).toBe(200);
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100083")).toBe(before);
    const items = await hub.hub.db.suspenseItem.findMany({ where: { payment: { channel: "webmoney", externalId: { in: ["893001", "893002"] } } }, include: { payment: true }, orderBy: { id: "asc" } });
    expect(items.map((item) => [item.payment.externalId, item.reason.split(" (")[0], item.payment.accountNumber])).toEqual([
      ["893001", "amount differs from what payhub issued", "100083"],
      ["893002", "not issued by payhub", "100083"],
    ]);
  });

  it("when the hash is forged, the amount changed after signing, or the purse is not ours, then HTTP 400 and no money", async () => {
    const paymentNo = await issueWebmoneyInvoice(hub, "100080", "150.00");
    const before = await paymentCount();
    const forged = { ...fields("892002", paymentNo, "100080", "150.00"), LMI_HASH: "0".repeat(64) };
    const changed = { ...fields("892003", paymentNo, "100080", "150.00"), LMI_PAYMENT_AMOUNT: "1500.00" };
    const foreign = fields("892004", paymentNo, "100080", "150.00");
    foreign.LMI_PAYEE_PURSE = "R000000000000";
    for (const request of [forged, changed, foreign]) expect((await post("/webhooks/webmoney", new URLSearchParams(request).toString())).status).toBe(400);
    expect(await paymentCount()).toBe(before);
  });
});

describe("YooMoney", () => {
  const notification = (operationId: string, label: string, extra: Record<string, string> = {}) => yoomoneyNotification(YOOMONEY_SECRET, operationId, label, extra);


  it("when a signed notification arrives, then the account is credited the amount and the payer's fee is recorded; a replay credits nothing", async () => {
    const before = await balanceOf("100081");
    const body = new URLSearchParams(notification("ym-1001", "100081")).toString();
    expect((await post("/webhooks/yoomoney", body)).status).toBe(200);
    expect((await post("/webhooks/yoomoney", body)).status).toBe(200);
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100081")).toBe(before + 9800n);
    const payment = await hub.hub.db.inboundPayment.findFirstOrThrow({ where: { channel: "yoomoney", externalId: "ym-1001" } });
    expect(payment).toMatchObject({ amountKopecks: 9800n, payerAmountKopecks: 10000n, commissionKopecks: 200n });
  });

  it("when the hash does not match, then HTTP 400; a test notification or a protected transfer is answered 200 and credits nothing", async () => {
    const before = await paymentCount();
    const forged = { ...notification("ym-1002", "100081"), amount: "9800.00" };
    expect((await post("/webhooks/yoomoney", new URLSearchParams(forged).toString())).status).toBe(400);
    const test = { ...notification("ym-1003", "100081"), test_notification: "true" };
    expect((await post("/webhooks/yoomoney", new URLSearchParams(test).toString())).status).toBe(200);
    const protectedTransfer = notification("ym-1004", "100081", { codepro: "true" });
    expect((await post("/webhooks/yoomoney", new URLSearchParams(protectedTransfer).toString())).status).toBe(200);
    expect(await paymentCount()).toBe(before);
  });
});

describe("QIWI bills", () => {
  const bill = (billId: string, account: string, value: string, status = "PAID") => ({
    bill: {
      siteId: SITE_ID,
      billId,
      amount: { value, currency: "RUB" },
      status: { value: status, changedDateTime: "2026-11-24T12:00:00+03:00" },
      customer: { account },
    },
    version: "1",
  });
  const send = (body: ReturnType<typeof bill>, secret = QIWI_SECRET) =>
    fetch(`${hub.url}/webhooks/qiwi-bill`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "X-Api-Signature-SHA256": expectedSignature({ currency: body.bill.amount.currency, value: body.bill.amount.value, billId: body.bill.billId, siteId: body.bill.siteId, status: body.bill.status.value }, secret)!,
      },
      body: JSON.stringify(body),
    });

  it("when a bill payhub issued is PAID, then its account is credited once and a repeat credits nothing; the amount is signed with two decimals", async () => {
    const before = await balanceOf("100082");
    const paid = bill(await issueQiwiBill(hub, "100082", "300.00"), "100082", "300");
    const first = await send(paid);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ error: "0" });
    expect((await send(paid)).status).toBe(200);
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100082")).toBe(before + 30000n);
  });

  it("when a bill is REJECTED or EXPIRED, then 200 and nothing is credited; a bad signature gets 403 and nothing", async () => {
    const before = await paymentCount();
    expect((await send(bill("bill-2", "100082", "300", "REJECTED"))).status).toBe(200);
    expect((await send(bill("bill-3", "100082", "300", "EXPIRED"))).status).toBe(200);
    expect((await send(bill("bill-4", "100082", "300"), "another-secret")).status).toBe(403);
    const hmac = createHmac("sha256", QIWI_SECRET).update("RUB|300.00|bill-5|alliance-site|PAID").digest("hex");
    const tampered = await fetch(`${hub.url}/webhooks/qiwi-bill`, {
      method: "POST",
      headers: { "content-type": "application/json", "X-Api-Signature-SHA256": hmac },
      body: JSON.stringify(bill("bill-5", "100082", "3000")),
    });
    expect(tampered.status).toBe(403);
    expect(await paymentCount()).toBe(before);
  });
});

it("after every channel, the ledger sums to zero and balances equal their entries", async () => {
  await waitUntilAllCredited(hub);
  await expectLedgerConsistent(hub);
});
