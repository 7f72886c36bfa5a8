import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { osmp, payParams } from "../support/osmp-client.ts";
import { startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// The staff and automation API for accounts: GET and PUT /api/accounts/:number behind the admin bearer token.
// Demo accounts of a fresh hub: 100080 "Иванов Иван Иванович" (login atk141925), 100081 … 100084, 100090 blocked.

const TOKEN = "test-admin-token-0123456789";
const ADMIN = { authorization: `Bearer ${TOKEN}` };

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => {
  await hub?.stop();
});

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = ADMIN) {
  const response = await fetch(`${hub.url}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

const NEW_ACCOUNT = {
  ownerName: "Григорьева Анна Павловна",
  address: "г. Находка, ул. Ленинская, д. 12, кв. 5",
  phone: "+79140000123",
  login: "atk700001",
  status: "active",
  monthlyFee: "890.00",
};

describe("GET /api/accounts/:number", () => {
  it("when the account exists, then its number, balance in rubles, status and masked owner are shown", async () => {
    const { status, json, text } = await api("GET", "/api/accounts/100080");
    expect(status).toBe(200);
    expect(json).toMatchObject({ number: "100080", balance: "0.00", status: "active", ownerName: "И***в И. И.", monthlyFee: "890.00", movements: [] });
    expect(text).not.toContain("Иванов");
  });

  it("when an OSMP payment to it was credited, then the balance and a movement show it", async () => {
    const paid = await osmp(hub.url, payParams(8001, "100081", "10.45"));
    expect(paid.result).toBe(0);
    await waitUntilAllCredited(hub);
    const { json } = await api("GET", "/api/accounts/100081");
    expect(json).toMatchObject({ number: "100081", balance: "10.45", balanceKopecks: "1045" });
    expect(json!.movements).toEqual([
      expect.objectContaining({ kind: "payment-credit", amount: "10.45", paymentId: paid.prvTxn, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }),
    ]);
  });

  it("when the account does not exist, then 404", async () => {
    const { status, json } = await api("GET", "/api/accounts/999999");
    expect(status).toBe(404);
    expect(json).toMatchObject({ error: "account_not_found" });
  });

  it.each([["abc"], ["10008O"], ["1234567890123"], ["-1"], ["100080%20"], ["%D1%8F"]])("when the number is %j, then 400 naming the account number", async (number) => {
    const { status, json } = await api("GET", `/api/accounts/${number}`);
    expect(status).toBe(400);
    expect(json!.message).toMatch(/account number/);
  });
});

describe("PUT /api/accounts/:number", () => {
  it("when the account is new, then 201 and it is created; a second PUT updates it with 200", async () => {
    const created = await api("PUT", "/api/accounts/700001", NEW_ACCOUNT);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ number: "700001", login: "atk700001", status: "active", monthlyFee: "890.00", balance: "0.00", ownerName: "Г***а А. П." });

    const updated = await api("PUT", "/api/accounts/700001", { ...NEW_ACCOUNT, address: "г. Артём, ул. Кирова, д. 1", status: "blocked", monthlyFee: "950.50" });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ number: "700001", address: "г. Артём, ул. Кирова, д. 1", status: "blocked", monthlyFee: "950.50" });

    const read = await api("GET", "/api/accounts/700001");
    expect(read.json).toEqual(updated.json);
    expect(await hub.hub.db.subscriberAccount.count({ where: { number: "700001" } })).toBe(1);
    expect(await hub.hub.db.ledgerAccount.count({ where: { code: "subscriber:700001" } })).toBe(1);
  });

  it("when only the owner's name is given, then the rest takes its defaults: active, no login, fee 0.00", async () => {
    const { status, json } = await api("PUT", "/api/accounts/700002", { ownerName: "Орлов Пётр" });
    expect(status).toBe(201);
    expect(json).toMatchObject({ status: "active", login: null, address: "", monthlyFee: "0.00" });
  });

  it("when an account is updated, then its balance is kept", async () => {
    await osmp(hub.url, payParams(8002, "100082", "100.00"));
    await waitUntilAllCredited(hub);
    const { status, json } = await api("PUT", "/api/accounts/100082", { ownerName: "Сидоров Алексей Петрович", address: "г. Уссурийск, ул. Некрасова, д. 81, кв. 4", monthlyFee: "550.00" });
    expect(status).toBe(200);
    expect(json).toMatchObject({ balance: "100.00", address: "г. Уссурийск, ул. Некрасова, д. 81, кв. 4" });
  });

  it.each([
    ["ownerName is missing", "ownerName", { ...NEW_ACCOUNT, ownerName: undefined }],
    ["ownerName is blank", "ownerName", { ...NEW_ACCOUNT, ownerName: "   " }],
    ["ownerName is 301 characters", "ownerName", { ...NEW_ACCOUNT, ownerName: "Я".repeat(301) }],
    ["monthlyFee is a number", "monthlyFee", { ...NEW_ACCOUNT, monthlyFee: 890 }],
    ["monthlyFee is 1e3", "monthlyFee", { ...NEW_ACCOUNT, monthlyFee: "1e3" }],
    ["monthlyFee is negative", "monthlyFee", { ...NEW_ACCOUNT, monthlyFee: "-890.00" }],
    ["monthlyFee has three decimals", "monthlyFee", { ...NEW_ACCOUNT, monthlyFee: "890.000" }],
    ["status is unknown", "status", { ...NEW_ACCOUNT, status: "frozen" }],
    ["login has a space", "login", { ...NEW_ACCOUNT, login: "atk 700001" }],
    ["login is Cyrillic", "login", { ...NEW_ACCOUNT, login: "абонент" }],
    ["phone is a number", "phone", { ...NEW_ACCOUNT, phone: 79140000123 }],
    ["address is 501 characters", "address", { ...NEW_ACCOUNT, address: "д".repeat(501) }],
  ])("when %s, then 400 with a message naming %s, and nothing is created", async (_what, field, body) => {
    const { status, json } = await api("PUT", "/api/accounts/700003", body);
    expect(status).toBe(400);
    expect(json).toMatchObject({ error: "invalid_account", message: expect.stringContaining(field) });
    expect((await api("GET", "/api/accounts/700003")).status).toBe(404);
  });

  // A NUL never reaches the route: the API's input check refuses it first, as for every route (api-input.ts).
  it.each([
    ["ownerName holds a NUL byte", "body.ownerName", { ...NEW_ACCOUNT, ownerName: "Иванов\u0000 Иван" }],
    ["address holds a NUL byte", "body.address", { ...NEW_ACCOUNT, address: "г. Артём\u0000" }],
  ])("when %s, then 400 bad_request naming %s, and nothing is created", async (_what, field, body) => {
    const { status, json } = await api("PUT", "/api/accounts/700003", body);
    expect(status).toBe(400);
    expect(json).toMatchObject({ error: "bad_request", message: expect.stringContaining(field) });
    expect((await api("GET", "/api/accounts/700003")).status).toBe(404);
  });

  it.each([
    ["not JSON", "{ownerName: 'Иванов'"],
    ["a JSON array", "[]"],
    ["a JSON string", '"Иванов"'],
  ])("when the body is %s, then 400 and nothing is created", async (_what, body) => {
    const { status } = await api("PUT", "/api/accounts/700003", body);
    expect(status).toBe(400);
    expect((await api("GET", "/api/accounts/700003")).status).toBe(404);
  });

  it("when the number is not digits, then 400 and nothing is created", async () => {
    const { status, json } = await api("PUT", "/api/accounts/70000A", NEW_ACCOUNT);
    expect(status).toBe(400);
    expect(json!.message).toMatch(/account number/);
  });

  it("when the login already belongs to another account, then 409 naming the login and the account is not created", async () => {
    const { status, json } = await api("PUT", "/api/accounts/700004", { ...NEW_ACCOUNT, login: "atk141925" });
    expect(status).toBe(409);
    expect(json!.message).toMatch(/login "atk141925" already belongs to account 100080/);
    expect((await api("GET", "/api/accounts/700004")).status).toBe(404);
  });

  it("when an account keeps its own login, then that is no conflict", async () => {
    const { status } = await api("PUT", "/api/accounts/100080", { ownerName: "Иванов Иван Иванович", login: "atk141925", monthlyFee: "890.00" });
    expect(status).toBe(200);
  });
});

describe("an account's status as the OSMP check sees it", () => {
  it("when staff block, close and reopen an account, then check answers 7, 79 and 0", async () => {
    const check = async (txnId: string) => (await osmp(hub.url, { command: "check", txn_id: txnId, account: "100083" })).result;
    const details = { ownerName: "Кузнецова Ольга Викторовна", address: "г. Находка, ул. Ленинская, д. 1а, кв. 40", monthlyFee: "590.00" };
    expect(await check("8101")).toBe(0);
    expect((await api("PUT", "/api/accounts/100083", { ...details, status: "blocked" })).status).toBe(200);
    expect(await check("8102")).toBe(7);
    expect((await osmp(hub.url, payParams(8103, "100083", "10.00"))).result).toBe(7);
    expect((await api("PUT", "/api/accounts/100083", { ...details, status: "closed" })).status).toBe(200);
    expect(await check("8104")).toBe(79);
    expect((await api("PUT", "/api/accounts/100083", { ...details, status: "active" })).status).toBe(200);
    expect(await check("8105")).toBe(0);
  });
});

describe("the bearer token", () => {
  const wrong: [string, Record<string, string>][] = [
    ["no Authorization header", {}],
    ["a wrong token", { authorization: "Bearer test-admin-token-0123456780" }],
    ["the token without its last character", { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ["the token with an extra character", { authorization: `Bearer ${TOKEN}x` }],
    ["the token without the Bearer scheme", { authorization: TOKEN }],
    ["the token as Basic credentials", { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString("base64")}` }],
    ["an empty Bearer", { authorization: "Bearer " }],
    ["the token twice", { authorization: `Bearer ${TOKEN} ${TOKEN}` }],
  ];
  const routes: [string, string, unknown][] = [
    ["GET", "/api/accounts/100080", undefined],
    ["GET", "/api/accounts/999999", undefined],
    ["PUT", "/api/accounts/100080", { ...NEW_ACCOUNT, login: null, ownerName: "Взломщик Вадим" }],
    ["PUT", "/api/accounts/700009", NEW_ACCOUNT],
    ["GET", "/api/no-such-route", undefined],
    ["DELETE", "/api/accounts/100080", undefined],
  ];

  it.each(wrong)("when a request carries %s, then every /api route answers 401 and changes nothing", async (_what, headers) => {
    for (const [method, path, body] of routes) {
      const { status, headers: answerHeaders, json } = await api(method, path, body, headers);
      expect({ method, path, status }).toEqual({ method, path, status: 401 });
      expect(answerHeaders.get("www-authenticate")).toMatch(/^Bearer realm=/);
      expect(json).toMatchObject({ error: "unauthorized" });
    }
    const owner = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100080" } });
    expect(owner.ownerName).toBe("Иванов Иван Иванович");
    expect(await hub.hub.db.subscriberAccount.count({ where: { number: "700009" } })).toBe(0);
  });

  it("when the right token is sent, then the same routes answer", async () => {
    expect((await api("GET", "/api/accounts/100080")).status).toBe(200);
    expect((await api("GET", "/api/no-such-route")).status).toBe(404);
  });
});
