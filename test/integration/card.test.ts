import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectedCardChecksum } from "../../adapters/card/verify.ts";
import { expectLedgerConsistent, startTestHub, waitFor, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// Card acquiring end to end: payhub registers an order at the acquirer (played by nock, the only fake), records it as
// a pending payment, and the acquirer's signed callbacks, or payhub's own status polls, credit, close or compensate
// it through the real hub (PostgreSQL, Redis, the credit worker).

const ACQUIRER = "https://acquirer.test";
const API_PATH = "/payment/rest";
const KEY = "card-checksum-key";
const USER = "alliance-api";
const PASSWORD = "acquirer-password-123";
const RETURN_URL = "https://alliance.test/pay/card/done";
const ADMIN_TOKEN = "test-admin-token-0123456789";
const cardEnv = (extra: Record<string, string>) => ({
  CARD_CHECKSUM_KEY: KEY,
  CARD_API_URL: `${ACQUIRER}${API_PATH}`,
  CARD_API_USERNAME: USER,
  CARD_API_PASSWORD: PASSWORD,
  CARD_RETURN_URL: RETURN_URL,
  ...extra,
});

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterAll(() => {
  nock.enableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

const form = (body: unknown) => Object.fromEntries(new URLSearchParams(String(body)));

/** register.do answers a new orderId for each order; returns what the acquirer was sent. */
function acquirerRegisters(times = 1) {
  const seen: { headers: Record<string, unknown>; body: Record<string, string> }[] = [];
  const scope = nock(ACQUIRER)
    .post(`${API_PATH}/register.do`)
    .times(times)
    .reply(200, function (_uri, body) {
      const fields = form(body);
      seen.push({ headers: this.req.headers, body: fields });
      const orderId = `md-${fields.orderNumber}`;
      return { orderId, formUrl: `${ACQUIRER}/payment/merchants/alliance/payment_ru.html?mdOrder=${orderId}` };
    });
  return { scope, seen };
}

/** getOrderStatusExtended.do answers from `states` by orderId (persisting), recording the orderIds asked. */
function acquirerStatuses(states: Map<string, { orderStatus: number; amount?: number; paymentAmountInfo?: { refundedAmount?: number } }>) {
  const asked: Record<string, string>[] = [];
  nock(ACQUIRER)
    .persist()
    .post(`${API_PATH}/getOrderStatusExtended.do`)
    .reply(200, (_uri, body) => {
      const fields = form(body);
      asked.push(fields);
      const state = states.get(fields.orderId ?? "");
      return state ? { errorCode: "0", errorMessage: "Успешно", orderNumber: "x", ...state } : { errorCode: "6", errorMessage: "Заказ не найден" };
    });
  return asked;
}

const newOrder = (hub: TestHub, account: string, amount: string) =>
  fetch(`${hub.url}/api/card/orders`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ account, amount }),
  });

async function registered(hub: TestHub, account: string, amount: string): Promise<{ orderNumber: string; mdOrder: string }> {
  const { scope } = acquirerRegisters();
  const response = await newOrder(hub, account, amount);
  expect(response.status).toBe(201);
  expect(scope.isDone()).toBe(true);
  const { orderNumber } = (await response.json()) as { orderNumber: string };
  return { orderNumber, mdOrder: `md-${orderNumber}` };
}

const callback = (hub: TestHub, params: Record<string, string>, key = KEY) =>
  fetch(`${hub.url}/webhooks/card?${new URLSearchParams({ ...params, checksum: expectedCardChecksum(params, key)! })}`);
const payment = (hub: TestHub, orderNumber: string) =>
  hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { channel_externalId: { channel: "card", externalId: orderNumber } } });
const balanceOf = async (hub: TestHub, number: string) => (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } })).balanceKopecks;

describe("card orders and callbacks", () => {
  let hub: TestHub;
  beforeAll(async () => {
    // The poller's round is far away: here only callbacks and the poll after a bad checksum settle orders.
    hub = await startTestHub(cardEnv({ CARD_POLL_INTERVAL_MS: "3600000" }));
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("when an order is asked for, then register.do gets exactly its form and a pending payment is recorded with the mdOrder", async () => {
    const { scope, seen } = acquirerRegisters();
    const response = await newOrder(hub, "100080", "500.00");
    expect(response.status).toBe(201);
    expect(scope.isDone()).toBe(true);
    const answer = (await response.json()) as { orderNumber: string; formUrl: string };
    expect(answer.orderNumber).toMatch(/^card-[0-9a-f]{24}$/);
    expect(answer.formUrl).toBe(`${ACQUIRER}/payment/merchants/alliance/payment_ru.html?mdOrder=md-${answer.orderNumber}`);
    expect(seen[0]?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(seen[0]?.body).toEqual({
      userName: USER,
      password: PASSWORD,
      orderNumber: answer.orderNumber,
      amount: "50000",
      returnUrl: RETURN_URL,
      description: "Пополнение лицевого счёта 100080",
    });
    const recorded = await payment(hub, answer.orderNumber);
    expect(recorded).toMatchObject({ status: "pending", accountNumber: "100080", amountKopecks: 50000n });
    expect(recorded.request).toMatchObject({ orderNumber: answer.orderNumber, mdOrder: `md-${answer.orderNumber}` });
  });

  it("when the acquirer refuses the order, or the account or amount is wrong, then 502, 404, 409 or 422 and nothing is recorded", async () => {
    const before = await hub.hub.db.inboundPayment.count();
    nock(ACQUIRER).post(`${API_PATH}/register.do`).reply(200, { errorCode: "5", errorMessage: "Доступ запрещён" });
    const refused = await newOrder(hub, "100080", "100.00");
    expect(refused.status).toBe(502);
    const body = (await refused.json()) as { error: string; message: string };
    expect(body.error).toBe("acquirer_refused");
    expect(body.message).toContain("Доступ запрещён");
    expect(body.message).not.toContain(PASSWORD);
    expect((await newOrder(hub, "999999", "100.00")).status).toBe(404);
    expect((await newOrder(hub, "100090", "100.00")).status).toBe(409);
    expect((await newOrder(hub, "100080", "100000.01")).status).toBe(422);
    expect(await hub.hub.db.inboundPayment.count()).toBe(before);
  });

  it("when a signed deposited callback with status 1 arrives, then the account is credited once, also when it repeats", async () => {
    const { orderNumber, mdOrder } = await registered(hub, "100081", "300.00");
    const before = await balanceOf(hub, "100081");
    const params = { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "30000" };
    const first = await callback(hub, params);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe("OK");
    expect((await callback(hub, params)).status).toBe(200);
    await waitUntilAllCredited(hub);
    expect(await balanceOf(hub, "100081")).toBe(before + 30000n);
    expect((await payment(hub, orderNumber)).status).toBe("credited");
    // A third repeat after crediting changes nothing either.
    expect((await callback(hub, params)).status).toBe(200);
    await waitUntilAllCredited(hub);
    expect(await balanceOf(hub, "100081")).toBe(before + 30000n);
  });

  it("when declinedByTimeout arrives, then the order closes without money and a later deposit is refused with 409", async () => {
    const { orderNumber, mdOrder } = await registered(hub, "100082", "200.00");
    expect((await callback(hub, { mdOrder, orderNumber, operation: "declinedByTimeout", status: "0" })).status).toBe(200);
    expect((await payment(hub, orderNumber)).status).toBe("closed");
    expect((await callback(hub, { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "20000" })).status).toBe(409);
    expect(await balanceOf(hub, "100082")).toBe(0n);
  });

  it("when an order is unknown, then 404; when approved, then 200 and still pending", async () => {
    expect((await callback(hub, { mdOrder: "md-x", orderNumber: "card-unknown", operation: "deposited", status: "1" })).status).toBe(404);
    const { orderNumber, mdOrder } = await registered(hub, "100083", "100.00");
    expect((await callback(hub, { mdOrder, orderNumber, operation: "approved", status: "1", amount: "10000" })).status).toBe(200);
    expect((await payment(hub, orderNumber)).status).toBe("pending");
  });

  it("when refund callbacks follow a credit, then payhub asks the acquirer and reverses up to its refunded total: repeats change nothing, two refunds of the same amount count twice, a callback's own amount moves nothing", async () => {
    const { orderNumber, mdOrder } = await registered(hub, "100083", "400.00");
    const before = await balanceOf(hub, "100083");
    expect((await callback(hub, { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "40000" })).status).toBe(200);
    await waitUntilAllCredited(hub);
    const states = new Map<string, { orderStatus: number; amount: number; paymentAmountInfo?: { refundedAmount: number } }>([
      [mdOrder, { orderStatus: 4, amount: 40000, paymentAmountInfo: { refundedAmount: 15000 } }],
    ]);
    const asked = acquirerStatuses(states);
    const refund = { mdOrder, orderNumber, operation: "refunded", status: "1", amount: "15000" };
    expect((await callback(hub, refund)).status).toBe(200);
    expect((await callback(hub, refund)).status).toBe(200);
    expect(asked).toHaveLength(2);
    expect(await balanceOf(hub, "100083")).toBe(before + 40000n - 15000n);
    // A second refund of the same 150 rubles: the callback is identical, the acquirer's total says 300.
    states.set(mdOrder, { orderStatus: 4, amount: 40000, paymentAmountInfo: { refundedAmount: 30000 } });
    expect((await callback(hub, refund)).status).toBe(200);
    expect(await balanceOf(hub, "100083")).toBe(before + 10000n);
    // A callback claiming 300 rubles more: the acquirer's total has not moved, so nothing is reversed.
    expect((await callback(hub, { ...refund, amount: "30000" })).status).toBe(200);
    expect(await balanceOf(hub, "100083")).toBe(before + 10000n);
    // reversed: the acquirer's total is the whole sum; what is left goes back, once.
    states.set(mdOrder, { orderStatus: 3, amount: 40000 });
    expect((await callback(hub, { mdOrder, orderNumber, operation: "reversed", status: "1" })).status).toBe(200);
    expect((await callback(hub, { mdOrder, orderNumber, operation: "reversed", status: "1" })).status).toBe(200);
    expect(await balanceOf(hub, "100083")).toBe(before);
    const reversals = await hub.hub.db.paymentReversal.findMany({ where: { payment: { externalId: orderNumber } }, orderBy: { id: "asc" } });
    expect(reversals.map((reversal) => [reversal.reversalKey, reversal.amountKopecks])).toEqual([
      ["acquirer total 15000", 15000n],
      ["acquirer total 30000", 15000n],
      ["acquirer total 40000", 10000n],
    ]);
    await expectLedgerConsistent(hub);
  });

  it("when the acquirer refuses to tell the state of a credited order (order not found), then a refund callback moves nothing, is repeated (503), and an operator has one incident", async () => {
    const { orderNumber, mdOrder } = await registered(hub, "100082", "120.00");
    const before = await balanceOf(hub, "100082");
    expect((await callback(hub, { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "12000" })).status).toBe(200);
    await waitUntilAllCredited(hub);
    acquirerStatuses(new Map());
    const refund = { mdOrder, orderNumber, operation: "refunded", status: "1", amount: "12000" };
    expect((await callback(hub, refund)).status).toBe(503);
    expect((await callback(hub, refund)).status).toBe(503);
    expect(await balanceOf(hub, "100082")).toBe(before + 12000n);
    const incidents = await hub.hub.db.intakeIncident.findMany({ where: { channel: "card", externalId: orderNumber } });
    expect(incidents.map((incident) => [incident.kind, incident.detail])).toEqual([["reversal-refused", expect.stringContaining("Заказ не найден")]]);
  });

  it("when a callback fails its checksum, then 403 and nothing is believed, but the order is polled and the acquirer's deposited credits it", async () => {
    const { orderNumber, mdOrder } = await registered(hub, "100084", "150.00");
    const before = await balanceOf(hub, "100084");
    const asked = acquirerStatuses(new Map([[mdOrder, { orderStatus: 2, amount: 15000 }]]));
    const forged = await callback(hub, { mdOrder, orderNumber, operation: "deposited", status: "1", amount: "15000" }, "wrong-key");
    expect(forged.status).toBe(403);
    await waitFor("the poll to credit the order", async () => (await payment(hub, orderNumber)).status === "credited", 20_000);
    expect(asked).toEqual([{ userName: USER, password: PASSWORD, orderId: mdOrder }]);
    expect(await balanceOf(hub, "100084")).toBe(before + 15000n);
  });
});

describe("the card poller", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(cardEnv({ CARD_POLL_INTERVAL_MS: "300", CARD_ORDER_TTL_MS: "4000" }));
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("when the acquirer says deposited, declined or still waiting, then the order is credited, closed, or expired after its TTL", async () => {
    const states = new Map<string, { orderStatus: number; amount?: number }>();
    acquirerStatuses(states);
    const paid = await registered(hub, "100080", "120.00");
    const declined = await registered(hub, "100081", "130.00");
    const waiting = await registered(hub, "100082", "140.00");
    const before = await balanceOf(hub, "100080");
    states.set(paid.mdOrder, { orderStatus: 2, amount: 12000 });
    states.set(declined.mdOrder, { orderStatus: 6, amount: 13000 });
    states.set(waiting.mdOrder, { orderStatus: 0, amount: 14000 });

    await waitFor("the deposited order to be credited", async () => (await payment(hub, paid.orderNumber)).status === "credited", 20_000);
    expect(await balanceOf(hub, "100080")).toBe(before + 12000n);
    await waitFor("the declined order to close", async () => (await payment(hub, declined.orderNumber)).status === "closed", 20_000);
    expect((await payment(hub, declined.orderNumber)).closeReason).toMatch(/declined/);
    expect((await payment(hub, waiting.orderNumber)).status).toBe("pending");
    await waitFor("the waiting order to expire", async () => (await payment(hub, waiting.orderNumber)).status === "closed", 20_000);
    expect((await payment(hub, waiting.orderNumber)).closeReason).toMatch(/expired/);
    await expectLedgerConsistent(hub);
  });
});
