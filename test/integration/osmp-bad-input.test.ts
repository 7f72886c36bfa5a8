import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { osmp, payParams, readOsmpAnswer, type OsmpAnswer } from "../support/osmp-client.ts";
import { startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// Malformed and hostile OSMP requests: each gets the protocol's own error answer (XML, result 300, or 4 for an
// account that is not an account number), writes no money, and leaves the hub serving.

let hub: TestHub;
beforeAll(async () => {
  // The vladik allowlist excludes loopback: in development (NODE_ENV=test here) loopback must still pass.
  hub = await startTestHub({ OSMP_VLADIK_ALLOWED_IPS: "10.1.0.0/16" });
});
afterAll(async () => {
  await hub?.stop();
});

const VALID_PAY = "command=pay&txn_id=9001&account=100080&sum=10.00&txn_date=20261124103000";
const FORM = { "content-type": "application/x-www-form-urlencoded" };

interface BadRequest {
  method?: string;
  /** Path after /webhooks/osmp/, query included. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

async function send(request: BadRequest): Promise<OsmpAnswer> {
  const response = await fetch(`${hub.url}/webhooks/osmp/${request.path}`, {
    method: request.method ?? "GET",
    headers: request.headers,
    body: request.body,
  });
  return readOsmpAnswer(response);
}

async function moneyRows(): Promise<{ payments: number; entries: number; outbox: number }> {
  const [payments, entries, outbox] = await Promise.all([
    hub.hub.db.inboundPayment.count(),
    hub.hub.db.ledgerEntry.count(),
    hub.hub.db.outbox.count(),
  ]);
  return { payments, entries, outbox };
}

/** Sends a request that must be refused and checks it wrote nothing that moves money. */
async function refused(request: BadRequest): Promise<OsmpAnswer> {
  const before = await moneyRows();
  const answer = await send(request);
  expect(answer.contentType).toBe("text/xml; charset=utf-8");
  expect(answer.body.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<response>')).toBe(true);
  expect(answer.prvTxn).toBeUndefined();
  expect(await moneyRows()).toEqual(before);
  return answer;
}

const without = (name: string) =>
  VALID_PAY.split("&")
    .filter((pair) => !pair.startsWith(`${name}=`))
    .join("&");
const withParam = (name: string, encodedValue: string) =>
  VALID_PAY.split("&")
    .map((pair) => (pair.startsWith(`${name}=`) ? `${name}=${encodedValue}` : pair))
    .join("&");

describe("OSMP requests with a missing or malformed parameter", () => {
  it.each([
    ["command is missing", without("command")],
    ["txn_id is missing", without("txn_id")],
    ["account is missing", without("account")],
    ["sum is missing from a pay", without("sum")],
    ["txn_date is missing from a pay", without("txn_date")],
    ["sum=1e3", withParam("sum", "1e3")],
    ["sum=-5", withParam("sum", "-5")],
    ["sum=10,456", withParam("sum", "10%2C456")],
    ["sum=10.456", withParam("sum", "10.456")],
    ["sum=' 10'", withParam("sum", "%2010")],
    ["sum=0", withParam("sum", "0")],
    ["sum=%00 (a NUL byte)", withParam("sum", "%00")],
    ["txn_id=abc", withParam("txn_id", "abc")],
    ["txn_id is negative", withParam("txn_id", "-9001")],
    ["txn_date=20261399000000", withParam("txn_date", "20261399000000")],
    ["txn_id is repeated (txn_id=1&txn_id=2)", `${VALID_PAY}&txn_id=9002`],
    ["sum is repeated with the same value", `${VALID_PAY}&sum=10.00`],
    ["command is repeated", `${VALID_PAY}&command=check`],
    ["txn_id is 5 000 digits", withParam("txn_id", "1".repeat(5000))],
    ["sum is 5 000 digits", withParam("sum", "1".repeat(5000))],
    ["command is 5 000 characters", withParam("command", `pay${"x".repeat(5000)}`)],
    ["txn_id looks like SQL", withParam("txn_id", encodeURIComponent("9001 OR 1=1"))],
    ["sum looks like SQL", withParam("sum", encodeURIComponent("10.00; UPDATE subscriber_account SET balance_kopecks = 1e9"))],
    ["parameter names try to reach the prototype", `__proto__=pay&constructor=pay&${without("command")}`],
  ])("when %s, then the answer is result 300 and no money is written", async (_what, query) => {
    const answer = await refused({ path: `qiwi?${query}` });
    expect(answer).toMatchObject({ status: 200, result: 300 });
    expect(answer.comment).toBeTruthy();
  });

  it("when a NUL or escape byte is quoted back in the comment, then the XML stays well-formed", async () => {
    const answer = await refused({ path: `qiwi?${withParam("sum", "%00%1B%08")}` });
    expect(answer.result).toBe(300);
    expect(answer.body).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
  });

  it("when the same parameter comes in the query and in the POST body, then it counts as repeated: result 300", async () => {
    const answer = await refused({ method: "POST", path: "qiwi?txn_id=9003", headers: FORM, body: VALID_PAY });
    expect(answer).toMatchObject({ status: 200, result: 300 });
  });
});

describe("OSMP requests whose account is not an account number", () => {
  it.each([
    ["letters", "10008O"],
    ["SQL: ' OR '1'='1", "100080' OR '1'='1"],
    ["SQL: ; DROP TABLE", "100080; DROP TABLE inbound_payment; --"],
    ["SQL comment", "100080--"],
    ["fullwidth digits", "１００００８０"],
    ["Arabic-Indic digits", "١٠٠٠٨٠"],
    ["Cyrillic letters", "лицевой счёт"],
    ["an emoji", "100080💸"],
    ["a zero-width space", "100080\u200b"],
    ["a trailing NUL", "100080\u0000"],
    ["a leading space", " 100080"],
    ["a newline", "100080\n100081"],
    ["10 000 digits", "1".repeat(10_000)],
  ])("when it holds %s, then the answer is result 4 and no money is written", async (_what, account) => {
    const answer = await refused({ path: `qiwi?${withParam("account", encodeURIComponent(account))}` });
    expect(answer).toMatchObject({ status: 200, result: 4 });
  });

  it("when a check names an account with markup, then the answer does not echo it unescaped", async () => {
    const answer = await refused({ path: `qiwi?command=check&txn_id=9004&account=${encodeURIComponent("<result>0</result>")}` });
    expect(answer.result).toBe(4);
    expect(answer.body.match(/<result>/g)).toHaveLength(1);
  });
});

describe("OSMP requests that cannot be read as a form", () => {
  it("when a 2 MB body is posted, then HTTP 413 with the XML error, before the body is read", async () => {
    const body = `${VALID_PAY}&filler=${"x".repeat(2 * 1024 * 1024)}`;
    const answer = await refused({ method: "POST", path: "qiwi", headers: FORM, body });
    expect(answer).toMatchObject({ status: 413, result: 300 });
  });

  it("when a body has more parameters than any OSMP request, then it is refused with the XML error", async () => {
    const body = `${VALID_PAY}&${Array.from({ length: 100 }, (_, index) => `p${index}=1`).join("&")}`;
    const answer = await refused({ method: "POST", path: "qiwi", headers: FORM, body });
    expect(answer.result).toBe(300);
    expect(answer.status).toBeGreaterThanOrEqual(400);
  });

  it("when the body has invalid percent-encoding, then the damaged value is refused, never guessed", async () => {
    const badAccount = await refused({ method: "POST", path: "qiwi", headers: FORM, body: withParam("account", "%E0%A4%A") });
    expect(badAccount).toMatchObject({ status: 200, result: 4 });
    const badSum = await refused({ method: "POST", path: "qiwi", headers: FORM, body: withParam("sum", "10.%G0") });
    expect(badSum).toMatchObject({ status: 200, result: 300 });
    const truncated = await refused({ method: "POST", path: "qiwi", headers: FORM, body: withParam("sum", "%") });
    expect(truncated).toMatchObject({ status: 200, result: 300 });
  });

  it("when the body holds bytes that are not UTF-8, then the account is refused as malformed", async () => {
    const body = Buffer.concat([Buffer.from(withParam("account", "")), Buffer.from([0x31, 0xff, 0xfe, 0x30])]);
    const answer = await refused({ method: "POST", path: "qiwi", headers: FORM, body });
    expect(answer).toMatchObject({ status: 200, result: 4 });
  });

  it("when the body declares a charset the hub does not read, then it is refused with the XML error", async () => {
    const answer = await refused({ method: "POST", path: "qiwi", headers: { "content-type": "application/x-www-form-urlencoded; charset=koi8-r" }, body: VALID_PAY });
    expect(answer.result).toBe(300);
    expect(answer.status).toBeGreaterThanOrEqual(400);
  });

  it("when the parameters come as JSON instead of a form, then they are not read: result 300", async () => {
    const json = JSON.stringify(Object.fromEntries(new URLSearchParams(VALID_PAY)));
    const answer = await refused({ method: "POST", path: "qiwi", headers: { "content-type": "application/json" }, body: json });
    expect(answer).toMatchObject({ status: 200, result: 300 });
  });

  it("when a 15 000-character account is posted, then result 4", async () => {
    const answer = await refused({ method: "POST", path: "qiwi", headers: FORM, body: withParam("account", "9".repeat(15_000)) });
    expect(answer).toMatchObject({ status: 200, result: 4 });
  });
});

describe("OSMP requests to a wrong profile or with a wrong method", () => {
  it("when the profile is unknown, then HTTP 404 with XML result 300", async () => {
    const answer = await refused({ path: `nope?${VALID_PAY}` });
    expect(answer).toMatchObject({ status: 404, result: 300 });
    expect(answer.comment).toContain("nope");
  });

  it("when the profile name climbs out of the route (..%2Fqiwi), then HTTP 404 with XML result 300", async () => {
    const answer = await refused({ path: `..%2Fqiwi?${VALID_PAY}` });
    expect(answer).toMatchObject({ status: 404, result: 300 });
  });

  it("when the profile name is not valid percent-encoding, then HTTP 400 with XML result 300", async () => {
    const answer = await refused({ path: `%E0%A4%A?${VALID_PAY}` });
    expect(answer).toMatchObject({ status: 400, result: 300 });
  });

  it.each([["PUT"], ["DELETE"], ["PATCH"], ["OPTIONS"]])("when the method is %s, then result 300 and no money is written", async (method) => {
    const answer = await refused({ method, path: `qiwi?${VALID_PAY}`, headers: FORM, body: method === "PUT" || method === "PATCH" ? VALID_PAY : undefined });
    expect(answer.result).toBe(300);
  });

  it("when the method is HEAD, then no money is written", async () => {
    const before = await moneyRows();
    const response = await fetch(`${hub.url}/webhooks/osmp/qiwi?${VALID_PAY}`, { method: "HEAD" });
    expect(response.headers.get("content-type")).toBe("text/xml; charset=utf-8");
    expect(await moneyRows()).toEqual(before);
  });
});

describe("after every bad request above", () => {
  it("then the hub is alive and a valid payment is still accepted and credited", async () => {
    expect((await fetch(`${hub.url}/health/live`)).status).toBe(200);
    const answer = await osmp(hub.url, payParams(9100, "100080", "10.00"), { method: "POST" });
    expect(answer).toMatchObject({ status: 200, result: 0, sum: "10.00" });
    await waitUntilAllCredited(hub);
    const account = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100080" } });
    expect(account.balanceKopecks).toBe(1000n);
    expect(await hub.hub.db.inboundPayment.count()).toBe(1);
  });
});

describe("source guards in development", () => {
  it("when a profile's allowlist excludes loopback, then a local caller is still allowed outside production", async () => {
    const answer = await osmp(hub.url, { command: "check", txn_id: "9200", account: "100080" }, { profile: "vladik" });
    expect(answer).toMatchObject({ status: 200, result: 0 });
  });
});

describe("source guards in production", () => {
  let production: TestHub;
  const EPOS_USER = "epos-gateway";
  const EPOS_PASSWORD = "correct horse battery staple";
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

  beforeAll(async () => {
    production = await startTestHub({
      NODE_ENV: "production",
      HUB_ADMIN_TOKEN: "test-admin-token-0123456789",
      // Production loads no demo subscribers by default; these tests pay the demo account 100080.
      HUB_DEMO_DATA: "true",
      OSMP_VLADIK_ALLOWED_IPS: "10.1.0.0/16",
      OSMP_EPOS_ALLOWED_IPS: "127.0.0.1, ::1",
      OSMP_EPOS_BASIC_USER: EPOS_USER,
      OSMP_EPOS_BASIC_PASSWORD: EPOS_PASSWORD,
    });
  });
  afterAll(async () => {
    await production?.stop();
  });

  async function payments(): Promise<number> {
    return production.hub.db.inboundPayment.count();
  }

  it("when the caller's address is outside the profile's allowlist, then HTTP 403, result 300 and no payment", async () => {
    const answer = await osmp(production.url, payParams(9300, "100080", "10.00"), { profile: "vladik", method: "POST" });
    expect(answer).toMatchObject({ status: 403, result: 300 });
    expect(answer.contentType).toBe("text/xml; charset=utf-8");
    expect(await payments()).toBe(0);
  });

  it("when a profile has no allowlist configured, then nobody may pay through it", async () => {
    const answer = await osmp(production.url, payParams(9301, "100080", "10.00"), { profile: "office-terminals" });
    expect(answer).toMatchObject({ status: 403, result: 300 });
    expect(await payments()).toBe(0);
  });

  it("when the qiwi profile keeps its default allowlist (QIWI's networks), then a local caller is refused", async () => {
    const answer = await osmp(production.url, payParams(9305, "100080", "10.00"), { profile: "qiwi" });
    expect(answer).toMatchObject({ status: 403, result: 300 });
    expect(await payments()).toBe(0);
  });

  it("when Basic credentials are required and none are sent, then HTTP 401 with WWW-Authenticate and no payment", async () => {
    const response = await fetch(`${production.url}/webhooks/osmp/epos?${new URLSearchParams(payParams(9302, "100080", "10.00"))}`);
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic realm="[^"]+"/);
    expect(await readOsmpAnswer(response)).toMatchObject({ status: 401, result: 300 });
    expect(await payments()).toBe(0);
  });

  it("when the Basic credentials are wrong, then HTTP 401 and no payment", async () => {
    for (const authorization of [basic(EPOS_USER, "wrong"), basic("someone", EPOS_PASSWORD), basic(EPOS_USER, `${EPOS_PASSWORD} `), `Bearer ${EPOS_PASSWORD}`]) {
      const answer = await osmp(production.url, payParams(9303, "100080", "10.00"), { profile: "epos", authorization });
      expect(answer).toMatchObject({ status: 401, result: 300 });
    }
    expect(await payments()).toBe(0);
  });

  it("when the Basic credentials are right and the address is allowed, then the payment is accepted", async () => {
    const authorization = basic(EPOS_USER, EPOS_PASSWORD);
    const check = await osmp(production.url, { command: "check", txn_id: "9304", account: "100080" }, { profile: "epos", authorization });
    expect(check).toMatchObject({ status: 200, result: 0 });
    const pay = await osmp(production.url, payParams(9304, "100080", "10.00"), { profile: "epos", authorization, method: "POST" });
    expect(pay).toMatchObject({ status: 200, result: 0, sum: "10.00" });
    expect(await payments()).toBe(1);
  });
});
