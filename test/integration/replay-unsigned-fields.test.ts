import { Writable } from "node:stream";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectedArsenalpaySign } from "../../adapters/arsenalpay/verify.ts";
import { expectedCardChecksum } from "../../adapters/card/verify.ts";
import { expectedSignature } from "../../adapters/qiwi-bill/verify.ts";
import { expectedSkey, expectedStatusSignature } from "../../adapters/sms3116/verify.ts";
import { expectedLmiHash, expectedLmiHash2 } from "../../adapters/webmoney/verify.ts";
import { createLogger } from "../../src/log.ts";
import { issueQiwiBill, issueWebmoneyInvoice, TEST_ADMIN_TOKEN } from "../support/issued-payments.ts";
import { yoomoneyNotification as signedYoomoneyNotification } from "../support/signed-requests.ts";
import { expectLedgerConsistent, startTestHub, waitFor, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// The replay suite of issue 9, over every signed channel: a valid signed request, then the same request with one field
// its signature does not cover changed (and, where the genuine request may have been lost, the changed one alone
// first). Whatever the order, an operator finds that the ledger moved no more than the provider moved, to the account
// payhub trusts (never one named only by an unsigned field), that every refusal of money the provider says moved left
// a record they can list (an open suspense item or intake incident carrying the request as received), that no answer
// was a 5xx, and that the ledger is consistent.

const WEBMONEY = { secret: "wm-replay-secret", purse: "R123456789012" };
const YOOMONEY_SECRET = "ym-replay-secret";
const QIWI = { secret: "qiwi-replay-secret", siteId: "alliance-site" };
const SMS = { serviceKey: "sms-replay-service-key", apiKey: "sms-replay-api-key" };
const ARSENALPAY = { key: "arsenalpay-replay-key", merchant: "166301" };
/** The card acquirer, played by nock (the only fake besides QIWI's bill API): the hub on localhost is real. */
const ACQUIRER = { origin: "https://acquirer.test", path: "/payment/rest", key: "card-replay-key" };

let hub: TestHub;
/** Polls the hub ran after a callback failed its checksum, one entry per finished poll (from the hub's log). */
const pollsAfterBadChecksum: { orderNumber: string; failed: boolean }[] = [];
/** getOrderStatusExtended.do's answers by mdOrder; what the acquirer itself says about each order. */
const acquirerStates = new Map<string, { orderStatus: number; amount: number; paymentAmountInfo?: { refundedAmount: number } }>();
const acquirerAsked: string[] = [];

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  const form = (body: unknown) => Object.fromEntries(new URLSearchParams(String(body)));
  nock(ACQUIRER.origin)
    .persist()
    .post(`${ACQUIRER.path}/register.do`)
    .reply(200, (_uri, body) => {
      const orderId = `md-${form(body).orderNumber}`;
      return { orderId, formUrl: `${ACQUIRER.origin}/payment/merchants/alliance/payment_ru.html?mdOrder=${orderId}` };
    });
  nock(ACQUIRER.origin)
    .persist()
    .post(`${ACQUIRER.path}/getOrderStatusExtended.do`)
    .reply(200, (_uri, body) => {
      const orderId = form(body).orderId ?? "";
      acquirerAsked.push(orderId);
      const state = acquirerStates.get(orderId);
      return state ? { errorCode: "0", errorMessage: "Успешно", ...state } : { errorCode: "6", errorMessage: "Заказ не найден" };
    });
  // The hub's log is read only for the line that says a poll after a failed checksum finished.
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) {
        if (!line.includes("card order poll")) continue;
        const entry = JSON.parse(line) as { msg: string; orderNumber: string };
        if (entry.msg === "card order polled after a callback failed verification") pollsAfterBadChecksum.push({ orderNumber: entry.orderNumber, failed: false });
        if (entry.msg === "card order poll after a failed callback failed") pollsAfterBadChecksum.push({ orderNumber: entry.orderNumber, failed: true });
      }
      done();
    },
  });
  hub = await startTestHub(
    {
      WEBMONEY_SECRET_KEY: WEBMONEY.secret,
      WEBMONEY_PURSES: WEBMONEY.purse,
      YOOMONEY_NOTIFICATION_SECRET: YOOMONEY_SECRET,
      QIWI_BILL_SECRET_KEY: QIWI.secret,
      QIWI_BILL_SITE_ID: QIWI.siteId,
      SMS_SERVICE_KEY: SMS.serviceKey,
      SMS_API_KEY: SMS.apiKey,
      ARSENALPAY_CALLBACK_KEY: ARSENALPAY.key,
      ARSENALPAY_MERCHANT_ID: ARSENALPAY.merchant,
      CARD_CHECKSUM_KEY: ACQUIRER.key,
      CARD_API_URL: `${ACQUIRER.origin}${ACQUIRER.path}`,
      CARD_API_USERNAME: "alliance-api",
      CARD_API_PASSWORD: "acquirer-password-123",
      CARD_RETURN_URL: "https://alliance.test/pay/card/done",
      // No poll round during the file: only callbacks, and the poll after a failed checksum, settle card orders.
      CARD_POLL_INTERVAL_MS: "3600000",
    },
    createLogger("info", sink),
  );
});
afterEach(async () => {
  await waitUntilAllCredited(hub);
  await expectLedgerConsistent(hub);
});
afterAll(async () => {
  await hub?.stop();
  nock.cleanAll();
  nock.enableNetConnect();
});

// ---------------------------------------------------------------------------------------------------------------------
// What an operator checks

/** Fresh ids per test: the file shares one hub. */
let sequence = 0;
const fresh = (prefix: string) => `${prefix}${++sequence}`;
const freshDigits = () => String(880_000 + ++sequence);

/** A new active subscriber account, made over the staff API. */
async function freshAccount(): Promise<string> {
  const number = String(700_000 + ++sequence);
  const response = await fetch(`${hub.url}/api/accounts/${number}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ ownerName: "Повторов Пётр Петрович", address: "г. Владивосток, ул. Светланская, д. 9", status: "active" }),
  });
  expect(response.status).toBe(201);
  return number;
}

/** Every subscriber balance and the suspense ledger account, in kopecks. */
async function holdings(): Promise<Map<string, bigint>> {
  const accounts = await hub.hub.db.subscriberAccount.findMany({ select: { number: true, balanceKopecks: true } });
  const [suspense] = await hub.hub.db.$queryRaw<{ total: bigint }[]>`
    SELECT COALESCE(SUM(e.amount_kopecks), 0)::bigint AS total
    FROM ledger_entry e JOIN ledger_account l ON l.id = e.ledger_account_id WHERE l.code = 'suspense'`;
  return new Map([...accounts.map((account) => [account.number, account.balanceKopecks] as const), ["suspense", suspense!.total]]);
}

/** Starts watching the money; the function it answers says what moved since (once everything accepted is credited). */
async function watchMoney(): Promise<() => Promise<Record<string, bigint>>> {
  await waitUntilAllCredited(hub);
  const before = await holdings();
  return async () => {
    await waitUntilAllCredited(hub);
    const moved: Record<string, bigint> = {};
    for (const [holder, kopecks] of await holdings()) {
      const delta = kopecks - (before.get(holder) ?? 0n);
      if (delta !== 0n) moved[holder] = delta;
    }
    return moved;
  };
}

interface Answer {
  label: string;
  params: Record<string, unknown>;
  status: number;
  body: string;
}

function expectNoServerError(answers: Answer[]): void {
  expect(answers.filter((answer) => answer.status >= 500).map(({ label, status, body }) => ({ label, status, body }))).toEqual([]);
}

interface IncidentJson {
  id: string;
  kind: string;
  channel: string;
  externalId: string;
  paymentId: string | null;
  detail: string;
  request: unknown;
}
interface SuspenseItemJson {
  id: string;
  status: string;
  reason: string;
  payment: { id: string; channel: string; externalId: string; account: string; amount: string; status: string };
}

async function staffGet<T>(path: string): Promise<T> {
  const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}
/** GET /api/incidents: the open incidents about one provider id. */
const openIncidents = async (channel: string, externalId: string) =>
  (await staffGet<{ incidents: IncidentJson[] }>("/api/incidents?status=open&limit=500")).incidents.filter((incident) => incident.channel === channel && incident.externalId === externalId);
/** GET /api/suspense: the open items of one provider id. */
const openSuspense = async (channel: string, externalId: string) =>
  (await staffGet<{ items: SuspenseItemJson[] }>("/api/suspense?status=open&limit=500")).items.filter((item) => item.payment.channel === channel && item.payment.externalId === externalId);

/** Signatures and standing secrets: payhub never keeps them with a record, so a record carries the rest. */
const SIGNATURE_FIELDS = new Set(["LMI_HASH", "LMI_HASH2", "sha1_hash", "SIGN", "signature", "checksum", "skey"]);
const asReceived = (params: Record<string, unknown>) => Object.fromEntries(Object.entries(params).filter(([name]) => !SIGNATURE_FIELDS.has(name)));

/** `expected` is contained in `actual`: every field of it, recursively, equal. */
function carries(actual: unknown, expected: unknown): boolean {
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object") return false;
    return Object.entries(expected).every(([key, value]) => carries((actual as Record<string, unknown>)[key], value));
  }
  return actual === expected;
}

/** The open incidents about a provider id that carry this request as received. */
async function incidentsCarrying(channel: string, externalId: string, params: Record<string, unknown>): Promise<IncidentJson[]> {
  return (await openIncidents(channel, externalId)).filter((incident) => carries(incident.request, asReceived(params)));
}

/** The open suspense items about a provider id whose payment (GET /api/payments/:id) carries this request as received. */
async function suspenseCarrying(channel: string, externalId: string, params: Record<string, unknown>): Promise<SuspenseItemJson[]> {
  const carrying: SuspenseItemJson[] = [];
  for (const item of await openSuspense(channel, externalId)) {
    const payment = await staffGet<{ request: unknown }>(`/api/payments/${item.payment.id}`);
    if (carries(payment.request, asReceived(params))) carrying.push(item);
  }
  return carrying;
}

/**
 * Every answer that refused money the provider says moved left a record an operator can list: an open intake incident
 * or an open suspense item, carrying the request as received.
 */
async function expectRefusalsRecorded(channel: string, externalIdOf: (answer: Answer) => string, answers: Answer[], refused: (answer: Answer) => boolean): Promise<void> {
  for (const answer of answers.filter(refused)) {
    const externalId = externalIdOf(answer);
    const records = [...(await incidentsCarrying(channel, externalId, answer.params)), ...(await suspenseCarrying(channel, externalId, answer.params))];
    expect(
      { refused: answer.label, status: answer.status, body: answer.body, recorded: records.length > 0 },
      `the refused ${answer.label} (${channel} ${externalId}) left no open incident or suspense item carrying it`,
    ).toMatchObject({ recorded: true });
  }
}

type Order = "original first" | "the changed replay alone first";
const ORDERS: Order[] = ["original first", "the changed replay alone first"];

/** Sends the original and its changed replay in this order; answers labelled, in the order sent. */
async function inOrder(order: Order, original: Record<string, unknown>, replay: Record<string, unknown>, send: (params: Record<string, unknown>) => Promise<{ status: number; body: string }>): Promise<Answer[]> {
  const steps: [string, Record<string, unknown>][] = order === "original first" ? [["original", original], ["replay", replay]] : [["replay", replay], ["original", original]];
  const answers: Answer[] = [];
  for (const [label, params] of steps) answers.push({ label, params, ...(await send(params)) });
  return answers;
}

/** One unsigned field of a channel's signed request, and how a replay changes it. */
interface UnsignedChange<Context> {
  field: string;
  to: string;
  change: (original: Record<string, any>, context: Context) => Record<string, any>;
}
const inBothOrders = <Change extends object>(changes: Change[]) => changes.flatMap((change) => ORDERS.map((order) => ({ ...change, order })));

const answerOf = async (response: Response) => ({ status: response.status, body: await response.text() });
const postForm = async (path: string, params: Record<string, unknown>) =>
  answerOf(await fetch(`${hub.url}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(params as Record<string, string>).toString() }));

// ---------------------------------------------------------------------------------------------------------------------
// WebMoney: LMI_HASH covers purse, amount, LMI_PAYMENT_NO, mode, invs no, trans no, trans date, payer purse, payer WM.
// ACCOUNT (payhub's own form field) and anything else WebMoney passes back are not signed; the pre-request not at all.

function webmoneyNotification(paymentNo: string, transNo: string, account: string, amount: string): Record<string, string> {
  const signed = {
    LMI_PAYEE_PURSE: WEBMONEY.purse,
    LMI_PAYMENT_AMOUNT: amount,
    LMI_PAYMENT_NO: paymentNo,
    LMI_MODE: "0",
    LMI_SYS_INVS_NO: `55${transNo}`,
    LMI_SYS_TRANS_NO: transNo,
    LMI_SYS_TRANS_DATE: "20261124 13:07:36",
    LMI_PAYER_PURSE: "R366393600555",
    LMI_PAYER_WM: "404521188333",
  };
  return { ...signed, ACCOUNT: account, LMI_HASH: expectedLmiHash(signed, WEBMONEY.secret, "sha256"), LMI_HASH2: expectedLmiHash2(signed, WEBMONEY.secret) };
}
const webmoneyPrerequest = (paymentNo: string, account: string, amount: string) => ({
  LMI_PREREQUEST: "1",
  LMI_PAYEE_PURSE: WEBMONEY.purse,
  LMI_PAYMENT_AMOUNT: amount,
  LMI_PAYMENT_NO: paymentNo,
  LMI_MODE: "0",
  LMI_PAYER_WM: "404521188333",
  LMI_PAYER_PURSE: "R366393600555",
  ACCOUNT: account,
});
const sendWebmoney = (params: Record<string, unknown>) => postForm("/webhooks/webmoney", params);

const WEBMONEY_UNSIGNED: UnsignedChange<{ other: string }>[] = [
  { field: "ACCOUNT", to: "another subscriber's account", change: (original, { other }) => ({ ...original, ACCOUNT: other }) },
  { field: "ACCOUNT", to: "an account that does not exist", change: (original) => ({ ...original, ACCOUNT: "999999999" }) },
  { field: "ACCOUNT", to: "nothing", change: (original) => ({ ...original, ACCOUNT: "" }) },
  { field: "LMI_PAYMENT_DESC", to: "a description naming another account", change: (original, { other }) => ({ ...original, LMI_PAYMENT_DESC: `Пополнение лицевого счёта ${other}` }) },
  { field: "LMI_PREREQUEST", to: "1 (read as a pre-request)", change: (original) => ({ ...original, LMI_PREREQUEST: "1" }) },
];

describe("WebMoney notification", () => {
  it.each(inBothOrders(WEBMONEY_UNSIGNED))(
    "when payhub's invoice is paid and its notification is replayed with $field changed to $to ($order), then the invoice's account is credited once and no other account",
    async ({ change, order }) => {
      const [trusted, other] = [await freshAccount(), await freshAccount()];
      const paymentNo = await issueWebmoneyInvoice(hub, trusted, "150.00");
      const transNo = freshDigits();
      const original = webmoneyNotification(paymentNo, transNo, trusted, "150.00");
      const moved = await watchMoney();

      const answers = await inOrder(order, original, change(original, { other }), sendWebmoney);

      expectNoServerError(answers);
      expect(answers.find((answer) => answer.label === "original")).toMatchObject({ status: 200 });
      expect(await moved()).toEqual({ [trusted]: 15000n });
      expect(await hub.hub.db.inboundPayment.findMany({ where: { channel: "webmoney", externalId: transNo }, select: { accountId: true, amountKopecks: true, status: true } })).toEqual([
        { accountId: (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: trusted } })).id, amountKopecks: 15000n, status: "credited" },
      ]);
      await expectRefusalsRecorded("webmoney", () => transNo, answers, (answer) => answer.status !== 200);
    },
  );

  it.each(ORDERS)(
    "when a notification names an invoice payhub never issued and is replayed with ACCOUNT changed (%s), then its money sits once in suspense, on neither named account, and the refused replay is an incident",
    async (order) => {
      const [named, other] = [await freshAccount(), await freshAccount()];
      const transNo = freshDigits();
      const original = webmoneyNotification(freshDigits(), transNo, named, "150.00");
      const moved = await watchMoney();

      const answers = await inOrder(order, original, { ...original, ACCOUNT: other }, sendWebmoney);

      expectNoServerError(answers);
      // The first to arrive is recorded (200): the money moved and payhub holds it for an operator.
      expect(answers[0]).toMatchObject({ status: 200 });
      expect(await moved()).toEqual({ suspense: 15000n });
      const items = await openSuspense("webmoney", transNo);
      expect(items.map((item) => [item.reason.split(" (")[0], item.payment.amount])).toEqual([["not issued by payhub", "150.00"]]);
      await expectRefusalsRecorded("webmoney", () => transNo, answers, (answer) => answer.status !== 200);
    },
  );

  it("when the unsigned pre-request is replayed with another ACCOUNT, amount, number or purse, then each is refused, the invoice stays as issued, and its notification credits the invoice's account", async () => {
    const [trusted, other] = [await freshAccount(), await freshAccount()];
    const paymentNo = await issueWebmoneyInvoice(hub, trusted, "150.00");
    const intent = () => hub.hub.db.paymentIntent.findMany({ where: { channel: "webmoney" }, select: { reference: true, accountNumber: true, amountKopecks: true }, orderBy: { id: "asc" } });
    const intentsBefore = await intent();
    const paymentsBefore = await hub.hub.db.inboundPayment.count();
    const original = webmoneyPrerequest(paymentNo, trusted, "150.00");
    const moved = await watchMoney();

    const replays: [string, Record<string, string>][] = [
      ["ACCOUNT of another subscriber", { ...original, ACCOUNT: other }],
      ["ACCOUNT that does not exist", { ...original, ACCOUNT: "999999999" }],
      ["ten times the amount", { ...original, LMI_PAYMENT_AMOUNT: "1500.00" }],
      ["a tenth of the amount", { ...original, LMI_PAYMENT_AMOUNT: "15.00" }],
      ["a number payhub never issued", { ...original, LMI_PAYMENT_NO: freshDigits() }],
      ["another merchant's purse", { ...original, LMI_PAYEE_PURSE: "R000000000000" }],
    ];
    const answers: Answer[] = [];
    for (const [label, params] of replays) answers.push({ label, params, ...(await sendWebmoney(params)) });
    expectNoServerError(answers);
    expect(answers.filter((answer) => answer.status !== 200 || answer.body === "YES").map((answer) => answer.label)).toEqual([]);
    expect(await intent()).toEqual(intentsBefore);
    expect(await hub.hub.db.inboundPayment.count()).toBe(paymentsBefore);
    expect(await sendWebmoney(original)).toEqual({ status: 200, body: "YES" });

    const transNo = freshDigits();
    expect(await sendWebmoney(webmoneyNotification(paymentNo, transNo, other, "150.00"))).toMatchObject({ status: 200 });
    expect(await moved()).toEqual({ [trusted]: 15000n });
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// YooMoney: sha1_hash covers notification_type, operation_id, amount, currency, datetime, sender, codepro, label; not
// withdraw_amount, test_notification, unaccepted.

const yoomoneyNotification = (operationId: string, label: string) => signedYoomoneyNotification(YOOMONEY_SECRET, operationId, label);
const sendYoomoney = (params: Record<string, unknown>) => postForm("/webhooks/yoomoney", params);
const yoomoneyPayment = (operationId: string) => hub.hub.db.inboundPayment.findUnique({ where: { channel_externalId: { channel: "yoomoney", externalId: operationId } } });

const YOOMONEY_UNSIGNED: UnsignedChange<object>[] = [
  { field: "withdraw_amount", to: "ten times what the payer paid", change: (original) => ({ ...original, withdraw_amount: "1000.00" }) },
  { field: "withdraw_amount", to: "nothing (left out)", change: ({ withdraw_amount: _left, ...rest }) => rest },
  { field: "test_notification", to: "true", change: (original) => ({ ...original, test_notification: "true" }) },
  { field: "unaccepted", to: "true", change: (original) => ({ ...original, unaccepted: "true" }) },
];

describe("YooMoney notification", () => {
  it.each(inBothOrders(YOOMONEY_UNSIGNED))(
    "when a signed notification is replayed with $field changed to $to ($order), then the labelled account is credited the signed amount once",
    async ({ change, order }) => {
      const account = await freshAccount();
      const operationId = fresh("ym-r-");
      const original = yoomoneyNotification(operationId, account);
      const moved = await watchMoney();

      const answers = await inOrder(order, original, change(original, {}), sendYoomoney);

      expectNoServerError(answers);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(await moved()).toEqual({ [account]: 9800n });
      expect(await yoomoneyPayment(operationId)).toMatchObject({ amountKopecks: 9800n, status: "credited" });
      await expectRefusalsRecorded("yoomoney", () => operationId, answers, (answer) => answer.status !== 200);
    },
  );

  it("when a real operation arrives marked test_notification=true (the genuine notification lost), then nothing is credited and an open to-confirm incident carries it; the genuine one then credits once", async () => {
    const account = await freshAccount();
    const operationId = fresh("ym-t-");
    const genuine = yoomoneyNotification(operationId, account);
    const marked = { ...genuine, test_notification: "true" };
    const moved = await watchMoney();

    expect(await sendYoomoney(marked)).toEqual({ status: 200, body: "OK" });
    expect(await moved()).toEqual({});
    expect(await yoomoneyPayment(operationId)).toBeNull();
    expect((await incidentsCarrying("yoomoney", operationId, marked)).map((incident) => incident.kind)).toEqual(["to-confirm"]);

    expect(await sendYoomoney(genuine)).toEqual({ status: 200, body: "OK" });
    expect(await moved()).toEqual({ [account]: 9800n });
  });

  it("when a transfer arrives held (unaccepted=true), then a pending payment and no money; its acceptance credits it once with a to-confirm incident; later replays of either move nothing", async () => {
    const account = await freshAccount();
    const operationId = fresh("ym-h-");
    const accepted = yoomoneyNotification(operationId, account);
    const held = { ...accepted, unaccepted: "true" };
    const moved = await watchMoney();

    expect(await sendYoomoney(held)).toEqual({ status: 200, body: "OK" });
    expect(await yoomoneyPayment(operationId)).toMatchObject({ status: "pending", amountKopecks: 9800n });
    expect(await moved()).toEqual({});

    expect(await sendYoomoney(accepted)).toEqual({ status: 200, body: "OK" });
    expect(await moved()).toEqual({ [account]: 9800n });
    const payment = await yoomoneyPayment(operationId);
    expect((await incidentsCarrying("yoomoney", operationId, accepted)).map((incident) => [incident.kind, incident.paymentId])).toEqual([["to-confirm", payment!.id.toString()]]);

    for (const replay of [held, accepted, { ...accepted, test_notification: "true" }]) expect((await sendYoomoney(replay)).status).toBe(200);
    expect(await moved()).toEqual({ [account]: 9800n });
    expect(await hub.hub.db.inboundPayment.count({ where: { channel: "yoomoney", externalId: operationId } })).toBe(1);
    // The replay marked as a test names a payment payhub recorded: nothing to tell an operator (who would credit twice).
    expect((await hub.hub.db.intakeIncident.findMany({ where: { channel: "yoomoney", externalId: operationId } })).map((incident) => incident.kind)).toEqual(["to-confirm"]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// QIWI bills: the HMAC covers currency, value (two decimals), billId, siteId, status; not bill.customer, the status's
// time, the comment or anything else in the body.

function qiwiBill(billId: string, account: string, value: string): Record<string, any> {
  return {
    bill: {
      siteId: QIWI.siteId,
      billId,
      amount: { value, currency: "RUB" },
      status: { value: "PAID", changedDateTime: "2026-11-24T12:00:00+03:00" },
      customer: { account, phone: "79141234567", email: "payer@example.test" },
      comment: `Пополнение лицевого счёта ${account}`,
      creationDateTime: "2026-11-24T11:00:00+03:00",
      expirationDateTime: "2026-11-25T11:00:00+03:00",
    },
    version: "1",
  };
}
async function sendQiwi(body: Record<string, any>): Promise<{ status: number; body: string }> {
  const { bill } = body as ReturnType<typeof qiwiBill>;
  const signature = expectedSignature({ currency: bill.amount.currency, value: bill.amount.value, billId: bill.billId, siteId: bill.siteId, status: bill.status.value }, QIWI.secret)!;
  return answerOf(await fetch(`${hub.url}/webhooks/qiwi-bill`, { method: "POST", headers: { "content-type": "application/json", "X-Api-Signature-SHA256": signature }, body: JSON.stringify(body) }));
}
const withBill = (original: Record<string, any>, bill: Record<string, unknown>) => ({ ...original, bill: { ...original.bill, ...bill } });

const QIWI_UNSIGNED: UnsignedChange<{ other: string }>[] = [
  { field: "bill.customer.account", to: "another subscriber's account", change: (original, { other }) => withBill(original, { customer: { ...original.bill.customer, account: other } }) },
  { field: "bill.customer.account", to: "an account that does not exist", change: (original) => withBill(original, { customer: { ...original.bill.customer, account: "999999999" } }) },
  { field: "bill.customer", to: "nothing (left out)", change: (original) => withBill(original, { customer: undefined }) },
  { field: "bill.customer.phone", to: "another payer's phone", change: (original) => withBill(original, { customer: { ...original.bill.customer, phone: "79990000000" } }) },
  { field: "bill.status.changedDateTime", to: "a day later", change: (original) => withBill(original, { status: { value: "PAID", changedDateTime: "2026-11-25T12:00:00+03:00" } }) },
  { field: "bill.comment", to: "a comment naming another account", change: (original, { other }) => withBill(original, { comment: `Пополнение лицевого счёта ${other}` }) },
  { field: "bill.amount.value", to: "the same sum written 300 (signed as 300.00)", change: (original) => withBill(original, { amount: { value: "300", currency: "RUB" } }) },
];

describe("QIWI bill notification", () => {
  it.each(inBothOrders(QIWI_UNSIGNED))(
    "when a bill payhub issued is PAID and the notification is replayed with $field changed to $to ($order), then the bill's account is credited once and no other account",
    async ({ change, order }) => {
      const [trusted, other] = [await freshAccount(), await freshAccount()];
      const billId = await issueQiwiBill(hub, trusted, "300.00");
      const original = qiwiBill(billId, trusted, "300.00");
      const moved = await watchMoney();

      const answers = await inOrder(order, original, change(original, { other }), sendQiwi);

      expectNoServerError(answers);
      expect(answers.map((answer) => [answer.status, answer.body])).toEqual([
        [200, '{"error":"0"}'],
        [200, '{"error":"0"}'],
      ]);
      expect(await moved()).toEqual({ [trusted]: 30000n });
      await expectRefusalsRecorded("qiwi-bill", () => billId, answers, (answer) => answer.status !== 200);
    },
  );

  it.each(ORDERS)(
    "when a PAID bill payhub never issued is replayed with bill.customer.account changed (%s), then its money sits once in suspense, on neither named account, and the refused replay is an incident",
    async (order) => {
      const [named, other] = [await freshAccount(), await freshAccount()];
      const billId = fresh("bill-r-");
      const original = qiwiBill(billId, named, "300.00");
      const moved = await watchMoney();

      const answers = await inOrder(order, original, withBill(original, { customer: { account: other } }), sendQiwi);

      expectNoServerError(answers);
      expect(answers[0]).toMatchObject({ status: 200, body: '{"error":"0"}' });
      expect(await moved()).toEqual({ suspense: 30000n });
      const items = await openSuspense("qiwi-bill", billId);
      expect(items.map((item) => [item.reason.split(" (")[0], item.payment.amount])).toEqual([["not issued by payhub", "300.00"]]);
      await expectRefusalsRecorded("qiwi-bill", () => billId, answers, (answer) => answer.status !== 200);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------------
// ArsenalPay: SIGN covers ID, FUNCTION, RRN, PAYER, AMOUNT, ACCOUNT, STATUS; not DATETIME, MERCH_TYPE, AMOUNT_FULL, FORMAT.

function arsenalpayCallback(fn: string, rrn: string, account: string, amount: string, unsigned: Record<string, string> = {}): Record<string, string> {
  const signed = { ID: ARSENALPAY.merchant, FUNCTION: fn, RRN: rrn, PAYER: "427600******1234", AMOUNT: amount, ACCOUNT: account, STATUS: fn };
  return { ...signed, DATETIME: "2026-11-24T12:00:00+10:00", ...unsigned, SIGN: expectedArsenalpaySign(signed, ARSENALPAY.key) };
}
const sendArsenalpay = (params: Record<string, unknown>) => postForm("/webhooks/arsenalpay", params);
/** The answer word, whether plain or FORMAT=json. */
const arsenalpayWord = (answer: { body: string }) => (answer.body.startsWith("{") ? (JSON.parse(answer.body) as { response: string }).response : answer.body);

const ARSENALPAY_UNSIGNED: UnsignedChange<object>[] = [
  { field: "DATETIME", to: "a day later", change: (original) => ({ ...original, DATETIME: "2026-11-25T08:30:00+10:00" }) },
  { field: "MERCH_TYPE", to: "0 (no fee on the payer)", change: (original) => ({ ...original, MERCH_TYPE: "0" }) },
  { field: "AMOUNT_FULL", to: "almost twice what the payer paid", change: (original) => ({ ...original, AMOUNT_FULL: "999.99" }) },
  { field: "FORMAT", to: "json", change: (original) => ({ ...original, FORMAT: "json" }) },
];

describe("ArsenalPay callback", () => {
  it.each(inBothOrders(ARSENALPAY_UNSIGNED))(
    "when a payment is replayed with $field changed to $to ($order), then the account is credited the signed AMOUNT once",
    async ({ change, order }) => {
      const account = await freshAccount();
      const rrn = fresh("ap-r-");
      const original = arsenalpayCallback("payment", rrn, account, "520.00", { MERCH_TYPE: "1", AMOUNT_FULL: "535.60" });
      const moved = await watchMoney();

      const answers = await inOrder(order, original, change(original, {}), sendArsenalpay);

      expectNoServerError(answers);
      expect(answers.map(arsenalpayWord)).toEqual(["OK", "OK"]);
      expect(await moved()).toEqual({ [account]: 52000n });
      await expectRefusalsRecorded("arsenalpay", () => rrn, answers, (answer) => arsenalpayWord(answer) !== "OK");
    },
  );

  it("when a refund is replayed with DATETIME changed, then it is taken back once and flagged possible-second-reversal; replays with FORMAT, MERCH_TYPE or AMOUNT_FULL changed take nothing more", async () => {
    const account = await freshAccount();
    const rrn = fresh("ap-f-");
    const moved = await watchMoney();
    expect(arsenalpayWord(await sendArsenalpay(arsenalpayCallback("payment", rrn, account, "520.00")))).toBe("OK");
    await waitUntilAllCredited(hub);

    const refund = arsenalpayCallback("refund", rrn, account, "200.00", { DATETIME: "2026-11-24T15:00:00+10:00" });
    const laterRefund = { ...refund, DATETIME: "2026-11-24T16:00:00+10:00" };
    const answers: Answer[] = [];
    for (const [label, params] of [
      ["refund", refund],
      ["refund with DATETIME changed", laterRefund],
      ["refund with FORMAT=json", { ...refund, FORMAT: "json" }],
      ["refund with MERCH_TYPE=1 and AMOUNT_FULL", { ...refund, MERCH_TYPE: "1", AMOUNT_FULL: "210.00" }],
      ["refund with DATETIME changed, again", laterRefund],
    ] as const) {
      answers.push({ label, params, ...(await sendArsenalpay(params)) });
    }

    expectNoServerError(answers);
    expect(answers.map(arsenalpayWord)).toEqual(["OK", "OK", "OK", "OK", "OK"]);
    expect(await moved()).toEqual({ [account]: 52000n - 20000n });
    expect((await hub.hub.db.paymentReversal.findMany({ where: { payment: { channel: "arsenalpay", externalId: rrn } } })).map((reversal) => reversal.amountKopecks)).toEqual([20000n]);
    expect((await incidentsCarrying("arsenalpay", rrn, laterRefund)).map((incident) => incident.kind)).toEqual(["possible-second-reversal"]);
  });

  it("when a reverse (the whole payment back) is replayed with DATETIME changed, then the payment is taken back once", async () => {
    const account = await freshAccount();
    const rrn = fresh("ap-v-");
    const moved = await watchMoney();
    expect(arsenalpayWord(await sendArsenalpay(arsenalpayCallback("payment", rrn, account, "250.00")))).toBe("OK");
    await waitUntilAllCredited(hub);
    const reverse = arsenalpayCallback("reverse", rrn, account, "250.00", { DATETIME: "2026-11-24T15:00:00+10:00" });
    const answers: Answer[] = [];
    for (const params of [reverse, { ...reverse, DATETIME: "2026-11-24T16:00:00+10:00" }, { ...reverse, FORMAT: "json" }]) answers.push({ label: "reverse", params, ...(await sendArsenalpay(params)) });
    expectNoServerError(answers);
    expect(answers.map(arsenalpayWord)).toEqual(["OK", "OK", "OK"]);
    expect(await moved()).toEqual({});
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// SMS 3116: the status callback's signature covers only payment_id; the incoming forward carries only the static skey.

const smsIncoming = (params: { smsid: string; msg: string; operator?: string; user_id?: string }) =>
  fetch(`${hub.url}/webhooks/sms/incoming?${new URLSearchParams({ skey: expectedSkey(SMS.serviceKey), num: "3116", operator: "megafon", user_id: "79141234567", ...params })}`).then(answerOf);
function smsStatus(paymentId: string, reference: string, status: string, amount: number): Record<string, unknown> {
  return {
    request: "payment_status",
    payment_id: paymentId,
    merchant_payment_id: reference,
    status,
    extended_status: status === "success" ? "paid" : status,
    amount,
    date_created: "2026-11-24 12:00:00",
    signature: expectedStatusSignature(paymentId, SMS.apiKey),
  };
}
const sendSmsStatus = (params: Record<string, unknown>) =>
  fetch(`${hub.url}/webhooks/sms/status`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(params) }).then(answerOf);
const smsResult = (answer: { body: string }) => (JSON.parse(answer.body) as { result: string }).result;
const smsPayment = (smsid: string) => hub.hub.db.inboundPayment.findUnique({ where: { channel_externalId: { channel: "sms3116", externalId: smsid } } });

/** Two subscribers with a pending SMS payment each: "aliance <account> 100" from MegaFon (3 %: 103.00 from the phone). */
async function twoPendingSmsPayments() {
  const [payer, other] = [await freshAccount(), await freshAccount()];
  const [payerSms, otherSms] = [fresh("sms-r-"), fresh("sms-r-")];
  expect((await smsIncoming({ smsid: payerSms, msg: `aliance ${payer} 100` })).status).toBe(200);
  expect((await smsIncoming({ smsid: otherSms, msg: `aliance ${other} 100` })).status).toBe(200);
  return { payer, other, payerSms, otherSms };
}

type SmsContext = Awaited<ReturnType<typeof twoPendingSmsPayments>>;
const SMS_STATUS_REPLAYS: (UnsignedChange<SmsContext> & { result: string })[] = [
  { field: "merchant_payment_id", to: "another subscriber's pending payment", change: (original, { otherSms }) => ({ ...original, merchant_payment_id: otherSms }), result: "error_invalid_request" },
  { field: "merchant_payment_id", to: "a payment payhub does not know", change: (original) => ({ ...original, merchant_payment_id: "sms-nobody" }), result: "error_not_found" },
  { field: "amount", to: "the sum without the commission", change: (original) => ({ ...original, amount: 10000 }), result: "error_invalid_request" },
  { field: "amount", to: "a hundred times the sum", change: (original) => ({ ...original, amount: 1030000 }), result: "error_invalid_request" },
  { field: "status", to: "failure (after the success)", change: (original) => ({ ...original, status: "failure", extended_status: "failure" }), result: "error_invalid_request" },
  { field: "status", to: "pending (after the success)", change: (original) => ({ ...original, status: "pending", extended_status: "pending" }), result: "error_invalid_request" },
  { field: "extended_status", to: "another word", change: (original) => ({ ...original, extended_status: "refunded-by-operator" }), result: "ok" },
  { field: "date_created", to: "a day later", change: (original) => ({ ...original, date_created: "2026-11-25 12:00:00" }), result: "ok" },
];

describe("SMS 3116 status callback", () => {
  it.each(SMS_STATUS_REPLAYS)(
    "when a captured success is replayed with $field changed to $to, then it is answered $result, no money moves, and a refusal naming an existing payment is an incident carrying it",
    async ({ change, result }) => {
      const context = await twoPendingSmsPayments();
      const paymentId = fresh("agg-");
      const original = smsStatus(paymentId, context.payerSms, "success", 10300);
      const moved = await watchMoney();

      const answers = await inOrder("original first", original, change(original, context), sendSmsStatus);

      expectNoServerError(answers);
      expect(answers.map(smsResult)).toEqual(["ok", result]);
      expect(await moved()).toEqual({ [context.payer]: 10000n });
      expect(await smsPayment(context.otherSms)).toMatchObject({ status: "pending" });
      await expectRefusalsRecorded(
        "sms3116",
        (answer) => String(answer.params.merchant_payment_id),
        answers,
        (answer) => smsResult(answer) === "error_invalid_request",
      );
    },
  );

  it("when a captured pending report is replayed as failure before the genuine success arrives, then the payment closes without money, and the genuine success is refused but kept as an incident for an operator", async () => {
    const { payerSms } = await twoPendingSmsPayments();
    const paymentId = fresh("agg-");
    const pending = smsStatus(paymentId, payerSms, "pending", 10300);
    const success = smsStatus(paymentId, payerSms, "success", 10300);
    const moved = await watchMoney();

    const answers: Answer[] = [];
    for (const [label, params] of [
      ["the genuine pending report", pending],
      ["the pending report replayed as failure", { ...pending, status: "failure", extended_status: "failure" }],
      ["the genuine success", success],
    ] as const) {
      answers.push({ label, params, ...(await sendSmsStatus(params)) });
    }

    expectNoServerError(answers);
    expect(answers.map(smsResult)).toEqual(["ok", "ok", "error_invalid_request"]);
    expect(await moved()).toEqual({});
    expect(await smsPayment(payerSms)).toMatchObject({ status: "closed" });
    await expectRefusalsRecorded("sms3116", () => payerSms, answers, (answer) => smsResult(answer) !== "ok");
  });

  it("when a captured pending report is replayed as success, then (the signed payment_id cannot tell it from the genuine success) it is credited once and an operator is asked to confirm it; the genuine success then changes nothing", async () => {
    const { payer, payerSms } = await twoPendingSmsPayments();
    const paymentId = fresh("agg-");
    const pending = smsStatus(paymentId, payerSms, "pending", 10300);
    const moved = await watchMoney();

    expect(smsResult(await sendSmsStatus(pending))).toBe("ok");
    const replayed = { ...pending, status: "success", extended_status: "success" };
    expect(smsResult(await sendSmsStatus(replayed))).toBe("ok");
    expect(smsResult(await sendSmsStatus(smsStatus(paymentId, payerSms, "success", 10300)))).toBe("ok");
    await waitUntilAllCredited(hub);
    expect(await moved()).toEqual({ [payer]: 10000n });
    const incidents = await hub.hub.db.intakeIncident.findMany({ where: { channel: "sms3116", externalId: payerSms } });
    expect(incidents.map((incident) => [incident.kind, (incident.request as Record<string, unknown>).status])).toEqual([["to-confirm", "success"]]);
  });

  it("when the incoming SMS forward (authenticated only by its static skey) is replayed with another msg, smsid or operator, then at most a pending payment opens, never money, and a captured success naming it is refused", async () => {
    const [payer, other] = [await freshAccount(), await freshAccount()];
    const [payerSms, forgedSms] = [fresh("sms-i-"), fresh("sms-i-")];
    const moved = await watchMoney();

    const answers: Answer[] = [];
    for (const [label, params] of [
      ["the genuine SMS", { smsid: payerSms, msg: `aliance ${payer} 100` }],
      ["the same smsid with another account and sum", { smsid: payerSms, msg: `aliance ${other} 5000` }],
      ["the same smsid from another operator", { smsid: payerSms, msg: `aliance ${payer} 100`, operator: "mts" }],
      ["another smsid naming another account", { smsid: forgedSms, msg: `aliance ${other} 5000` }],
    ] as const) {
      answers.push({ label, params, ...(await smsIncoming(params)) });
    }
    expectNoServerError(answers);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(await moved()).toEqual({});
    expect(await smsPayment(payerSms)).toMatchObject({ status: "pending", accountNumber: payer, amountKopecks: 10000n });
    expect(await smsPayment(forgedSms)).toMatchObject({ status: "pending", accountNumber: other, amountKopecks: 500000n });

    const paymentId = fresh("agg-");
    const success = smsStatus(paymentId, payerSms, "success", 10300);
    expect(smsResult(await sendSmsStatus(success))).toBe("ok");
    const replay = { ...success, merchant_payment_id: forgedSms, amount: 515000 };
    const refused = { label: "the captured success naming the forged SMS", params: replay, ...(await sendSmsStatus(replay)) };
    expectNoServerError([refused]);
    expect(smsResult(refused)).toBe("error_invalid_request");
    expect(await moved()).toEqual({ [payer]: 10000n });
    expect(await smsPayment(forgedSms)).toMatchObject({ status: "pending" });
    await expectRefusalsRecorded("sms3116", () => forgedSms, [refused], () => true);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Card: the checksum covers every parameter but checksum and sign_alias, so any other change is a bad checksum (403)
// that makes payhub ask the acquirer; refunds and reversals are taken back only up to the acquirer's own total.

/** An order registered through payhub's API (register.do played by nock); the acquirer says it is deposited. */
async function depositedCardOrder(account: string, amount: string, kopecks: number): Promise<{ orderNumber: string; mdOrder: string }> {
  const response = await fetch(`${hub.url}/api/card/orders`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ account, amount }),
  });
  expect(response.status).toBe(201);
  const { orderNumber } = (await response.json()) as { orderNumber: string };
  const mdOrder = `md-${orderNumber}`;
  acquirerStates.set(mdOrder, { orderStatus: 2, amount: kopecks });
  return { orderNumber, mdOrder };
}
const signedCard = (params: Record<string, string>) => ({ ...params, checksum: expectedCardChecksum(params, ACQUIRER.key)! });
/**
 * Sends a callback as given, once what was accepted before is credited (a poll of an order whose credit is seconds
 * away only marks it to be asked in the next round); after a 403, waits until the poll it started has finished.
 */
async function sendCard(params: Record<string, unknown>): Promise<{ status: number; body: string }> {
  await waitUntilAllCredited(hub);
  const orderNumber = String(params.orderNumber);
  const pollsOf = () => pollsAfterBadChecksum.filter((polled) => polled.orderNumber === orderNumber);
  const pollsBefore = pollsOf().length;
  const answer = await fetch(`${hub.url}/webhooks/card?${new URLSearchParams(params as Record<string, string>)}`).then(answerOf);
  if (answer.status === 403) {
    await waitFor("the poll after the failed checksum", async () => pollsOf().length > pollsBefore, 20_000);
    expect(pollsOf().slice(pollsBefore), "the poll after the failed checksum failed").toEqual([{ orderNumber, failed: false }]);
  }
  return answer;
}

const CARD_CHANGED: (UnsignedChange<object> & { status: number })[] = [
  { field: "amount", to: "a hundred times the sum", change: (original) => ({ ...original, amount: "3000000" }), status: 403 },
  { field: "operation", to: "refunded", change: (original) => ({ ...original, operation: "refunded" }), status: 403 },
  { field: "status", to: "0", change: (original) => ({ ...original, status: "0" }), status: 403 },
  { field: "mdOrder", to: "another order of the acquirer", change: (original) => ({ ...original, mdOrder: "md-forged-order" }), status: 403 },
  { field: "a parameter", to: "one added", change: (original) => ({ ...original, description: "Пополнение" }), status: 403 },
  { field: "sign_alias (outside the checksum)", to: "another key's name", change: (original) => ({ ...original, sign_alias: "another-key" }), status: 200 },
];

describe("card callback", () => {
  it.each(inBothOrders(CARD_CHANGED))(
    "when a deposited callback is replayed with $field changed to $to ($order), then it is answered $status and the order is credited once, the acquirer's own amount",
    async ({ change, order, status }) => {
      const account = await freshAccount();
      const { orderNumber, mdOrder } = await depositedCardOrder(account, "300.00", 30000);
      const original = signedCard({ mdOrder, orderNumber, operation: "deposited", status: "1", amount: "30000" });
      const askedBefore = acquirerAsked.filter((asked) => asked === mdOrder).length;
      const moved = await watchMoney();

      const answers = await inOrder(order, original, change(original, {}), sendCard);

      expectNoServerError(answers);
      expect(Object.fromEntries(answers.map((answer) => [answer.label, answer.status]))).toEqual({ original: 200, replay: status });
      // Every callback that failed its checksum made payhub ask the acquirer, once.
      expect(acquirerAsked.filter((asked) => asked === mdOrder).length - askedBefore).toBe(status === 403 ? 1 : 0);
      expect(await moved()).toEqual({ [account]: 30000n });
      expect(await hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { channel_externalId: { channel: "card", externalId: orderNumber } } })).toMatchObject({ status: "credited", amountKopecks: 30000n });
    },
  );

  it("when refunded or reversed callbacks (signed or not) claim more than the acquirer refunded, then only the acquirer's own total is taken back, once", async () => {
    const account = await freshAccount();
    const { orderNumber, mdOrder } = await depositedCardOrder(account, "300.00", 30000);
    const moved = await watchMoney();
    expect(await sendCard(signedCard({ mdOrder, orderNumber, operation: "deposited", status: "1", amount: "30000" }))).toMatchObject({ status: 200 });
    await waitUntilAllCredited(hub);
    acquirerStates.set(mdOrder, { orderStatus: 4, amount: 30000, paymentAmountInfo: { refundedAmount: 10000 } });

    const refund = signedCard({ mdOrder, orderNumber, operation: "refunded", status: "1", amount: "10000" });
    const answers: Answer[] = [];
    for (const [label, params] of [
      ["a signed refund claiming the whole sum", signedCard({ mdOrder, orderNumber, operation: "refunded", status: "1", amount: "30000" })],
      ["the signed refund of the acquirer's amount", refund],
      ["that refund with its amount forged", { ...refund, amount: "30000" }],
      ["a signed reversal", signedCard({ mdOrder, orderNumber, operation: "reversed", status: "1" })],
      ["a forged reversal", { ...signedCard({ mdOrder, orderNumber, operation: "refunded", status: "1" }), operation: "reversed" }],
    ] as const) {
      answers.push({ label, params, ...(await sendCard(params)) });
    }

    expectNoServerError(answers);
    expect(answers.map((answer) => [answer.label, answer.status])).toEqual([
      ["a signed refund claiming the whole sum", 200],
      ["the signed refund of the acquirer's amount", 200],
      ["that refund with its amount forged", 403],
      ["a signed reversal", 200],
      ["a forged reversal", 403],
    ]);
    expect(await moved()).toEqual({ [account]: 30000n - 10000n });
    expect((await hub.hub.db.paymentReversal.findMany({ where: { payment: { channel: "card", externalId: orderNumber } } })).map((reversal) => reversal.amountKopecks)).toEqual([10000n]);
  });
});
