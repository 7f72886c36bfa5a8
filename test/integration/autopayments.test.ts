import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectedArsenalpaySign } from "../../adapters/arsenalpay/verify.ts";
import { clientCredentialsBasic } from "../../src/autopayments/arsenalpay-api-client.ts";
import { startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// ArsenalPay autopayments (PROTOCOLS.md §3) over the hub's API, with ArsenalPay's REST API played by nock and
// everything else real: recurring `payment` callbacks linked to the autopayment, the OAuth2 token cached and refreshed
// on a 401, 5xx retried, cancelling at ArsenalPay, and reconciliation with ArsenalPay's list.
// The tests run in order and share the hub's cached access token.

const KEY = "arsenalpay-callback-key";
const MERCHANT = "166301";
const API = "https://api.arsenalpay.test";
const CLIENT_ID = "payhub-client";
const CLIENT_SECRET = "arsenalpay-client-secret-42";
const ADMIN = { authorization: "Bearer test-admin-token-0123456789" };
const ACCOUNT = "100080";
/** The demo account's personal-account login: ArsenalPay's userId. */
const USER_ID = "atk141925";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({
    ARSENALPAY_CALLBACK_KEY: KEY,
    ARSENALPAY_MERCHANT_ID: MERCHANT,
    ARSENALPAY_WIDGET_KEY: "arsenalpay-widget-key",
    ARSENALPAY_WIDGET_ID: "4242",
    ARSENALPAY_API_URL: API,
    ARSENALPAY_CLIENT_ID: CLIENT_ID,
    ARSENALPAY_CLIENT_SECRET: CLIENT_SECRET,
  });
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

interface AutopaymentView {
  id: number;
  account: string;
  amount: string;
  periodDays: number;
  until: string | null;
  state: string;
  providerSubscriptionId: string | null;
  lastChargedAt: string | null;
  url?: string | null;
  error?: string;
  message?: string;
}

const api = (method: string, path: string, body?: unknown) =>
  fetch(`${hub.url}/api/autopayments${path}`, {
    method,
    headers: { ...ADMIN, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const list = async () => {
  const response = await api("GET", `?account=${ACCOUNT}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { reconciled: boolean; warning?: string; autopayments: AutopaymentView[] };
};

let rrn = 0;
async function payment(account: string, amount: string) {
  const signed = { ID: MERCHANT, FUNCTION: "payment", RRN: `ap-${++rrn}`, PAYER: "427600******1234", AMOUNT: amount, ACCOUNT: account, STATUS: "payment" };
  const params = { ...signed, DATETIME: "2026-11-24T12:00:00+10:00", SIGN: expectedArsenalpaySign(signed, KEY) };
  const response = await fetch(`${hub.url}/webhooks/arsenalpay`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params).toString(),
  });
  expect(await response.text()).toBe("OK");
  return hub.hub.db.inboundPayment.findFirstOrThrow({ where: { channel: "arsenalpay", externalId: signed.RRN } });
}

const tokenAnswer = (token: string) => ({ access_token: token, token_type: "Bearer", expires_in: 3600 });

let first: AutopaymentView;

describe("ArsenalPay autopayments", () => {
  it("when an autopayment is created, then 201 with the record and the signed widget link; a second one of the same amount is 409", async () => {
    const response = await api("POST", "", { account: ACCOUNT, amount: "890.00", periodDays: 30, until: "2099-12-31" });
    expect(response.status).toBe(201);
    first = (await response.json()) as AutopaymentView;
    expect(first).toMatchObject({ account: ACCOUNT, amount: "890.00", periodDays: 30, until: "2099-12-31", state: "active", providerSubscriptionId: null, lastChargedAt: null });
    expect(first.url).toMatch(/^https:\/\/arsenalpay\.ru\/widget\.html\?.*destination=100080.*userId=atk141925.*amount=890\.00/);
    expect((await api("POST", "", { account: ACCOUNT, amount: "890.00", periodDays: 30 })).status).toBe(409);
    expect((await api("POST", "", { account: "999999", amount: "890.00", periodDays: 30 })).status).toBe(404);
    expect((await api("POST", "", { account: ACCOUNT, amount: "890.00", periodDays: 0 })).status).toBe(400);
  });

  it("when ArsenalPay's payment has the autopayment's account and amount, then it is linked and lastChargedAt set; another amount is not linked", async () => {
    const charge = await payment(ACCOUNT, "890.00");
    expect(charge.autopaymentId).toBe(first.id);
    const record = await hub.hub.db.autopayment.findUniqueOrThrow({ where: { id: first.id } });
    expect(record.lastChargedAt?.getTime()).toBe(charge.receivedAt.getTime());
    const oneOff = await payment(ACCOUNT, "500.00");
    expect(oneOff.autopaymentId).toBeNull();
    const otherAccount = await payment("100081", "890.00");
    expect(otherAccount.autopaymentId).toBeNull();
    await waitUntilAllCredited(hub);
  });

  it("when the list is asked for twice, then the token is fetched once (Basic client credentials) and a newly listed subscription of the same amount is recorded", async () => {
    let tokenRequest: { headers: Record<string, unknown>; body: unknown } | undefined;
    const arsenalpay = nock(API)
      .post("/api/oauth2/token")
      .once()
      .reply(200, function (_uri, body) {
        tokenRequest = { headers: this.req.headers, body };
        return tokenAnswer("token-1");
      })
      .get("/api/v1/subscriptions")
      .query({ userId: USER_ID })
      .matchHeader("authorization", "Bearer token-1")
      .twice()
      .reply(200, { subscriptions: [{ id: "sub-1", amount: "890.00", status: "active" }] });

    const once = await list();
    const twice = await list();
    expect(arsenalpay.isDone()).toBe(true);
    expect(tokenRequest?.headers).toMatchObject({ authorization: clientCredentialsBasic(CLIENT_ID, CLIENT_SECRET), "content-type": "application/x-www-form-urlencoded" });
    expect(tokenRequest?.body).toBe("grant_type=client_credentials");
    expect(once.reconciled).toBe(true);
    expect(twice.autopayments).toEqual([expect.objectContaining({ id: first.id, state: "active", providerSubscriptionId: "sub-1" })]);
  });

  it("when the API answers 401 to an expired token, then the token is refreshed once and the call succeeds", async () => {
    const arsenalpay = nock(API)
      .get("/api/v1/subscriptions")
      .query({ userId: USER_ID })
      .matchHeader("authorization", "Bearer token-1")
      .reply(401, { error: "invalid_token" })
      .post("/api/oauth2/token")
      .reply(200, tokenAnswer("token-2"))
      .get("/api/v1/subscriptions")
      .query({ userId: USER_ID })
      .matchHeader("authorization", "Bearer token-2")
      .reply(200, [{ id: "sub-1", amount: "890.00" }]);
    const answer = await list();
    expect(arsenalpay.isDone()).toBe(true);
    expect(answer.reconciled).toBe(true);
    expect(answer.autopayments[0]).toMatchObject({ state: "active", providerSubscriptionId: "sub-1" });
  });

  it("when the API answers 5xx, then the call is retried and succeeds", async () => {
    const arsenalpay = nock(API)
      .get("/api/v1/subscriptions")
      .query({ userId: USER_ID })
      .reply(503, "Service Unavailable")
      .get("/api/v1/subscriptions")
      .query({ userId: USER_ID })
      .matchHeader("authorization", "Bearer token-2")
      .reply(200, [{ id: "sub-1", amount: "890.00" }]);
    const answer = await list();
    expect(arsenalpay.isDone()).toBe(true);
    expect(answer.reconciled).toBe(true);
  });

  it("when an autopayment is cancelled, then ArsenalPay gets DELETE with the bearer token and the record is cancelled; a second cancel is 409", async () => {
    const arsenalpay = nock(API).delete("/api/v1/subscriptions/sub-1").matchHeader("authorization", "Bearer token-2").reply(204);
    const response = await api("DELETE", `/${first.id}`);
    expect(response.status).toBe(200);
    expect(arsenalpay.isDone()).toBe(true);
    expect(await response.json()).toMatchObject({ id: first.id, state: "cancelled", providerSubscriptionId: "sub-1" });
    expect((await api("DELETE", `/${first.id}`)).status).toBe(409);
    expect((await api("DELETE", "/999999")).status).toBe(404);
    expect((await api("DELETE", "/abc")).status).toBe(400);
    // A cancelled autopayment no longer claims the charges of its amount.
    expect((await payment(ACCOUNT, "890.00")).autopaymentId).toBeNull();
  });

  it("when ArsenalPay refuses the cancel, then 502 without the secret or token and the autopayment stays active; when it no longer lists it, then it is cancelled", async () => {
    const created = (await (await api("POST", "", { account: ACCOUNT, amount: "450.00", periodDays: 30 })).json()) as AutopaymentView;
    nock(API)
      .get("/api/v1/subscriptions")
      .query({ userId: USER_ID })
      .reply(200, [{ id: "sub-2", amount: 450 }]);
    expect((await list()).autopayments.find((autopayment) => autopayment.id === created.id)).toMatchObject({ providerSubscriptionId: "sub-2" });

    nock(API).delete("/api/v1/subscriptions/sub-2").reply(403, { error: "forbidden", message: "not yours" });
    const refused = await api("DELETE", `/${created.id}`);
    expect(refused.status).toBe(502);
    const text = await refused.text();
    expect(JSON.parse(text)).toMatchObject({ error: "arsenalpay_refused", message: expect.stringContaining("HTTP 403") });
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).not.toContain("token-2");
    expect((await hub.hub.db.autopayment.findUniqueOrThrow({ where: { id: created.id } })).state).toBe("active");

    nock(API).get("/api/v1/subscriptions").query({ userId: USER_ID }).reply(200, { subscriptions: [] });
    const after = await list();
    expect(after.reconciled).toBe(true);
    expect(after.autopayments.find((autopayment) => autopayment.id === created.id)).toMatchObject({ state: "cancelled" });
  });
});
