import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_BODY_LIMIT_BYTES } from "../../src/api/api-input.ts";
import { API_GROUPS, openapiPath } from "../../src/api/openapi.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";
import { AUTOMATION_TOKEN, staffApi } from "./cashier-api-client.ts";
import { receipt, vladivostokToday } from "./transfers-client.ts";

// Hostile input on the staff API, sent from outside as an attacker or a broken client would: NUL bytes, over-long
// strings, ids out of every range, wrong JSON types, bodies that are not JSON or too big. Every /api route is fuzzed,
// enumerated from the OpenAPI document (the registry's routes and the hand-validated ones it lists) with the samples
// below for the hand-validated routes' queries and bodies. None may answer 5xx; each refusal is JSON with a message;
// no money moves. The pages get the same NUL and id checks at the end.

const BIG = "9999999999999999999";
const JUST_OVER_BIGINT = "9223372036854775808";

let hub: TestHub;
let api: ReturnType<typeof staffApi>;
/** Staff tokens by role: the least role each route needs signs in as one of these. */
let staffTokens: Record<"cashier" | "supervisor" | "admin", string>;
/** Rows that exist, so hostile variants of a valid request reach the core: an OSMP payment, a cash shift and payment. */
const real = { paymentId: "", txnId: "", shiftId: "", receiptNumber: 0, cashPaymentId: "" };

async function moneyRows() {
  const db = hub.hub.db;
  const [payments, postings, entries, reversals, transfers] = await Promise.all([db.inboundPayment.count(), db.posting.count(), db.ledgerEntry.count(), db.paymentReversal.count(), db.transferRequest.count()]);
  return { payments, postings, entries, reversals, transfers };
}

beforeAll(async () => {
  // The channels' links, bills and orders configured (at a closed local port), so their routes validate what they get.
  const nowhere = "http://127.0.0.1:9";
  hub = await startTestHub({
    QIWI_BILL_SECRET_KEY: "fuzz-qiwi-secret-key",
    QIWI_BILL_SITE_ID: "fuzz-site",
    QIWI_BILL_API_URL: nowhere,
    ARSENALPAY_WIDGET_KEY: "fuzz-widget-key",
    ARSENALPAY_WIDGET_ID: "1234",
    CARD_API_URL: nowhere,
    CARD_API_USERNAME: "fuzz",
    CARD_API_PASSWORD: "fuzz-password",
    CARD_RETURN_URL: "https://example.org/paid",
    CARD_CHECKSUM_KEY: "fuzz-checksum-key",
  });
  api = staffApi(hub);
  const [kassir1, starshiy, admin] = await Promise.all([api.signIn("kassir1"), api.signIn("starshiy"), api.signIn("admin")]);
  staffTokens = { cashier: kassir1, supervisor: starshiy, admin };
  real.txnId = String(Date.now() % 1_000_000_000);
  expect((await osmp(hub.url, payParams(real.txnId, "100080", "300.00"))).result).toBe(0);
  const desk = api.desk(kassir1);
  real.shiftId = await desk.open("vl-lugovaya-1", "1000.00");
  real.cashPaymentId = await desk.pay(real.shiftId, "100081", "50.00");
  real.receiptNumber = await desk.receipt(real.shiftId);
  await waitUntilAllCredited(hub);
  const found = await api.expectStatus(200, "GET", `/api/transfers/find-payment?channel=osmp:qiwi&externalId=${real.txnId}`, AUTOMATION_TOKEN);
  real.paymentId = found.payments[0].id;
});
afterAll(async () => {
  await hub?.stop();
});

// ---- The routes ----------------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Route {
  method: string;
  /** OpenAPI form: /api/cashier/shifts/{id}. */
  path: string;
  role: "public" | "cashier" | "supervisor" | "admin";
  pathParams: string[];
  /** A valid-looking query. */
  query: Record<string, string>;
  /** The documented query parameters (and the sampled ones): each is fuzzed. */
  queryNames: string[];
  /** A valid-looking JSON body; undefined when the route takes none. */
  body: Json | undefined;
  bodyLimit: number;
}

/**
 * Samples the document cannot give: the queries and bodies of the routes that validate by hand (listed there without
 * their shapes), and a query whose parameters are alternatives. A new hand-validated route with a query or a body adds
 * its sample here; a registry route needs nothing. Every documented query parameter is fuzzed, sampled or not.
 */
const SAMPLES: Record<string, { query?: () => Record<string, string>; body?: Json }> = {
  "get /api/transfers/find-payment": { query: () => ({ channel: "osmp:qiwi", externalId: real.txnId }) },
  "get /api/payments": { query: () => ({ status: "failed", account: "100080", limit: "10" }) },
  "post /api/qiwi-bills": { body: { account: "100080", amount: "500.00", comment: "за интернет", lifetimeMinutes: 60 } },
  "post /api/arsenalpay/links": { body: { account: "100080", amount: "500.00" } },
  "post /api/autopayments": { body: { account: "100080", amount: "890.00", periodDays: 30, until: "2030-12-31" } },
  "get /api/autopayments": { query: () => ({ account: "100080" }) },
  "post /api/card/orders": { body: { account: "100080", amount: "500.00" } },
};

/** Samples that make a request otherwise valid, by field name (the rest come from the schema). */
const fieldSamples = (): Record<string, Json> => ({
  login: "fuzz-nobody",
  password: "fuzz-password-0123",
  fullName: "Проверкин Пётр",
  role: "cashier",
  office: "vl-lugovaya",
  desk: "vl-lugovaya-2",
  account: "100080",
  to: "100082",
  amount: "10.00",
  openingCash: "100.00",
  countedCash: "1050.00",
  monthlyFee: "890.00",
  shiftId: real.shiftId,
  receiptNumber: real.receiptNumber,
  paymentId: real.paymentId,
  // The payment named by channel and external id: both strings reach the lookup's SQL.
  payment: { channel: "osmp:qiwi", externalId: real.txnId },
  channel: "osmp:qiwi",
  externalId: real.txnId,
  date: vladivostokToday(),
  from: vladivostokToday(),
  q: "Луговая Иванов",
  reason: "проверка ввода",
  note: "проверка ввода",
  evidence: [receipt() as unknown as Json],
  limit: "10",
});

/** The ids of a route's path: a real row where the route reads one, so the other variants get past the lookup. */
function pathSample(path: string, param: string): string {
  if (param === "login") return "kassir2";
  if (path.startsWith("/api/payments/")) return real.paymentId;
  if (path.startsWith("/api/cashier/payments/")) return real.cashPaymentId;
  if (path.startsWith("/api/cashier/shifts/")) return real.shiftId;
  if (path.startsWith("/api/accounts/")) return "100083";
  return "1";
}

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; enum?: Json[]; examples?: Json[]; anyOf?: Schema[]; oneOf?: Schema[]; default?: Json };

/** A value the schema accepts, by the field's name where the schema alone cannot say (ids, accounts, money). */
function sample(schema: Schema, name: string, samples: Record<string, Json>): Json {
  if (name in samples) return samples[name]!;
  if (schema.examples?.length) return schema.examples[0]!;
  if (schema.enum?.length) return schema.enum[0]!;
  const variant = schema.anyOf?.find((option) => option.type !== "null") ?? schema.oneOf?.[0];
  if (variant) return sample(variant, name, samples);
  switch (schema.type) {
    case "object":
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, property]) => [key, sample(property, key, samples)]));
    case "array":
      return [sample(schema.items ?? {}, name, samples)];
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return false;
    default:
      return "пример";
  }
}

/** Every /api route, from the OpenAPI document: a route added to the registry or to its list of older routes is fuzzed too. */
async function apiRoutes(): Promise<Route[]> {
  const document = await api.expectStatus(200, "GET", "/api/openapi.json");
  const samples = fieldSamples();
  // In a query, `to` is the report's last day, not an account.
  const querySamples = { ...samples, to: vladivostokToday() };
  const limits = new Map<string, number | undefined>(API_GROUPS.flatMap((group) => Object.values(group.routes).map((spec) => [`${spec.method} ${openapiPath(group.base + spec.path)}`, spec.bodyLimit?.bytes] as const)));
  const routes: Route[] = [];
  for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
    for (const [method, operation] of Object.entries(operations)) {
      const key = `${method} ${path}`;
      const parameters = (operation.parameters ?? []) as { name: string; in: string; schema: Schema }[];
      const documented = parameters.filter((p) => p.in === "query");
      const query = SAMPLES[key]?.query?.() ?? Object.fromEntries(documented.map((p) => [p.name, String(sample(p.schema, p.name, querySamples))]));
      const documentedBody = operation.requestBody?.content?.["application/json"]?.schema as Schema | undefined;
      routes.push({
        method,
        path,
        role: operation["x-payhub-role"] ?? "public",
        pathParams: parameters.filter((p) => p.in === "path").map((p) => p.name),
        query,
        queryNames: [...new Set([...documented.map((p) => p.name), ...Object.keys(query)])],
        body: SAMPLES[key]?.body ?? (documentedBody ? sample(documentedBody, "", samples) : undefined),
        bodyLimit: limits.get(key) ?? API_BODY_LIMIT_BYTES,
      });
    }
  }
  return routes;
}

// ---- The hostile variants ------------------------------------------------------------------------------------------

interface Variant {
  what: string;
  /** The concrete path, percent-encoded as sent. */
  path: string;
  query: [string, string][];
  /** JSON to send, or the raw body. */
  body?: { json: Json } | { raw: string; contentType: string };
}

const isIdName = (name: string) => name === "id" || /Id$/.test(name);
const ID_VALUES = ["0", "-1", JUST_OVER_BIGINT, BIG, "1e3", "abc", "1 ", ""];
const LONG = "x".repeat(5000);
const hostileStrings = (value: string): Json[] => [`${value}\u0000`, "a\u0000b", "\u0000", LONG, 123, true, null, [value], {}];
const hostileNumbers: Json[] = ["1", -1, 0, 1.5, 1e300, 2 ** 63, null, [1]];
const hostileBooleans: Json[] = ["true", 1, null];

function hostileValues(name: string, value: Json): Json[] {
  if (typeof value === "string") return [...hostileStrings(value), ...(isIdName(name) ? ID_VALUES : [])];
  if (typeof value === "number") return hostileNumbers;
  if (typeof value === "boolean") return hostileBooleans;
  if (Array.isArray(value)) return ["x", {}, null, Array<Json>(50).fill(value[0] ?? null)];
  return ["x", [], null, 1];
}

/** Every leaf and container of a JSON value, with its path. */
function* fields(value: Json, path: (string | number)[] = []): Generator<[path: (string | number)[], value: Json]> {
  if (path.length > 0) yield [path, value];
  if (Array.isArray(value)) for (const [index, item] of value.entries()) yield* fields(item, [...path, index]);
  else if (value !== null && typeof value === "object") for (const [key, item] of Object.entries(value)) yield* fields(item, [...path, key]);
}

function replaced(body: Json, path: (string | number)[], value: Json): Json {
  const copy = structuredClone(body) as Record<string | number, Json>;
  let target = copy;
  for (const step of path.slice(0, -1)) target = target[step] as Record<string | number, Json>;
  target[path.at(-1)!] = value;
  return copy;
}

const show = (value: Json) => {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

function variants(route: Route): Variant[] {
  const concrete = (override?: [string, string]) =>
    route.path.replace(/\{([A-Za-z0-9_]+)\}/g, (_match, name: string) => (override?.[0] === name ? override[1] : encodeURIComponent(pathSample(route.path, name))));
  const query = Object.entries(route.query);
  const base = { path: concrete(), query };
  // A GET as the samples make it, unchanged: the samples are good enough to reach the route's core (never a 5xx).
  const list: Variant[] = route.method === "get" ? [{ what: "the sample request itself", ...base }] : [];
  const validBody = route.body === undefined ? {} : { body: { json: route.body } };

  for (const name of route.pathParams) {
    const raw = [...ID_VALUES.map(encodeURIComponent), "%00", "a%00b", encodeURIComponent(LONG), "%E0%A4%A", "%"];
    for (const value of raw) list.push({ what: `path ${name}=${value.slice(0, 30)}`, path: concrete([name, value]), query, ...validBody });
  }
  for (const name of route.queryNames) {
    const value = route.query[name] ?? "1";
    const others = query.filter(([other]) => other !== name);
    const values = [`${value}\u0000`, "a\u0000 b", LONG, ...(isIdName(name) ? ID_VALUES : [])];
    for (const hostile of values) list.push({ what: `query ${name}=${show(hostile)}`, ...base, query: [...others, [name, hostile]], ...validBody });
    list.push({ what: `query ${name} given twice`, ...base, query: [...others, [name, value], [name, value]], ...validBody });
  }
  list.push({ what: "an unknown query parameter with a NUL", ...base, query: [...query, ["zz", "\u0000"]], ...validBody });
  if (route.body !== undefined) {
    for (const [path, value] of fields(route.body)) {
      const name = String(path.at(-1));
      for (const hostile of hostileValues(name, value)) list.push({ what: `body ${path.join(".")}=${show(hostile)}`, ...base, body: { json: replaced(route.body, path, hostile) } });
    }
    list.push({ what: "body with a field named with a NUL", ...base, body: { json: { ...(route.body as object), "a\u0000b": "x" } } });
    for (const json of [null, [], "x", 1, [route.body]] as Json[]) list.push({ what: `body ${show(json)}`, ...base, body: { json } });
  }
  // Bodies that are not JSON and bodies over the route's limit: every route, those that take no body too (fetch sends
  // none with a GET).
  if (route.method === "get") return list;
  list.push({ what: "a body that is not JSON", ...base, body: { raw: '{"login": "a", ', contentType: "application/json" } });
  list.push({ what: "a body in a charset JSON does not allow", ...base, body: { raw: "{}", contentType: "application/json; charset=latin1" } });
  list.push({ what: "a body deeper than any request", ...base, body: { raw: `${"[".repeat(2000)}${"]".repeat(2000)}`, contentType: "application/json" } });
  list.push({ what: `a body over ${route.bodyLimit} bytes`, ...base, body: { raw: JSON.stringify({ pad: "x".repeat(route.bodyLimit + 64 * 1024) }), contentType: "application/json" } });
  if (route.body !== undefined) list.push({ what: "a form body where JSON is expected", ...base, body: { raw: "login=a%00b&amount=1", contentType: "application/x-www-form-urlencoded" } });
  return list;
}

interface Outcome {
  status: number;
  json: Record<string, unknown> | undefined;
  text: string;
}

async function send(route: Route, variant: Variant, token: string | undefined): Promise<Outcome> {
  const search = new URLSearchParams(variant.query).toString();
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let body: string | undefined;
  if (variant.body && "json" in variant.body) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(variant.body.json);
  } else if (variant.body) {
    headers["content-type"] = variant.body.contentType;
    body = variant.body.raw;
  }
  const response = await fetch(`${hub.url}${variant.path}${search ? `?${search}` : ""}`, { method: route.method.toUpperCase(), headers, body });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

/** What is wrong with an answer to a hostile request; undefined when it is a proper answer. */
function fault(outcome: Outcome): string | undefined {
  if (outcome.status >= 500) return `answered ${outcome.status}: ${outcome.text.slice(0, 200)}`;
  if (outcome.status < 400) return undefined;
  const message = outcome.json?.message;
  if (typeof outcome.json?.error !== "string" || typeof message !== "string" || message.trim() === "") return `refused ${outcome.status} without a JSON error and message: ${outcome.text.slice(0, 200)}`;
  return undefined;
}

async function inParallel<T>(items: T[], width: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await each(items[next++]!);
  }));
}

describe("every /api route fuzzed with hostile input", () => {
  it("when any route gets NUL bytes, over-long strings, ids out of range, wrong JSON types, a body that is not JSON or is too big, then no answer is 5xx, every refusal is JSON with a message, and no money moves", async () => {
    const routes = await apiRoutes();
    // The document lists every group of the API: a group missing here would go unfuzzed.
    const groups = new Set(routes.map((route) => route.path.split("/")[2]));
    for (const group of ["accounts", "payments", "arsenalpay", "autopayments", "card", "qiwi-bills", "transfers", "suspense", "operations", "reports", "staff", "audit", "cashier", "auth"]) expect(groups).toContain(group);

    const before = await moneyRows();
    const requests = routes.flatMap((route) => {
      const tokens = route.role === "public" ? [undefined] : [AUTOMATION_TOKEN, staffTokens[route.role]];
      return variants(route).flatMap((variant) => tokens.map((token) => ({ route, variant, token })));
    });
    const faults: string[] = [];
    await inParallel(requests, 6, async ({ route, variant, token }) => {
      const problem = fault(await send(route, variant, token));
      const who = token === undefined ? "no token" : token === AUTOMATION_TOKEN ? "automation" : route.role;
      if (problem) faults.push(`${route.method.toUpperCase()} ${route.path} (${who}) with ${variant.what}: ${problem}`);
    });
    expect(faults).toEqual([]);
    expect(requests.length).toBeGreaterThan(2000);

    expect(await moneyRows()).toEqual(before);
    await expectLedgerConsistent(hub);
    // The staff tokens used (one of them on the sign-out route) still work: nothing hostile was taken as a request.
    for (const token of Object.values(staffTokens)) await api.expectStatus(200, "GET", "/api/cashier/desks", token);
  });
});

// ---- The ten 500s of the report, by name ---------------------------------------------------------------------------

/** A 400 bad_request whose message names the field. */
function expectNamed(answer: { status: number; json: Record<string, any> | undefined }, field: string): void {
  expect(answer).toMatchObject({ status: 400, json: { error: "bad_request", message: expect.stringContaining(field) } });
}

describe("NUL bytes that reached PostgreSQL", () => {
  it("when a sign-in's login carries a NUL, then 400 names body.login, and the attempt is audited under the login with U+FFFD for the NUL", async () => {
    const answer = await api.call("POST", "/api/auth/tokens", undefined, { login: "kassir\u00001", password: "x" });
    expectNamed(answer, "body.login");
    expect(answer.json!.message).not.toContain("\u0000");
    const entries = await api.expectStatus(200, "GET", `/api/audit?staff=${encodeURIComponent("kassir\uFFFD1")}&action=sign-in`, staffTokens.supervisor);
    expect(entries.entries).toEqual([expect.objectContaining({ actor: "kassir\uFFFD1", action: "sign-in.refused-input", detail: { why: expect.stringContaining("body.login") } })]);
  });

  it("when a sign-in misses its password or its body is not JSON, then 400, and those attempts are audited too", async () => {
    const refused = (actor: string) => hub.hub.db.auditEntry.count({ where: { action: "sign-in.refused-input", actor } });
    const anonymous = await refused("");
    expectNamed(await api.call("POST", "/api/auth/tokens", undefined, { login: "kassir-no-password" }), "body.password");
    const notJson = await fetch(`${hub.url}/api/auth/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"login": "kassir' });
    expect(notJson.status).toBe(400);
    expect([await refused("kassir-no-password"), await refused("")]).toEqual([1, anonymous + 1]);
  });

  it("when the audit log is filtered by a staff login with a NUL, then 400 names query.staff", async () => {
    expectNamed(await api.call("GET", "/api/audit?staff=%00", staffTokens.supervisor), "query.staff");
  });

  it("when the cash desk searches accounts for text with a NUL, then 400 names query.q", async () => {
    expectNamed(await api.call("GET", "/api/cashier/accounts?q=a%00%20b", staffTokens.cashier), "query.q");
  });

  it("when a payment is looked up by a channel with a NUL, then 400 names query.channel", async () => {
    expectNamed(await api.call("GET", "/api/transfers/find-payment?channel=osmp%00&externalId=1", staffTokens.cashier), "query.channel");
  });

  it("when a shift is opened at a desk whose code has a NUL, then 400 names body.desk and no shift is opened", async () => {
    const shifts = await hub.hub.db.cashShift.count();
    expectNamed(await api.call("POST", "/api/cashier/shifts", staffTokens.supervisor, { desk: "vl-lugovaya-2\u0000", openingCash: "0" }), "body.desk");
    expect(await hub.hub.db.cashShift.count()).toBe(shifts);
  });
});

describe("ids above the bigint maximum that overflowed in the database", () => {
  it(`when a payment is read by id ${BIG}, then 400 names path.id`, async () => {
    expectNamed(await api.call("GET", `/api/payments/${BIG}`, AUTOMATION_TOKEN), "path.id");
  });

  it(`when a payment ${BIG} is retried, then 400 names path.id`, async () => {
    expectNamed(await api.call("POST", `/api/payments/${BIG}/retry`, AUTOMATION_TOKEN), "path.id");
  });

  it(`when a payment is looked up by paymentId ${BIG}, then 400 names query.paymentId`, async () => {
    expectNamed(await api.call("GET", `/api/transfers/find-payment?paymentId=${BIG}`, staffTokens.cashier), "query.paymentId");
  });

  it(`when a transfer is filed for payment ${BIG}, then 400 names body.payment.paymentId and nothing is filed`, async () => {
    const body = { payment: { paymentId: BIG }, to: "100082", amount: "1.00", reason: "ошибся счётом", evidence: [receipt()] };
    expectNamed(await api.call("POST", "/api/transfers", staffTokens.cashier, body), "body.payment.paymentId");
    expect(await hub.hub.db.transferRequest.count()).toBe(0);
  });

  it(`when cash payment ${BIG} is cancelled, then 400 names path.id`, async () => {
    expectNamed(await api.call("POST", `/api/cashier/payments/${BIG}/storno`, staffTokens.cashier, { reason: "ошибка кассира" }), "path.id");
  });

  it(`when an id is ${JUST_OVER_BIGINT} (one over the bigint maximum) or 2147483648 for a 32-bit id, then 400; the maximum itself is looked up (404)`, async () => {
    expectNamed(await api.call("GET", `/api/payments/${JUST_OVER_BIGINT}`, AUTOMATION_TOKEN), "path.id: must be an id from 1 to 9223372036854775807");
    expect((await api.call("GET", "/api/payments/9223372036854775807", AUTOMATION_TOKEN)).status).toBe(404);
    expectNamed(await api.call("GET", "/api/cashier/shifts/2147483648", staffTokens.cashier), "path.id: must be an id from 1 to 2147483647");
    expect((await api.call("GET", "/api/cashier/shifts/2147483647", staffTokens.cashier)).status).toBe(404);
  });
});

describe("bodies the API does not read", () => {
  it("when a body is over 16 kB, then 413 too_large in JSON; a transfer's evidence may be larger, up to its own limit", async () => {
    const big = { reason: "x".repeat(API_BODY_LIMIT_BYTES) };
    expect(await api.call("POST", `/api/cashier/payments/${real.cashPaymentId}/storno`, staffTokens.cashier, big)).toMatchObject({ status: 413, json: { error: "too_large" } });
    // 20 kB of evidence is read (and refused for what it is, not for its size).
    const file = { fileName: "квитанция.png", contentType: "image/png", data: Buffer.alloc(20_000, 1).toString("base64") };
    const answer = await api.call("POST", "/api/transfers", staffTokens.cashier, { payment: { paymentId: real.paymentId }, to: "100082", amount: "1.00", reason: "ошибся счётом", evidence: [file] });
    expect(answer).toMatchObject({ status: 400, json: { error: "evidence_type" } });
  });
});

// ---- The pages -----------------------------------------------------------------------------------------------------

async function pageSession(login: string): Promise<string> {
  const response = await fetch(`${hub.url}/staff/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ login, password: hub.config.staff.demoPassword, next: "/cash" }).toString(),
  });
  expect(response.status).toBe(303);
  return /payhub_session=[^;]+/.exec(response.headers.get("set-cookie") ?? "")![0];
}

async function page(path: string, cookie?: string, form?: Record<string, string>): Promise<{ status: number; text: string }> {
  const response = await fetch(`${hub.url}${path}`, {
    method: form ? "POST" : "GET",
    redirect: "manual",
    headers: { ...(cookie ? { cookie } : {}), ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  return { status: response.status, text: await response.text() };
}

describe("the pages", () => {
  it("when the sign-in form's login carries a NUL, then a 400 page, and the attempt is audited", async () => {
    const answer = await page("/staff/sign-in", undefined, { login: "b\u0000c", password: "x", next: "/cash" });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain("Запрос не принят");
    expect(await hub.hub.db.auditEntry.count({ where: { actor: "b\uFFFDc", action: "sign-in.refused-input" } })).toBe(1);
  });

  it("when a page's query or form carries a NUL or over-long text, then a 400 page, never a 500", async () => {
    const [cashier, supervisor] = await Promise.all([pageSession("kassir2"), pageSession("starshiy")]);
    for (const [path, cookie, form] of [
      ["/cash/find?q=a%00b", cashier],
      ["/cash/pay?account=100080%00", cashier],
      ["/cash/shifts?office=vl%00", cashier],
      [`/cash/find?q=${"x".repeat(5000)}`, cashier],
      ["/console?q=%00", supervisor],
      ["/console/reports?from=2026-01-01%00&to=2026-01-31", supervisor],
      ["/cash/shifts", cashier, { desk: "us-nekrasova-1\u0000", openingCash: "0" }],
      ["/cash/close", cashier, { shiftId: "1", counted: "0", note: "a\u0000" }],
      ["/admin/staff/a%00b/unlock", supervisor, {}],
    ] as [string, string, Record<string, string>?][]) {
      const answer = await page(path, cookie, form);
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
      expect(answer.text).toContain("Запрос не принят");
    }
  });

  it(`when a page's path names an id out of range (${BIG}, 2147483648, 1e3), then a 4xx page, never a 500`, async () => {
    const [cashier, supervisor] = await Promise.all([pageSession("kassir2"), pageSession("starshiy")]);
    for (const [path, cookie] of [
      [`/cash/receipts/${BIG}`, cashier],
      ["/cash/shifts/2147483648", cashier],
      ["/cash/shifts/1e3", cashier],
      [`/console/payments/${BIG}`, supervisor],
      [`/console/transfers/${BIG}`, supervisor],
      [`/console/transfers/1/evidence/${BIG}`, supervisor],
    ] as const) {
      const answer = await page(path, cookie);
      expect({ path, clientError: answer.status >= 400 && answer.status < 500 }).toEqual({ path, clientError: true });
    }
  });
});
