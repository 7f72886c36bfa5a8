import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedSkey, expectedStatusSignature } from "../../adapters/sms3116/verify.ts";
import { expectLedgerConsistent, startTestHub, waitFor, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// SMS to 3116: "aliance <account> <sum>" opens a pending payment; the aggregator's status callback credits it once or
// closes it; an unconfirmed one expires.

const SERVICE_KEY = "sms-service-key";
const API_KEY = "sms-api-key";
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ SMS_SERVICE_KEY: SERVICE_KEY, SMS_API_KEY: API_KEY, SMS_PENDING_TTL_MS: "1500" });
});
afterAll(async () => {
  await hub?.stop();
});

const incoming = (smsid: string, msg: string, operator = "mts", skey = expectedSkey(SERVICE_KEY)) =>
  fetch(`${hub.url}/webhooks/sms/incoming?${new URLSearchParams({ skey, smsid, num: "3116", operator, user_id: "79141234567", msg })}`);
const status = (reference: string, result: "success" | "failure" | "pending", amount: number, paymentId = `agg-${reference}`, apiKey = API_KEY) =>
  fetch(`${hub.url}/webhooks/sms/status`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      request: "payment_status",
      payment_id: paymentId,
      merchant_payment_id: reference,
      status: result,
      amount,
      date_created: "2026-11-24 12:00:00",
      signature: expectedStatusSignature(paymentId, apiKey),
    }),
  });
const payment = (smsid: string) => hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { channel_externalId: { channel: "sms3116", externalId: smsid } } });
const balanceOf = async (number: string) => (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } })).balanceKopecks;

describe("an incoming SMS", () => {
  it("when it reads 'aliance 100080 100' from MTS, then a pending payment with 3 % + 10 rubles commission, and the reply asks to confirm", async () => {
    const response = await incoming("sms-1", "aliance 100080 100");
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(body).toMatch(/^smsid: sms-1\nstatus: reply\ncontent-type: text\/plain\n\n/);
    expect(body).toContain("100080");
    expect(body).toContain("13");
    expect(await payment("sms-1")).toMatchObject({ status: "pending", accountNumber: "100080", amountKopecks: 10000n, commissionKopecks: 1300n, payerAmountKopecks: 11300n });
    // A repeat of the same SMS opens nothing new and gets the same reply.
    expect(await (await incoming("sms-1", "aliance 100080 100")).text()).toBe(body);
    expect(await hub.hub.db.inboundPayment.count({ where: { channel: "sms3116" } })).toBe(1);
  });

  it("when the text uses Cyrillic look-alikes and a comma, then it is read; other operators pay 3 %", async () => {
    await incoming("sms-2", "АLIАNСЕ 100081 50,50", "beeline");
    expect(await payment("sms-2")).toMatchObject({ accountNumber: "100081", amountKopecks: 5050n, commissionKopecks: 152n });
  });

  it("when the account is unknown, the text is malformed, or the sum outside 10–5000, then the reply says so and nothing opens", async () => {
    const before = await hub.hub.db.inboundPayment.count();
    expect(await (await incoming("sms-3", "aliance 999999 100")).text()).toContain("не найден");
    expect(await (await incoming("sms-4", "pay 100080 100")).text()).toContain("aliance <лицевой счёт> <сумма>");
    expect(await (await incoming("sms-5", "aliance 100080 5000,01")).text()).toContain("вне лимита");
    expect(await hub.hub.db.inboundPayment.count()).toBe(before);
  });

  it("when the skey is wrong, then 403 and nothing opens", async () => {
    const response = await incoming("sms-6", "aliance 100080 100", "mts", expectedSkey("other-key"));
    expect(response.status).toBe(403);
    expect(await hub.hub.db.inboundPayment.count({ where: { externalId: "sms-6" } })).toBe(0);
  });
});

describe("the status callback", () => {
  it("when the payment succeeded, then the account is credited the full sum once, also when the callback repeats", async () => {
    const before = await balanceOf("100080");
    const first = await status("sms-1", "success", 11300);
    expect(await first.json()).toEqual({ result: "ok" });
    expect(await (await status("sms-1", "success", 11300)).json()).toEqual({ result: "ok" });
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100080")).toBe(before + 10000n);
    expect((await payment("sms-1")).status).toBe("credited");
  });

  it("when the payment failed, then it closes without money, and a later success for it is refused", async () => {
    expect(await (await status("sms-2", "failure", 5202)).json()).toEqual({ result: "ok" });
    expect((await payment("sms-2")).status).toBe("closed");
    expect(await (await status("sms-2", "success", 5202)).json()).toEqual({ result: "error_invalid_request" });
    expect(await balanceOf("100081")).toBe(0n);
  });

  it("when the amount matches neither the sum nor the sum with commission, then refused and nothing is credited", async () => {
    await incoming("sms-7", "aliance 100082 200", "megafon");
    expect(await (await status("sms-7", "success", 99)).json()).toEqual({ result: "error_invalid_request" });
    expect((await payment("sms-7")).status).toBe("pending");
  });

  it("when the signature is wrong or the payment unknown, then error_signature or error_not_found", async () => {
    expect(await (await status("sms-7", "success", 20000, "agg-x", "wrong-key")).json()).toEqual({ result: "error_signature" });
    expect(await (await status("no-such-sms", "success", 100)).json()).toEqual({ result: "error_not_found" });
    expect((await payment("sms-7")).status).toBe("pending");
  });

  it("when no outcome arrives in time, then the pending payment expires, and a late success credits nothing", async () => {
    await waitFor("sms-7 to expire", async () => (await payment("sms-7")).status === "closed", 20_000);
    expect((await payment("sms-7")).closeReason).toMatch(/expired/);
    expect(await (await status("sms-7", "success", 20000)).json()).toEqual({ result: "error_invalid_request" });
    expect(await balanceOf("100082")).toBe(0n);
    await expectLedgerConsistent(hub);
  });
});
