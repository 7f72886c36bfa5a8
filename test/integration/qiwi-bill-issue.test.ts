import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectedSignature } from "../../adapters/qiwi-bill/verify.ts";
import { QiwiBillApiError, createQiwiBillClient } from "../../src/qiwi-bills/qiwi-bill-client.ts";
import { startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// Issuing QIWI bills (payhub → QIWI) over the hub's API, with QIWI played by nock and everything else real
// (PostgreSQL, Redis, the credit worker): the exact request QIWI documents, retries only where a repeat is safe,
// refusals that never reach QIWI, and the whole road from issued bill to credited account through the PAID webhook.

const QIWI_API = "https://api.qiwi.com";
const QIWI_SECRET = "qiwi-bill-issue-secret-key";
const SITE_ID = "alliance-site";
const ADMIN_TOKEN = "test-admin-token-0123456789";
const BILL_PATH = /^\/partner\/bill\/v1\/bills\/payhub-[0-9]+-[0-9a-f]{16}$/;

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ QIWI_BILL_SECRET_KEY: QIWI_SECRET, QIWI_BILL_SITE_ID: SITE_ID });
  // Only QIWI is faked: the hub itself answers on loopback, and nothing may leave for the real QIWI.
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(async () => {
  nock.enableNetConnect();
  await hub?.stop();
});

const issueBill = (body: unknown, url = hub.url) =>
  fetch(`${url}/api/qiwi-bills`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** The hub's JSON answer: a bill's fields on 201, `error` and `message` otherwise. */
interface ApiAnswer {
  billId: string;
  payUrl: string;
  amount: string;
  account: string;
  expiresAt: string;
  status: string;
  error: string;
  message: string;
}
const answerOf = async (response: Response) => (await response.json()) as ApiAnswer;

/** QIWI's answer to a new bill, as its documentation shows it. */
const qiwiBill = (billId: string, requestBody: unknown) => {
  const sent = requestBody as { amount: unknown; comment: string; expirationDateTime: string; customer: unknown };
  return {
    siteId: SITE_ID,
    billId,
    amount: sent.amount,
    status: { value: "WAITING", changedDateTime: "2026-11-24T12:00:00+03:00" },
    customer: sent.customer,
    comment: sent.comment,
    creationDateTime: "2026-11-24T12:00:00+03:00",
    expirationDateTime: sent.expirationDateTime,
    payUrl: `https://oplata.qiwi.com/form/?invoice_uid=${billId}`,
  };
};
const billIdOf = (uri: string) => decodeURIComponent(uri.split("/").pop() ?? "");
const asJson = (body: unknown) => (typeof body === "string" ? JSON.parse(body) : body);

const qiwiError = (errorCode: string, description: string) => ({
  serviceName: "invoicing-api",
  errorCode,
  description,
  userMessage: "",
  datetime: "2026-11-24T12:00:00+03:00",
  traceId: "48485a395dfsdf34v124",
});

describe("POST /api/qiwi-bills", () => {
  it("when an active account asks for a bill, then QIWI gets exactly its documented PUT and the API answers 201 with the payUrl", async () => {
    let seen: { method: string; path: string; headers: Record<string, unknown>; body: unknown } | undefined;
    const qiwi = nock(QIWI_API)
      .put(BILL_PATH)
      .reply(200, function (uri, body) {
        seen = { method: this.req.method, path: uri, headers: this.req.headers, body: asJson(body) };
        return qiwiBill(billIdOf(uri), asJson(body));
      });

    const before = Date.now();
    const response = await issueBill({ account: "100080", amount: "500.00", comment: "Интернет, ноябрь", lifetimeMinutes: 90 });
    expect(response.status).toBe(201);
    const answer = await answerOf(response);
    expect(qiwi.isDone()).toBe(true);

    expect(seen?.method).toBe("PUT");
    expect(seen?.path).toBe(`/partner/bill/v1/bills/${answer.billId}`);
    expect(seen?.headers).toMatchObject({ authorization: `Bearer ${QIWI_SECRET}`, "content-type": "application/json", accept: "application/json" });
    expect(seen?.body).toEqual({
      amount: { currency: "RUB", value: "500.00" },
      expirationDateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/),
      customer: { account: "100080" },
      comment: "Интернет, ноябрь",
    });
    const expiry = Date.parse((seen?.body as { expirationDateTime: string }).expirationDateTime);
    expect(expiry).toBeGreaterThanOrEqual(before + 90 * 60_000 - 1000);
    expect(expiry).toBeLessThanOrEqual(Date.now() + 90 * 60_000);

    expect(answer).toEqual({
      billId: expect.stringMatching(/^payhub-100080-[0-9a-f]{16}$/),
      payUrl: `https://oplata.qiwi.com/form/?invoice_uid=${answer.billId}`,
      amount: "500.00",
      account: "100080",
      expiresAt: new Date(expiry).toISOString(),
      status: "WAITING",
    });
    // Issuing is not money: nothing is recorded until QIWI's PAID notification.
    expect(await hub.hub.db.inboundPayment.count({ where: { externalId: answer.billId } })).toBe(0);
  });

  it("when QIWI answers 5xx and then the bill, then the same bill is asked for again and issued", async () => {
    const billIds: string[] = [];
    const qiwi = nock(QIWI_API)
      .put(BILL_PATH)
      .reply(503, (uri) => {
        billIds.push(billIdOf(uri));
        return qiwiError("internal.error", "Сервис временно недоступен");
      })
      .put(BILL_PATH)
      .reply(200, (uri, body) => {
        billIds.push(billIdOf(uri));
        return qiwiBill(billIdOf(uri), asJson(body));
      });

    const response = await issueBill({ account: "100081", amount: "150.50" });
    expect(response.status).toBe(201);
    expect(qiwi.isDone()).toBe(true);
    const answer = await answerOf(response);
    // The retry repeats the same billId, which is what makes it safe: QIWI cannot end up with two bills.
    expect(billIds).toEqual([answer.billId, answer.billId]);
    expect(answer.amount).toBe("150.50");
  });

  it("when QIWI keeps answering 5xx, then the API answers 502 saying QIWI is unavailable, after a few attempts", async () => {
    const qiwi = nock(QIWI_API).put(BILL_PATH).times(3).reply(500, qiwiError("internal.error", "Внутренняя ошибка"));
    const response = await issueBill({ account: "100081", amount: "100.00" });
    expect(response.status).toBe(502);
    const answer = await answerOf(response);
    expect(answer.error).toBe("qiwi_unavailable");
    expect(answer.message).toMatch(/QIWI is unavailable.*after 3 attempts.*HTTP 500 internal\.error: Внутренняя ошибка/);
    expect(qiwi.isDone()).toBe(true);
  });

  it("when QIWI refuses with a 4xx, then it is not asked again and the API answers 502 with QIWI's description and no secret", async () => {
    const refused = nock(QIWI_API).put(BILL_PATH).reply(401, qiwiError("auth.unauthorized", "Неверные аутентификационные данные"));
    const wouldBeRetry = nock(QIWI_API).put(BILL_PATH).reply(200, (uri, body) => qiwiBill(billIdOf(uri), asJson(body)));

    const response = await issueBill({ account: "100082", amount: "300.00" });
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: "qiwi_refused",
      message: expect.stringMatching(/^QIWI refused bill payhub-100082-[0-9a-f]{16}: HTTP 401 auth\.unauthorized: Неверные аутентификационные данные$/),
    });
    expect(text).not.toContain(QIWI_SECRET);
    expect(refused.isDone()).toBe(true);
    expect(wouldBeRetry.isDone()).toBe(false);
  });

  it("when the account is unknown, blocked or closed, or the amount is outside the limits or malformed, then QIWI is never called", async () => {
    const qiwi = nock(QIWI_API).put(/.*/).reply(200, (uri, body) => qiwiBill(billIdOf(uri), asJson(body)));

    const cases: { body: unknown; status: number; error: string; message: RegExp }[] = [
      { body: { account: "999999", amount: "100.00" }, status: 404, error: "account_not_found", message: /no account 999999/ },
      { body: { account: "100099", amount: "100.00" }, status: 409, error: "account_inactive", message: /account 100099 is closed/ },
      { body: { account: "100090", amount: "100.00" }, status: 409, error: "account_inactive", message: /account 100090 is blocked/ },
      { body: { account: "100080", amount: "0.50" }, status: 422, error: "amount_outside_limits", message: /0\.50 is outside the QIWI bill limits 1\.00–100000\.00/ },
      { body: { account: "100080", amount: "100000.01" }, status: 422, error: "amount_outside_limits", message: /100000\.01/ },
      { body: { account: "100080", amount: "5e2" }, status: 400, error: "invalid_bill", message: /^amount: .*not a plain decimal/ },
      { body: { account: "100080", amount: 500 }, status: 400, error: "invalid_bill", message: /^amount: must be a string of rubles/ },
      { body: { amount: "100.00" }, status: 400, error: "invalid_bill", message: /^account: is required$/ },
      { body: { account: "10008O", amount: "100.00" }, status: 400, error: "invalid_bill", message: /^account: an account number is 1 to 12 digits$/ },
      { body: { account: "100080", amount: "100.00", lifetimeMinutes: 0 }, status: 400, error: "invalid_bill", message: /^lifetimeMinutes: must be at least 1$/ },
      { body: { account: "100080", amount: "100.00", lifetimeMinutes: 90000 }, status: 400, error: "invalid_bill", message: /^lifetimeMinutes: must be at most 64800/ },
      { body: { account: "100080", amount: "100.00", comment: "x".repeat(256) }, status: 400, error: "invalid_bill", message: /^comment: must be at most 255/ },
    ];
    for (const { body, status, error, message } of cases) {
      const response = await issueBill(body);
      const answer = await answerOf(response);
      expect({ body, status: response.status, error: answer.error }).toEqual({ body, status, error });
      expect(answer.message).toMatch(message);
    }
    expect(qiwi.isDone()).toBe(false);
  });

  it("when a bill is issued and QIWI then notifies it PAID, then the account is credited once, repeats included", async () => {
    nock(QIWI_API)
      .put(BILL_PATH)
      .reply(200, (uri, body) => qiwiBill(billIdOf(uri), asJson(body)));
    const issued = await issueBill({ account: "100083", amount: "250.00" });
    expect(issued.status).toBe(201);
    const { billId } = await answerOf(issued);
    const before = (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100083" } })).balanceKopecks;

    // What QIWI sends once the subscriber has paid: the bill as issued, its account in customer.account, signed.
    const notification = {
      bill: {
        siteId: SITE_ID,
        billId,
        amount: { value: "250.00", currency: "RUB" },
        status: { value: "PAID", changedDateTime: "2026-11-24T12:05:00+03:00" },
        customer: { account: "100083" },
      },
      version: "1",
    };
    const signature = expectedSignature({ currency: "RUB", value: "250.00", billId, siteId: SITE_ID, status: "PAID" }, QIWI_SECRET)!;
    const notify = () =>
      fetch(`${hub.url}/webhooks/qiwi-bill`, {
        method: "POST",
        headers: { "content-type": "application/json", "X-Api-Signature-SHA256": signature },
        body: JSON.stringify(notification),
      });
    const first = await notify();
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ error: "0" });
    expect((await notify()).status).toBe(200);

    await waitUntilAllCredited(hub);
    const after = (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100083" } })).balanceKopecks;
    expect(after).toBe(before + 25000n);
    expect(await hub.hub.db.inboundPayment.count({ where: { channel: "qiwi-bill", externalId: billId } })).toBe(1);
  });
});

describe("QIWI bill client", () => {
  // A timeout is tried on the client itself: through the API it would take the production 10 s per attempt.
  it("when QIWI does not answer in time and then answers, then the bill is asked for again and issued", async () => {
    const billIds: string[] = [];
    const qiwi = nock(QIWI_API)
      .put(BILL_PATH)
      .delay(2000)
      .reply(200, (uri, body) => {
        billIds.push(billIdOf(uri));
        return qiwiBill(billIdOf(uri), asJson(body));
      })
      .put(BILL_PATH)
      .reply(200, (uri, body) => {
        billIds.push(billIdOf(uri));
        return qiwiBill(billIdOf(uri), asJson(body));
      });
    const client = createQiwiBillClient({ baseUrl: QIWI_API, secretKey: QIWI_SECRET, timeoutMs: 200, backoffMs: 10 });
    const bill = { billId: "payhub-100084-0123456789abcdef", amountKopecks: 99900n, expiresAt: new Date("2026-11-25T12:00:00Z"), account: "100084", comment: "test" };

    const answer = await client.createBill(bill);
    expect(answer).toEqual({ billId: bill.billId, payUrl: `https://oplata.qiwi.com/form/?invoice_uid=${bill.billId}`, status: "WAITING", attempts: 2 });
    expect(qiwi.isDone()).toBe(true);
    expect(billIds.at(-1)).toBe(bill.billId);
  });

  it("when QIWI never answers in time, then the error says so after every attempt and carries no secret", async () => {
    nock(QIWI_API).put(BILL_PATH).times(2).delay(2000).reply(200, {});
    const client = createQiwiBillClient({ baseUrl: QIWI_API, secretKey: QIWI_SECRET, timeoutMs: 100, attempts: 2, backoffMs: 10 });
    const error = await client
      .createBill({ billId: "payhub-100084-fedcba9876543210", amountKopecks: 100n, expiresAt: new Date(), account: "100084", comment: "test" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(QiwiBillApiError);
    expect((error as QiwiBillApiError).kind).toBe("unavailable");
    expect((error as QiwiBillApiError).message).toBe("QIWI is unavailable: bill payhub-100084-fedcba9876543210 not issued after 2 attempts, last: no answer within 100 ms");
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain(QIWI_SECRET);
  });
});

describe("POST /api/qiwi-bills without QIWI configured", () => {
  let bare: TestHub;
  beforeAll(async () => {
    bare = await startTestHub({ QIWI_BILL_SITE_ID: SITE_ID });
  });
  afterAll(async () => {
    await bare?.stop();
  });

  it("when the secret key is not set, then 503 names the variables to set and QIWI is not called", async () => {
    const qiwi = nock(QIWI_API).put(/.*/).reply(500);
    const response = await issueBill({ account: "100080", amount: "100.00" }, bare.url);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: "qiwi_bills_not_configured", message: expect.stringContaining("QIWI_BILL_SECRET_KEY and QIWI_BILL_SITE_ID") });
    expect(qiwi.isDone()).toBe(false);
  });
});
