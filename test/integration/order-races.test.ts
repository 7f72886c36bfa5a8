import { randomBytes } from "node:crypto";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectedArsenalpaySign } from "../../adapters/arsenalpay/verify.ts";
import { expectedCardChecksum } from "../../adapters/card/verify.ts";
import { expectedSkey, expectedStatusSignature } from "../../adapters/sms3116/verify.ts";
import { expectLedgerConsistent, startTestHub, waitFor, waitUntilAllCredited, withWorker, type TestHub } from "../support/test-hub.ts";

// Order races (issue 9): a provider's messages about one payment arrive in any order and at once (a callback and the
// card poller's round, a refund before the credit is done, a success after the payment expired, a cancel after the
// payment, two refunds at once). Each test ends with the balance the provider's own state says, every refusal of money
// the provider moved is an open intake incident an operator finds under /api/incidents, and after every test the whole
// ledger sums to zero with every cached balance equal to its entries. Everything goes over HTTP to real hubs on real
// PostgreSQL and Redis; only the card acquirer is played by nock.

const ADMIN_TOKEN = "test-admin-token-0123456789";

const ACQUIRER = "https://acquirer.test";
const API_PATH = "/payment/rest";
const CARD_KEY = "card-checksum-key";
const CARD_POLL_MS = 200;
const cardEnv = {
  CARD_CHECKSUM_KEY: CARD_KEY,
  CARD_API_URL: `${ACQUIRER}${API_PATH}`,
  CARD_API_USERNAME: "alliance-api",
  CARD_API_PASSWORD: "acquirer-password-123",
  CARD_RETURN_URL: "https://alliance.test/pay/card/done",
  CARD_POLL_INTERVAL_MS: String(CARD_POLL_MS),
};
const ARSENALPAY_KEY = "arsenalpay-callback-key";
const MERCHANT = "166301";
const arsenalpayEnv = { ARSENALPAY_CALLBACK_KEY: ARSENALPAY_KEY, ARSENALPAY_MERCHANT_ID: MERCHANT };
const SMS_SERVICE_KEY = "sms-service-key";
const SMS_API_KEY = "sms-api-key";
const smsEnv = { SMS_SERVICE_KEY, SMS_API_KEY };

const fresh = (prefix: string) => `${prefix}-${randomBytes(6).toString("hex")}`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- The acquirer: register.do and getOrderStatusExtended.do, answering from its own state of each order ----------

type OrderState = { orderStatus: number; amount: number; paymentAmountInfo?: { refundedAmount: number } } | "unavailable";

const acquirer = {
  /** By mdOrder: what getOrderStatusExtended.do answers now. A registered order starts created (0), not paid. */
  states: new Map<string, OrderState>(),
  /** By mdOrder: run once at the next status request for that order, before it is answered. */
  onNextAsk: new Map<string, () => Promise<void>>(),
};

const form = (body: unknown) => Object.fromEntries(new URLSearchParams(String(body)));

function statusAnswer(mdOrder: string): Record<string, unknown> {
  const state = acquirer.states.get(mdOrder);
  if (state === undefined) return { errorCode: "6", errorMessage: "Заказ не найден" };
  if (state === "unavailable") return { errorCode: "7", errorMessage: "Системная ошибка" };
  return { errorCode: "0", errorMessage: "Успешно", ...state };
}

/**
 * Runs `action` when payhub next asks the acquirer about `mdOrder`, and holds that status answer until `action` is
 * done: whatever `action` sends lands while the asker waits for the acquirer. Resolves with what `action` answered.
 */
function whenAsked<T>(mdOrder: string, action: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      acquirer.onNextAsk.delete(mdOrder);
      reject(new Error(`payhub did not ask the acquirer about ${mdOrder} within 10 s`));
    }, 10_000);
    acquirer.onNextAsk.set(mdOrder, async () => {
      clearTimeout(timer);
      try {
        resolve(await action());
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  nock(ACQUIRER)
    .persist()
    .post(`${API_PATH}/register.do`)
    .reply(200, (_uri, body) => {
      const fields = form(body);
      const orderId = `md-${fields.orderNumber}`;
      acquirer.states.set(orderId, { orderStatus: 0, amount: Number(fields.amount) });
      return { orderId, formUrl: `${ACQUIRER}/payment/merchants/alliance/payment_ru.html?mdOrder=${orderId}` };
    });
  nock(ACQUIRER)
    .persist()
    .post(`${API_PATH}/getOrderStatusExtended.do`)
    .reply(async (_uri, body) => {
      const mdOrder = form(body).orderId ?? "";
      const hook = acquirer.onNextAsk.get(mdOrder);
      if (hook) {
        acquirer.onNextAsk.delete(mdOrder);
        await hook();
      }
      return [200, statusAnswer(mdOrder)] as const;
    });
});
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

// ---- What an operator looks at --------------------------------------------------------------------------------------

const api = (hub: TestHub, path: string, init: RequestInit = {}) =>
  fetch(`${hub.url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...(init.headers ?? {}) } });

/** A new subscriber account with a zero balance, so that its balance is exactly what this test's payments left. */
async function newAccount(hub: TestHub): Promise<string> {
  const number = `7${randomBytes(4).readUInt32BE(0).toString().padStart(10, "0")}`;
  const response = await api(hub, `/api/accounts/${number}`, { method: "PUT", body: JSON.stringify({ ownerName: "Тестов Тест Тестович", address: "г. Владивосток" }) });
  expect(response.status).toBe(201);
  return number;
}

/** The balance as GET /api/accounts/:number shows it, in kopecks. */
async function balance(hub: TestHub, number: string): Promise<bigint> {
  const response = await api(hub, `/api/accounts/${number}`);
  expect(response.status).toBe(200);
  return BigInt(((await response.json()) as { balanceKopecks: string }).balanceKopecks);
}

interface Incident {
  kind: string;
  channel: string;
  externalId: string;
  paymentId: string | null;
  detail: string;
  request: Record<string, unknown>;
}

/** The open incidents of one payment, as GET /api/incidents lists them. */
async function openIncidents(hub: TestHub, channel: string, externalId: string): Promise<Incident[]> {
  const response = await api(hub, "/api/incidents?status=open&limit=500");
  expect(response.status).toBe(200);
  const { incidents } = (await response.json()) as { incidents: Incident[] };
  return incidents.filter((incident) => incident.channel === channel && incident.externalId === externalId);
}

const paymentOf = (hub: TestHub, channel: string, externalId: string) =>
  hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { channel_externalId: { channel, externalId } } });
const creditsOf = async (hub: TestHub, channel: string, externalId: string) =>
  hub.hub.db.posting.count({ where: { creditOfPaymentId: (await paymentOf(hub, channel, externalId)).id } });
const reversalsOf = async (hub: TestHub, channel: string, externalId: string) =>
  hub.hub.db.paymentReversal.findMany({ where: { paymentId: (await paymentOf(hub, channel, externalId)).id }, orderBy: { id: "asc" } });
const reversedTotal = async (hub: TestHub, channel: string, externalId: string) =>
  (await reversalsOf(hub, channel, externalId)).reduce((sum, reversal) => sum + reversal.amountKopecks, 0n);

// ---- The providers ----------------------------------------------------------------------------------------------

async function registerOrder(hub: TestHub, account: string, amount: string): Promise<{ orderNumber: string; mdOrder: string }> {
  const response = await api(hub, "/api/card/orders", { method: "POST", body: JSON.stringify({ account, amount }) });
  expect(response.status).toBe(201);
  const { orderNumber } = (await response.json()) as { orderNumber: string };
  return { orderNumber, mdOrder: `md-${orderNumber}` };
}

const cardCallback = (hub: TestHub, params: Record<string, string>, key = CARD_KEY) =>
  fetch(`${hub.url}/webhooks/card?${new URLSearchParams({ ...params, checksum: expectedCardChecksum(params, key)! })}`);
const cardStatus = async (hub: TestHub, params: Record<string, string>, key = CARD_KEY) => (await cardCallback(hub, params, key)).status;
/** Is the order marked for the poller to ask the acquirer again (the card-reconcile outbox row, unprocessed)? */
const markedForPoller = async (hub: TestHub, orderNumber: string) =>
  (await hub.hub.db.outbox.count({ where: { topic: "card-reconcile", processedAt: null, payment: { channel: "card", externalId: orderNumber } } })) > 0;

async function arsenalpay(hub: TestHub, fn: string, rrn: string, account: string, amount: string, datetime = "2026-12-03T12:00:00+10:00"): Promise<string> {
  const signed = { ID: MERCHANT, FUNCTION: fn, RRN: rrn, PAYER: "427600******1234", AMOUNT: amount, ACCOUNT: account, STATUS: fn };
  const params = { ...signed, DATETIME: datetime, SIGN: expectedArsenalpaySign(signed, ARSENALPAY_KEY) };
  const response = await fetch(`${hub.url}/webhooks/arsenalpay`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params).toString(),
  });
  expect(response.status).toBe(200);
  return response.text();
}

async function smsIncoming(hub: TestHub, smsid: string, msg: string, operator = "megafon"): Promise<void> {
  const response = await fetch(
    `${hub.url}/webhooks/sms/incoming?${new URLSearchParams({ skey: expectedSkey(SMS_SERVICE_KEY), smsid, num: "3116", operator, user_id: "79141234567", msg })}`,
  );
  expect(response.status).toBe(200);
}

function smsStatusBody(smsid: string, status: "success" | "failure" | "pending", amount: number) {
  const paymentId = `agg-${smsid}`;
  return {
    request: "payment_status",
    payment_id: paymentId,
    merchant_payment_id: smsid,
    status,
    amount,
    date_created: "2026-12-03 12:00:00",
    signature: expectedStatusSignature(paymentId, SMS_API_KEY),
  };
}

async function smsStatus(hub: TestHub, body: ReturnType<typeof smsStatusBody>): Promise<unknown> {
  const response = await fetch(`${hub.url}/webhooks/sms/status`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(response.status).toBeLessThan(500);
  return response.json();
}

// ---- One hub with everything: server, credit worker, sweeper and a card poller that asks every 200 ms -------------

describe("order races on a hub with its worker and card poller", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ ...cardEnv, ...arsenalpayEnv, ...smsEnv });
  });
  afterAll(async () => {
    await hub?.stop();
  });
  afterEach(() => expectLedgerConsistent(hub));

  describe("callback vs poller", () => {
    it("when the signed deposited callback lands while the poller waits for the acquirer's 'deposited', then the order is credited once", async () => {
      const account = await newAccount(hub);
      const { orderNumber, mdOrder } = await registerOrder(hub, account, "500.00");
      const deposited = { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "50000" };
      // The payer pays: the poller's next question about the order is answered "deposited" only after the acquirer's
      // callback was answered, so the poller confirms an order the callback confirmed while it waited.
      const callback = whenAsked(mdOrder, () => cardStatus(hub, deposited));
      acquirer.states.set(mdOrder, { orderStatus: 2, amount: 50000 });
      expect(await callback).toBe(200);

      await waitFor("the order to be credited", async () => (await paymentOf(hub, "card", orderNumber)).status === "credited", 20_000);
      await pause(5 * CARD_POLL_MS); // more poll rounds: nothing else may move
      await waitUntilAllCredited(hub);
      expect(await creditsOf(hub, "card", orderNumber)).toBe(1);
      expect(await balance(hub, account)).toBe(50000n);
      expect(await openIncidents(hub, "card", orderNumber)).toEqual([]);
      // The acquirer's late repeat changes nothing either.
      expect(await cardStatus(hub, deposited)).toBe(200);
      await waitUntilAllCredited(hub);
      expect(await balance(hub, account)).toBe(50000n);
    });

    it("when the poller confirmed the order first and the acquirer's deposited callback arrives after it, then 200 and the order is credited once", async () => {
      const account = await newAccount(hub);
      const { orderNumber, mdOrder } = await registerOrder(hub, account, "510.00");
      const deposited = { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "51000" };
      acquirer.states.set(mdOrder, { orderStatus: 2, amount: 51000 });
      await waitFor("the poller to confirm the order", async () => (await paymentOf(hub, "card", orderNumber)).status !== "pending", 20_000);
      expect(await cardStatus(hub, deposited)).toBe(200);
      await waitUntilAllCredited(hub);
      expect(await creditsOf(hub, "card", orderNumber)).toBe(1);
      expect(await balance(hub, account)).toBe(51000n);
      expect(await openIncidents(hub, "card", orderNumber)).toEqual([]);
    });

    it("when the acquirer's refund is reported by its signed callback, a callback with a bad checksum and the poller's round all at once, then exactly the acquirer's refunded total is reversed, once", async () => {
      const account = await newAccount(hub);
      const { orderNumber, mdOrder } = await registerOrder(hub, account, "600.00");
      expect(await cardStatus(hub, { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "60000" })).toBe(200);
      await waitFor("the order to be credited", async () => (await paymentOf(hub, "card", orderNumber)).status === "credited", 20_000);

      // The first refund callback finds the acquirer's status API failing: nothing moves on the callback's word, the
      // acquirer hears "repeat" (503), and the order is marked for the poller's rounds to ask again.
      acquirer.states.set(mdOrder, "unavailable");
      const refund = { mdOrder, orderNumber, operation: "refunded", status: "1", amount: "25000" };
      expect(await cardStatus(hub, refund)).toBe(503);
      expect(await balance(hub, account)).toBe(60000n);
      expect(await markedForPoller(hub, orderNumber)).toBe(true);

      // The API is back and says 250.00 refunded. While the poller's round waits for that answer, the acquirer's
      // repeated callback and a callback with a bad checksum claiming the whole sum arrive together.
      const raced = whenAsked(mdOrder, () => Promise.all([cardStatus(hub, refund), cardStatus(hub, { ...refund, amount: "60000" }, "not-the-checksum-key")]));
      acquirer.states.set(mdOrder, { orderStatus: 4, amount: 60000, paymentAmountInfo: { refundedAmount: 25000 } });
      expect(await raced).toEqual([200, 403]);

      await waitFor("the poller to stop asking about the order", async () => !(await markedForPoller(hub, orderNumber)), 20_000);
      await pause(5 * CARD_POLL_MS);
      const reversals = await reversalsOf(hub, "card", orderNumber);
      expect(reversals.map((reversal) => reversal.amountKopecks)).toEqual([25000n]);
      expect(await balance(hub, account)).toBe(60000n - 25000n);
      expect(await creditsOf(hub, "card", orderNumber)).toBe(1);
      expect(await openIncidents(hub, "card", orderNumber)).toEqual([]);
    });
  });

  // A confirmation or a close that loses the race to another one committed while it ran must read the payment as that
  // one left it (settle-pending.ts re-reads it), and concurrent copies of one refused request are flagged once (a
  // partial unique index on intake_incident): these tests held both to account when their statements overlap.
  describe("the same callback, repeated at once", () => {
    it("when the acquirer's signed deposited callback arrives five times at once, then each is answered 200, the order is credited once, and nothing is flagged", async () => {
      const account = await newAccount(hub);
      const { orderNumber, mdOrder } = await registerOrder(hub, account, "520.00");
      const deposited = { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "52000" };
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => cardStatus(hub, deposited)));
      await waitUntilAllCredited(hub);
      expect(await creditsOf(hub, "card", orderNumber)).toBe(1);
      expect(await balance(hub, account)).toBe(52000n);
      expect(answers).toEqual([200, 200, 200, 200, 200]);
      expect(await openIncidents(hub, "card", orderNumber)).toEqual([]);
    });

    it("when the acquirer's declinedByTimeout arrives five times at once, then each is answered 200, the order is closed, and nothing is flagged", async () => {
      const account = await newAccount(hub);
      const { orderNumber, mdOrder } = await registerOrder(hub, account, "530.00");
      const declined = { mdOrder, orderNumber, operation: "declinedByTimeout", status: "0" };
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => cardStatus(hub, declined)));
      expect((await paymentOf(hub, "card", orderNumber)).status).toBe("closed");
      expect(await balance(hub, account)).toBe(0n);
      expect(answers).toEqual([200, 200, 200, 200, 200]);
      expect(await openIncidents(hub, "card", orderNumber)).toEqual([]);
    });

    it("when the SMS aggregator's signed success arrives five times at once, then each is answered ok, the payment is credited once, and nothing is flagged", async () => {
      const account = await newAccount(hub);
      const smsid = fresh("sms-burst");
      await smsIncoming(hub, smsid, `aliance ${account} 300`);
      const success = smsStatusBody(smsid, "success", 30900);
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => smsStatus(hub, success)));
      await waitUntilAllCredited(hub);
      expect(await creditsOf(hub, "sms3116", smsid)).toBe(1);
      expect(await balance(hub, account)).toBe(30000n);
      expect(answers).toEqual(Array(5).fill({ result: "ok" }));
      expect(await openIncidents(hub, "sms3116", smsid)).toEqual([]);
    });

    it("when a copy of the SMS aggregator's success has bound its payment_id but not yet confirmed (the moment two copies race), then the other copy confirms it, credited once, nothing flagged; after a pending report it would be flagged", async () => {
      const [account, other] = [await newAccount(hub), await newAccount(hub)];
      const [smsid, afterPending] = [fresh("sms-race"), fresh("sms-race")];
      await smsIncoming(hub, smsid, `aliance ${account} 300`);
      await smsIncoming(hub, afterPending, `aliance ${other} 300`);
      // What the first copy's binding leaves behind before its confirm runs: the id bound by a success, the payment pending.
      const bind = async (id: string, report: string) => {
        const payment = await paymentOf(hub, "sms3116", id);
        await hub.hub.db.$executeRaw`INSERT INTO provider_binding (channel, provider_reference, payment_id, amount_kopecks, first_report)
          VALUES ('sms3116', ${`agg-${id}`}, ${payment.id}, 30900, ${report})`;
      };
      await bind(smsid, "success");
      await bind(afterPending, "pending");
      expect(await smsStatus(hub, smsStatusBody(smsid, "success", 30900))).toEqual({ result: "ok" });
      expect(await smsStatus(hub, smsStatusBody(afterPending, "success", 30900))).toEqual({ result: "ok" });
      await waitUntilAllCredited(hub);
      expect([await creditsOf(hub, "sms3116", smsid), await creditsOf(hub, "sms3116", afterPending)]).toEqual([1, 1]);
      expect(await openIncidents(hub, "sms3116", smsid)).toEqual([]);
      expect((await openIncidents(hub, "sms3116", afterPending)).map((incident) => incident.kind)).toEqual(["to-confirm"]);
    });

    it("when ArsenalPay's payment completing a hold arrives five times at once, then each is answered OK, it is credited once, and nothing is flagged", async () => {
      const account = await newAccount(hub);
      const rrn = fresh("ap-hold");
      expect(await arsenalpay(hub, "hold", rrn, account, "270.00")).toBe("OK");
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => arsenalpay(hub, "payment", rrn, account, "270.00")));
      await waitUntilAllCredited(hub);
      expect(await creditsOf(hub, "arsenalpay", rrn)).toBe(1);
      expect(await balance(hub, account)).toBe(27000n);
      expect(answers).toEqual(["OK", "OK", "OK", "OK", "OK"]);
      expect(await openIncidents(hub, "arsenalpay", rrn)).toEqual([]);
    });

    it("when the acquirer's deposited for an order closed before arrives five times at once, then each is 409, no money, and one incident", async () => {
      const account = await newAccount(hub);
      const { orderNumber, mdOrder } = await registerOrder(hub, account, "540.00");
      expect(await cardStatus(hub, { mdOrder, orderNumber, operation: "declinedByTimeout", status: "0" })).toBe(200);
      const late = { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "54000" };
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => cardStatus(hub, late)));
      await waitUntilAllCredited(hub);
      expect(await balance(hub, account)).toBe(0n);
      expect(answers).toEqual([409, 409, 409, 409, 409]);
      expect((await openIncidents(hub, "card", orderNumber)).map((incident) => incident.kind)).toEqual(["money-refused"]);
    });
  });

  describe("success after expiry", () => {
    it("when a card order closed by declinedByTimeout is later reported deposited with a valid checksum, then 409, no money, and an incident with the request as received", async () => {
      const account = await newAccount(hub);
      const { orderNumber, mdOrder } = await registerOrder(hub, account, "200.00");
      acquirer.states.set(mdOrder, { orderStatus: 6, amount: 20000 });
      expect(await cardStatus(hub, { mdOrder, orderNumber, operation: "declinedByTimeout", status: "0" })).toBe(200);
      expect((await paymentOf(hub, "card", orderNumber)).status).toBe("closed");

      const late = { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "20000" };
      acquirer.states.set(mdOrder, { orderStatus: 2, amount: 20000 });
      expect(await cardStatus(hub, late)).toBe(409);
      // The acquirer repeats a refused callback: still no money, still one incident.
      expect(await cardStatus(hub, late)).toBe(409);
      await pause(3 * CARD_POLL_MS);
      await waitUntilAllCredited(hub);
      expect(await balance(hub, account)).toBe(0n);
      expect((await paymentOf(hub, "card", orderNumber)).status).toBe("closed");
      const incidents = await openIncidents(hub, "card", orderNumber);
      expect(incidents.map((incident) => incident.kind)).toEqual(["money-refused"]);
      expect(incidents[0]!.request).toMatchObject(late);
    });

    it("when the poller closed a card order the acquirer declined and a signed deposited arrives afterwards, then 409, no money, and an incident", async () => {
      const account = await newAccount(hub);
      const { orderNumber, mdOrder } = await registerOrder(hub, account, "210.00");
      acquirer.states.set(mdOrder, { orderStatus: 6, amount: 21000 });
      await waitFor("the poller to close the declined order", async () => (await paymentOf(hub, "card", orderNumber)).status === "closed", 20_000);

      const late = { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "21000" };
      expect(await cardStatus(hub, late)).toBe(409);
      await waitUntilAllCredited(hub);
      expect(await balance(hub, account)).toBe(0n);
      const incidents = await openIncidents(hub, "card", orderNumber);
      expect(incidents.map((incident) => incident.kind)).toEqual(["money-refused"]);
      expect(incidents[0]!.request).toMatchObject(late);
    });
  });

  describe("cancel after payment", () => {
    it("when ArsenalPay sends cancel for a credited payment, then ERR, the money stays credited, and a status-contradiction incident", async () => {
      const account = await newAccount(hub);
      const rrn = fresh("ap-cancel");
      expect(await arsenalpay(hub, "payment", rrn, account, "350.00")).toBe("OK");
      await waitUntilAllCredited(hub);
      expect(await arsenalpay(hub, "cancel", rrn, account, "350.00")).toBe("ERR");
      expect(await arsenalpay(hub, "cancelinit", rrn, account, "350.00")).toBe("ERR");
      expect(await balance(hub, account)).toBe(35000n);
      expect((await paymentOf(hub, "arsenalpay", rrn)).status).toBe("credited");
      expect(await reversalsOf(hub, "arsenalpay", rrn)).toEqual([]);
      const incidents = await openIncidents(hub, "arsenalpay", rrn);
      expect(incidents.map((incident) => incident.kind)).toEqual(["status-contradiction", "status-contradiction"]);
      expect(incidents.map((incident) => incident.request)).toEqual([
        expect.objectContaining({ FUNCTION: "cancel", RRN: rrn, ACCOUNT: account, AMOUNT: "350.00" }),
        expect.objectContaining({ FUNCTION: "cancelinit", RRN: rrn, ACCOUNT: account, AMOUNT: "350.00" }),
      ]);
    });

    it("when the SMS aggregator reports failure after its success, then error_invalid_request, the money stays, and a status-contradiction incident", async () => {
      const account = await newAccount(hub);
      const smsid = fresh("sms-cancel");
      await smsIncoming(hub, smsid, `aliance ${account} 200`);
      expect(await smsStatus(hub, smsStatusBody(smsid, "success", 20600))).toEqual({ result: "ok" });
      await waitUntilAllCredited(hub);
      const failure = smsStatusBody(smsid, "failure", 20600);
      expect(await smsStatus(hub, failure)).toEqual({ result: "error_invalid_request" });
      expect(await balance(hub, account)).toBe(20000n);
      expect((await paymentOf(hub, "sms3116", smsid)).status).toBe("credited");
      const incidents = await openIncidents(hub, "sms3116", smsid);
      expect(incidents.map((incident) => incident.kind)).toEqual(["status-contradiction"]);
      expect(incidents[0]!.request).toMatchObject({ payment_id: failure.payment_id, merchant_payment_id: smsid, status: "failure", amount: 20600 });
    });

    it("when the acquirer sends declinedByTimeout for an order already deposited and credited, then not 200, the money stays, and a status-contradiction incident", async () => {
      const account = await newAccount(hub);
      const { orderNumber, mdOrder } = await registerOrder(hub, account, "330.00");
      expect(await cardStatus(hub, { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "33000" })).toBe(200);
      await waitUntilAllCredited(hub);
      const declined = { mdOrder, orderNumber, operation: "declinedByTimeout", status: "0" };
      expect(await cardStatus(hub, declined)).toBe(409);
      expect(await balance(hub, account)).toBe(33000n);
      expect((await paymentOf(hub, "card", orderNumber)).status).toBe("credited");
      const incidents = await openIncidents(hub, "card", orderNumber);
      expect(incidents.map((incident) => incident.kind)).toEqual(["status-contradiction"]);
      expect(incidents[0]!.request).toMatchObject(declined);
    });
  });

  describe("contradicting reports at once", () => {
    it("when the SMS aggregator's success and failure for one payment arrive at once, then exactly one is taken, the balance follows it, and the other is an incident that says why", async () => {
      const account = await newAccount(hub);
      const smsid = fresh("sms-both");
      await smsIncoming(hub, smsid, `aliance ${account} 250`);
      const [success, failure] = await Promise.all([smsStatus(hub, smsStatusBody(smsid, "success", 25750)), smsStatus(hub, smsStatusBody(smsid, "failure", 25750))]);
      await waitUntilAllCredited(hub);
      const status = (await paymentOf(hub, "sms3116", smsid)).status;
      const incidents = await openIncidents(hub, "sms3116", smsid);
      if (status === "credited") {
        expect(await balance(hub, account)).toBe(25000n);
        expect([success, failure]).toEqual([{ result: "ok" }, { result: "error_invalid_request" }]);
        expect(incidents.map((incident) => [incident.kind, incident.request.status])).toEqual([["status-contradiction", "failure"]]);
        expect(incidents[0]!.detail).toMatch(/accepted|credited/);
      } else {
        expect(status).toBe("closed");
        expect(await balance(hub, account)).toBe(0n);
        expect([success, failure]).toEqual([{ result: "error_invalid_request" }, { result: "ok" }]);
        expect(incidents.map((incident) => [incident.kind, incident.request.status])).toEqual([["money-refused", "success"]]);
        expect(incidents[0]!.detail).toMatch(/closed/);
      }
    });

    it("when ArsenalPay's payment and cancel of one hold arrive at once, then exactly one is taken, the balance follows it, and the other is ERR with an incident that says why", async () => {
      const account = await newAccount(hub);
      const rrn = fresh("ap-both");
      expect(await arsenalpay(hub, "hold", rrn, account, "180.00")).toBe("OK");
      const [payment, cancel] = await Promise.all([arsenalpay(hub, "payment", rrn, account, "180.00"), arsenalpay(hub, "cancel", rrn, account, "180.00")]);
      await waitUntilAllCredited(hub);
      const status = (await paymentOf(hub, "arsenalpay", rrn)).status;
      const incidents = await openIncidents(hub, "arsenalpay", rrn);
      if (status === "credited") {
        expect(await balance(hub, account)).toBe(18000n);
        expect([payment, cancel]).toEqual(["OK", "ERR"]);
        expect(incidents.map((incident) => [incident.kind, incident.request.FUNCTION])).toEqual([["status-contradiction", "cancel"]]);
        expect(incidents[0]!.detail).toMatch(/accepted|credited|paid/);
      } else {
        expect(status).toBe("closed");
        expect(await balance(hub, account)).toBe(0n);
        expect([payment, cancel]).toEqual(["ERR", "OK"]);
        expect(incidents.map((incident) => [incident.kind, incident.request.FUNCTION])).toEqual([["money-refused", "payment"]]);
        expect(incidents[0]!.detail).toMatch(/closed|cancelled/);
      }
    });

    it("when ArsenalPay's partial refund and its reverse of one payment arrive at once, then exactly one is taken and the other is ERR with an incident: never more than the payment goes back", async () => {
      const account = await newAccount(hub);
      const rrn = fresh("ap-refrev");
      expect(await arsenalpay(hub, "payment", rrn, account, "800.00")).toBe("OK");
      await waitUntilAllCredited(hub);
      const [refund, reverse] = await Promise.all([
        arsenalpay(hub, "refund", rrn, account, "100.00", "2026-12-03T12:01:00+10:00"),
        arsenalpay(hub, "reverse", rrn, account, "800.00", "2026-12-03T12:01:00+10:00"),
      ]);
      expect([refund, reverse].sort()).toEqual(["ERR", "OK"]);
      const taken = refund === "OK" ? 10000n : 80000n;
      expect((await reversalsOf(hub, "arsenalpay", rrn)).map((reversal) => reversal.amountKopecks)).toEqual([taken]);
      expect(await balance(hub, account)).toBe(80000n - taken);
      const incidents = await openIncidents(hub, "arsenalpay", rrn);
      expect(incidents.map((incident) => [incident.kind, incident.request.FUNCTION])).toEqual([["reversal-refused", refund === "OK" ? "reverse" : "refund"]]);
    });
  });

  describe("concurrent refunds", () => {
    it("when ArsenalPay sends two partial refunds of different amounts at once, then both are taken, each once", async () => {
      const account = await newAccount(hub);
      const rrn = fresh("ap-two");
      expect(await arsenalpay(hub, "payment", rrn, account, "1000.00")).toBe("OK");
      await waitUntilAllCredited(hub);
      const answers = await Promise.all([
        arsenalpay(hub, "refund", rrn, account, "300.00", "2026-12-03T12:01:00+10:00"),
        arsenalpay(hub, "refund", rrn, account, "200.00", "2026-12-03T12:02:00+10:00"),
      ]);
      expect(answers).toEqual(["OK", "OK"]);
      expect((await reversalsOf(hub, "arsenalpay", rrn)).map((reversal) => reversal.amountKopecks).sort()).toEqual([20000n, 30000n]);
      expect(await balance(hub, account)).toBe(100000n - 50000n);
      expect(await openIncidents(hub, "arsenalpay", rrn)).toEqual([]);
    });

    it("when ArsenalPay sends two refunds at once whose sum exceeds the payment, then exactly one is taken, the other is ERR with an incident, and the total never exceeds the payment", async () => {
      const account = await newAccount(hub);
      const rrn = fresh("ap-over");
      expect(await arsenalpay(hub, "payment", rrn, account, "500.00")).toBe("OK");
      await waitUntilAllCredited(hub);
      const answers = await Promise.all([
        arsenalpay(hub, "refund", rrn, account, "300.00", "2026-12-03T12:01:00+10:00"),
        arsenalpay(hub, "refund", rrn, account, "250.00", "2026-12-03T12:02:00+10:00"),
      ]);
      expect([...answers].sort()).toEqual(["ERR", "OK"]);
      const taken = answers[0] === "OK" ? 30000n : 25000n;
      const refused = answers[0] === "OK" ? "250.00" : "300.00";
      expect((await reversalsOf(hub, "arsenalpay", rrn)).map((reversal) => reversal.amountKopecks)).toEqual([taken]);
      expect(await balance(hub, account)).toBe(50000n - taken);
      const incidents = await openIncidents(hub, "arsenalpay", rrn);
      expect(incidents.map((incident) => incident.kind)).toEqual(["reversal-refused"]);
      expect(incidents[0]!.request).toMatchObject({ FUNCTION: "refund", RRN: rrn, AMOUNT: refused });
    });

    it("when the same signed ArsenalPay refund arrives five times at once, then every answer is OK and it is reversed once", async () => {
      const account = await newAccount(hub);
      const rrn = fresh("ap-five");
      expect(await arsenalpay(hub, "payment", rrn, account, "400.00")).toBe("OK");
      await waitUntilAllCredited(hub);
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => arsenalpay(hub, "refund", rrn, account, "150.00", "2026-12-03T12:05:00+10:00")));
      expect(answers).toEqual(["OK", "OK", "OK", "OK", "OK"]);
      expect((await reversalsOf(hub, "arsenalpay", rrn)).map((reversal) => reversal.amountKopecks)).toEqual([15000n]);
      expect(await balance(hub, account)).toBe(40000n - 15000n);
      expect(await openIncidents(hub, "arsenalpay", rrn)).toEqual([]);
    });

    it("when two card refund callbacks arrive at once while the acquirer's refunded total is 150.00, then 150.00 is reversed once; when the total reaches the whole sum, the rest, once", async () => {
      const account = await newAccount(hub);
      const { orderNumber, mdOrder } = await registerOrder(hub, account, "400.00");
      expect(await cardStatus(hub, { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "40000" })).toBe(200);
      await waitUntilAllCredited(hub);

      acquirer.states.set(mdOrder, { orderStatus: 4, amount: 40000, paymentAmountInfo: { refundedAmount: 15000 } });
      const refund = (amount: string) => cardStatus(hub, { mdOrder, orderNumber, operation: "refunded", status: "1", amount });
      expect(await Promise.all([refund("10000"), refund("5000")])).toEqual([200, 200]);
      expect(await reversedTotal(hub, "card", orderNumber)).toBe(15000n);
      expect(await balance(hub, account)).toBe(40000n - 15000n);

      acquirer.states.set(mdOrder, { orderStatus: 4, amount: 40000, paymentAmountInfo: { refundedAmount: 40000 } });
      expect(await Promise.all([refund("25000"), refund("25000"), refund("15000")])).toEqual([200, 200, 200]);
      await pause(3 * CARD_POLL_MS);
      expect((await reversalsOf(hub, "card", orderNumber)).map((reversal) => reversal.amountKopecks)).toEqual([15000n, 25000n]);
      expect(await balance(hub, account)).toBe(0n);
      expect(await openIncidents(hub, "card", orderNumber)).toEqual([]);
    });
  });
});

// ---- SMS payments that expire quickly ------------------------------------------------------------------------------

describe("success after expiry: SMS", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ ...smsEnv, SMS_PENDING_TTL_MS: "500" });
  });
  afterAll(async () => {
    await hub?.stop();
  });
  afterEach(() => expectLedgerConsistent(hub));

  it("when a signed success arrives for an SMS payment that expired, then error_invalid_request, no money, and an open incident with the request as received", async () => {
    const account = await newAccount(hub);
    const smsid = fresh("sms-late");
    await smsIncoming(hub, smsid, `aliance ${account} 150`);
    expect((await paymentOf(hub, "sms3116", smsid)).status).toBe("pending");
    await waitFor("the SMS payment to expire", async () => (await paymentOf(hub, "sms3116", smsid)).status === "closed", 20_000);
    expect((await paymentOf(hub, "sms3116", smsid)).closeReason).toMatch(/expired/);

    const late = smsStatusBody(smsid, "success", 15450);
    expect(await smsStatus(hub, late)).toEqual({ result: "error_invalid_request" });
    expect(await smsStatus(hub, late)).toEqual({ result: "error_invalid_request" });
    await waitUntilAllCredited(hub);
    expect(await balance(hub, account)).toBe(0n);
    expect((await paymentOf(hub, "sms3116", smsid)).status).toBe("closed");
    const incidents = await openIncidents(hub, "sms3116", smsid);
    expect(incidents.map((incident) => incident.kind)).toEqual(["money-refused"]);
    expect(incidents[0]!.request).toMatchObject({ payment_id: late.payment_id, merchant_payment_id: smsid, status: "success", amount: 15450 });
  });
});

// ---- A server without its worker: payments are accepted but not credited until a worker runs ---------------------

describe("refund before credit", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ ...cardEnv, ...arsenalpayEnv, HUB_ROLE: "server" });
  });
  afterAll(async () => {
    await hub?.stop();
  });
  afterEach(() => expectLedgerConsistent(hub));

  it("when the acquirer's refund callback arrives before the deposit is credited, then the refund credits it first and reverses it to the acquirer's total at once; the worker's credit later changes nothing", async () => {
    const account = await newAccount(hub);
    const { orderNumber, mdOrder } = await registerOrder(hub, account, "450.00");
    expect(await cardStatus(hub, { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "45000" })).toBe(200);
    expect((await paymentOf(hub, "card", orderNumber)).status).toBe("accepted");

    // The acquirer refunded all of it at once; its callback finds the deposit accepted, not credited yet.
    acquirer.states.set(mdOrder, { orderStatus: 4, amount: 45000, paymentAmountInfo: { refundedAmount: 45000 } });
    const refund = { mdOrder, orderNumber, operation: "refunded", status: "1", amount: "45000" };
    expect(await cardStatus(hub, refund)).toBe(200);
    expect(await cardStatus(hub, refund)).toBe(200);
    expect((await paymentOf(hub, "card", orderNumber)).status).toBe("credited");
    expect(await creditsOf(hub, "card", orderNumber)).toBe(1);
    expect((await reversalsOf(hub, "card", orderNumber)).map((reversal) => reversal.amountKopecks)).toEqual([45000n]);
    expect(await balance(hub, account)).toBe(0n);
    expect(await openIncidents(hub, "card", orderNumber)).toEqual([]);

    // The credit job the deposit queued runs when a worker does: it finds the payment credited.
    await withWorker(hub, hub.redisUrl, () => waitUntilAllCredited(hub));
    expect(await creditsOf(hub, "card", orderNumber)).toBe(1);
    expect(await balance(hub, account)).toBe(0n);
  });

  it("when the poller finds a pending order already refunded, then it confirms the deposit and, once credited, reverses it to the acquirer's total without any callback", async () => {
    const account = await newAccount(hub);
    const { orderNumber, mdOrder } = await registerOrder(hub, account, "320.00");
    acquirer.states.set(mdOrder, { orderStatus: 4, amount: 32000, paymentAmountInfo: { refundedAmount: 12000 } });
    await withWorker(
      hub,
      hub.redisUrl,
      async () => {
        await waitFor("the poller to reverse the refund", async () => (await reversedTotal(hub, "card", orderNumber)) === 12000n, 20_000);
        await waitFor("the poller to stop asking about the order", async () => !(await markedForPoller(hub, orderNumber)), 20_000);
        await pause(5 * CARD_POLL_MS);
      },
      cardEnv,
    );
    expect(await creditsOf(hub, "card", orderNumber)).toBe(1);
    expect((await reversalsOf(hub, "card", orderNumber)).map((reversal) => reversal.amountKopecks)).toEqual([12000n]);
    expect(await balance(hub, account)).toBe(20000n);
    expect(await openIncidents(hub, "card", orderNumber)).toEqual([]);
  });

  it("when ArsenalPay's refund arrives for a payment accepted but not credited yet, then it credits it first and takes the refund back once; the worker's credit later changes nothing", async () => {
    const account = await newAccount(hub);
    const rrn = fresh("ap-early");
    expect(await arsenalpay(hub, "payment", rrn, account, "300.00")).toBe("OK");
    expect((await paymentOf(hub, "arsenalpay", rrn)).status).toBe("accepted");
    expect(await arsenalpay(hub, "refund", rrn, account, "120.00")).toBe("OK");
    expect(await arsenalpay(hub, "refund", rrn, account, "120.00")).toBe("OK");
    expect((await reversalsOf(hub, "arsenalpay", rrn)).map((reversal) => reversal.amountKopecks)).toEqual([12000n]);
    expect(await balance(hub, account)).toBe(30000n - 12000n);

    await withWorker(hub, hub.redisUrl, () => waitUntilAllCredited(hub));
    expect(await creditsOf(hub, "arsenalpay", rrn)).toBe(1);
    expect(await balance(hub, account)).toBe(30000n - 12000n);
    expect(await openIncidents(hub, "arsenalpay", rrn)).toEqual([]);
  });
});
