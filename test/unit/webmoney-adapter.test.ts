import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Command, InboundRequest, Outcome, OutcomeKind, PaymentView, ProtocolError } from "../../adapters/contract/index.ts";
import { webmoneyAdapter, type WebmoneyProfile } from "../../adapters/webmoney/index.ts";
import { expectedLmiHash, notificationSignatureValid, type WebmoneySignedFields } from "../../adapters/webmoney/verify.ts";

// The WebMoney engine without the HTTP route: pre-requests and notifications as WebMoney sends them (PROTOCOLS.md §6),
// signed here at test time with the merchant's secret key.

const SECRET = "wm-secret-key-2026";
const NEXT_SECRET = "wm-secret-key-2027";

const profile: WebmoneyProfile = {
  source: { channel: "webmoney", protocol: "webmoney", profile: "webmoney" },
  minKopecks: 100n,
  maxKopecks: 1500000n,
  commissionBasisPoints: 0n,
  secrets: [SECRET],
  purses: ["R123456789012", "P987654321098"],
  testPaymentsCredit: false,
};

function request(params: Record<string, unknown>): InboundRequest {
  return { method: "POST", params, headers: { "content-type": "application/x-www-form-urlencoded" }, ip: "212.118.48.1" };
}

const prerequest = {
  LMI_PREREQUEST: "1",
  LMI_PAYEE_PURSE: "R123456789012",
  LMI_PAYMENT_AMOUNT: "500.00",
  LMI_PAYMENT_NO: "70001",
  LMI_MODE: "0",
  LMI_PAYER_WM: "404521188333",
  LMI_PAYER_PURSE: "R366393600555",
  ACCOUNT: "100080",
};

/** A notification's fields before signing: what WebMoney posts after the payment went through. */
const unsigned = {
  LMI_PAYEE_PURSE: "R123456789012",
  LMI_PAYMENT_AMOUNT: "500.00",
  LMI_PAYMENT_NO: "70001",
  LMI_MODE: "0",
  LMI_SYS_INVS_NO: "897123",
  LMI_SYS_TRANS_NO: "892456",
  LMI_SYS_TRANS_DATE: "20261124 12:31:07",
  LMI_PAYER_PURSE: "R366393600555",
  LMI_PAYER_WM: "404521188333",
  ACCOUNT: "100080",
};

/** The fields LMI_HASH covers, in WebMoney's order; LMI_HASH2 adds LMI_HOLD after the amount. */
const SIGNED_FIELDS = [
  "LMI_PAYEE_PURSE",
  "LMI_PAYMENT_AMOUNT",
  "LMI_PAYMENT_NO",
  "LMI_MODE",
  "LMI_SYS_INVS_NO",
  "LMI_SYS_TRANS_NO",
  "LMI_SYS_TRANS_DATE",
  "LMI_PAYER_PURSE",
  "LMI_PAYER_WM",
] as const;

type Fields = Record<string, string>;

/** LMI_HASH computed independently of the adapter: the ten values concatenated, the secret after the date. */
function lmiHash(fields: Fields, secret: string, algorithm: "md5" | "sha256"): string {
  const values = SIGNED_FIELDS.map((name) => fields[name] ?? "");
  values.splice(7, 0, secret);
  return createHash(algorithm).update(values.join(""), "utf8").digest("hex").toUpperCase();
}

/** LMI_HASH2: the same values joined with ";", LMI_HOLD after the amount only when present. */
function lmiHash2(fields: Fields, secret: string): string {
  const values = SIGNED_FIELDS.map((name) => fields[name] ?? "");
  values.splice(7, 0, secret);
  if (fields.LMI_HOLD !== undefined) values.splice(2, 0, fields.LMI_HOLD);
  return createHash("sha256").update(values.join(";"), "utf8").digest("hex").toUpperCase();
}

function signed(fields: Fields, options: { secret?: string; algorithm?: "md5" | "sha256"; hash2?: boolean } = {}): Fields {
  const secret = options.secret ?? SECRET;
  const result: Fields = { ...fields, LMI_HASH: lmiHash(fields, secret, options.algorithm ?? "sha256") };
  if (options.hash2) result.LMI_HASH2 = lmiHash2(fields, secret);
  return result;
}

function parse(params: Record<string, unknown>, with_: Partial<WebmoneyProfile> = {}) {
  return webmoneyAdapter.parse(request(params), { ...profile, ...with_ });
}

function commandOf(params: Record<string, unknown>, with_: Partial<WebmoneyProfile> = {}): Command {
  const parsed = parse(params, with_);
  if (!parsed.ok) throw new Error(`expected a command, got ${parsed.error.kind}: ${parsed.error.message}`);
  return parsed.command;
}

function refusal(params: Record<string, unknown>, with_: Partial<WebmoneyProfile> = {}): ProtocolError {
  const parsed = parse(params, with_);
  if (parsed.ok) throw new Error(`expected a refusal, got ${parsed.command.kind}`);
  return parsed.error;
}

/** Changes the last character of a value to another of its kind: one flipped byte of a signed field. */
function flipped(value: string): string {
  const last = value.at(-1) ?? "";
  const replacement = /[0-9]/.test(last) ? String((Number(last) + 1) % 10) : last === "Z" ? "Y" : "Z";
  return value.slice(0, -1) + replacement;
}

describe("parsing WebMoney pre-requests", () => {
  it("when a pre-request names one of our purses, then it becomes a check of ACCOUNT for LMI_PAYMENT_AMOUNT", () => {
    expect(parse(prerequest)).toEqual({
      ok: true,
      command: { kind: "check", externalId: "70001", accountNumber: "100080", amountKopecks: 50000n, intentReference: "70001" },
    });
  });

  it("when a pre-request names another purse, then it is refused before anything else is read", () => {
    expect(refusal({ ...prerequest, LMI_PAYEE_PURSE: "R000000000000" })).toMatchObject({ kind: "forbidden", field: "LMI_PAYEE_PURSE" });
    expect(refusal({ ...prerequest, LMI_PAYEE_PURSE: "R000000000000", ACCOUNT: undefined, LMI_PAYMENT_AMOUNT: "1e3" })).toMatchObject({
      kind: "forbidden",
      field: "LMI_PAYEE_PURSE",
    });
  });

  it("when a pre-request is in test mode, then it is checked like a real one (the notification is what is not credited)", () => {
    expect(commandOf({ ...prerequest, LMI_MODE: "1" })).toMatchObject({ kind: "check", accountNumber: "100080" });
  });

  it("when a pre-request carries LMI_PAYMENT_NO, then the check confirms that invoice of payhub's (nothing else is approved)", () => {
    expect(commandOf(prerequest)).toMatchObject({ kind: "check", externalId: prerequest.LMI_PAYMENT_NO, intentReference: prerequest.LMI_PAYMENT_NO });
  });

  it.each([
    ["no LMI_PAYMENT_NO", undefined],
    ["an LMI_PAYMENT_NO that is not a number payhub issues", "order-7"],
  ])("when a pre-request carries %s, then it is refused: payhub's form always carries its own invoice number", (_what, paymentNo) => {
    expect(refusal({ ...prerequest, LMI_PAYMENT_NO: paymentNo })).toMatchObject({ kind: "malformed", field: "LMI_PAYMENT_NO" });
  });

  it.each([
    ["ACCOUNT is missing", { ...prerequest, ACCOUNT: undefined }, "malformed", "ACCOUNT"],
    ["ACCOUNT is repeated", { ...prerequest, ACCOUNT: ["100080", "100081"] }, "malformed", "ACCOUNT"],
    ["ACCOUNT has a letter", { ...prerequest, ACCOUNT: "10008O" }, "badAccountFormat", "ACCOUNT"],
    ["ACCOUNT is 13 digits", { ...prerequest, ACCOUNT: "1".repeat(13) }, "badAccountFormat", "ACCOUNT"],
    ["the amount is missing", { ...prerequest, LMI_PAYMENT_AMOUNT: undefined }, "malformed", "LMI_PAYMENT_AMOUNT"],
    ["the amount has an exponent", { ...prerequest, LMI_PAYMENT_AMOUNT: "5e2" }, "malformed", "LMI_PAYMENT_AMOUNT"],
    ["the amount uses a comma", { ...prerequest, LMI_PAYMENT_AMOUNT: "500,00" }, "malformed", "LMI_PAYMENT_AMOUNT"],
    ["the amount has three decimals", { ...prerequest, LMI_PAYMENT_AMOUNT: "500.001" }, "malformed", "LMI_PAYMENT_AMOUNT"],
    ["the purse is missing", { ...prerequest, LMI_PAYEE_PURSE: undefined }, "malformed", "LMI_PAYEE_PURSE"],
    ["LMI_PREREQUEST is neither 1 nor absent", { ...prerequest, LMI_PREREQUEST: "2" }, "malformed", "LMI_PREREQUEST"],
  ])("when %s, then the pre-request is refused as %s naming %s", (_what, params, kind, field) => {
    expect(refusal(params)).toMatchObject({ kind, field });
  });
});

describe("parsing WebMoney payment notifications", () => {
  it("when a notification is signed with SHA-256, then it becomes a pay keyed by LMI_SYS_TRANS_NO", () => {
    const params: Fields = { ...signed(unsigned), LMI_PAYMENT_DESC: "Пополнение счёта 100080", LMI_PAYMER_EMAIL: "payer@example.ru" };
    const { LMI_HASH: _hash, ...stored } = params;
    expect(parse(params)).toEqual({
      ok: true,
      command: {
        kind: "pay",
        externalId: "892456",
        accountNumber: "100080",
        amountKopecks: 50000n,
        commissionKopecks: 0n,
        payerAmountKopecks: undefined,
        providerTime: "20261124 12:31:07",
        request: stored,
        intentReference: params.LMI_PAYMENT_NO,
        // After the money moved: an account payhub cannot credit goes to suspense, not back.
        unrefusable: true,
      },
    });
  });

  it("when a notification is signed with MD5, then it is accepted the same way", () => {
    expect(commandOf(signed(unsigned, { algorithm: "md5" }))).toMatchObject({ kind: "pay", externalId: "892456", amountKopecks: 50000n });
  });

  it("when LMI_HASH2 is sent too, with or without LMI_HOLD, then both hashes are verified and the payment accepted", () => {
    expect(commandOf(signed(unsigned, { hash2: true }))).toMatchObject({ kind: "pay" });
    expect(commandOf(signed({ ...unsigned, LMI_HOLD: "7" }, { hash2: true }))).toMatchObject({ kind: "pay" });
  });

  it("when the stored request is built, then the hashes and a secret key WebMoney may send are left out", () => {
    const command = commandOf({ ...signed(unsigned, { hash2: true }), LMI_SECRET_KEY: SECRET });
    expect(command.kind === "pay" && Object.keys(command.request)).not.toEqual(expect.arrayContaining(["LMI_HASH"]));
    expect(command.kind === "pay" && command.request).not.toHaveProperty("LMI_HASH2");
    expect(command.kind === "pay" && command.request).not.toHaveProperty("LMI_SECRET_KEY");
    expect(command.kind === "pay" && JSON.stringify(command.request)).not.toContain(SECRET);
  });

  it("when the hash comes in lower-case hex, then it verifies like WebMoney's upper-case", () => {
    const params = signed(unsigned, { hash2: true });
    expect(commandOf({ ...params, LMI_HASH: params.LMI_HASH!.toLowerCase(), LMI_HASH2: params.LMI_HASH2!.toLowerCase() })).toMatchObject({ kind: "pay" });
    const md5 = signed(unsigned, { algorithm: "md5" });
    expect(commandOf({ ...md5, LMI_HASH: md5.LMI_HASH!.toLowerCase() })).toMatchObject({ kind: "pay" });
  });

  it("when the secret is being rotated, then a notification signed with either configured secret is accepted", () => {
    const rotating = { secrets: [SECRET, NEXT_SECRET] };
    expect(commandOf(signed(unsigned, { secret: NEXT_SECRET, hash2: true }), rotating)).toMatchObject({ kind: "pay" });
    expect(commandOf(signed(unsigned, { secret: SECRET, hash2: true }), rotating)).toMatchObject({ kind: "pay" });
    expect(refusal(signed(unsigned, { secret: NEXT_SECRET }))).toMatchObject({ kind: "badSignature", field: "LMI_HASH" });
  });

  it.each(SIGNED_FIELDS)("when %s is changed after signing, then the notification is refused as badly signed", (field) => {
    const params = signed(unsigned, { hash2: true });
    expect(refusal({ ...params, [field]: flipped(params[field]!) })).toMatchObject({ kind: "badSignature", field: "LMI_HASH" });
    const md5 = signed(unsigned, { algorithm: "md5" });
    expect(refusal({ ...md5, [field]: flipped(md5[field]!) })).toMatchObject({ kind: "badSignature", field: "LMI_HASH" });
  });

  it("when LMI_HOLD (covered by LMI_HASH2 only) is changed or added after signing, then LMI_HASH2 refuses it", () => {
    const held = signed({ ...unsigned, LMI_HOLD: "7" }, { hash2: true });
    expect(refusal({ ...held, LMI_HOLD: "8" })).toMatchObject({ kind: "badSignature", field: "LMI_HASH2" });
    expect(refusal({ ...signed(unsigned, { hash2: true }), LMI_HOLD: "7" })).toMatchObject({ kind: "badSignature", field: "LMI_HASH2" });
  });

  it("when a byte of either hash is flipped, then the notification is refused", () => {
    const params = signed(unsigned, { hash2: true });
    expect(refusal({ ...params, LMI_HASH: flipped(params.LMI_HASH!) })).toMatchObject({ kind: "badSignature", field: "LMI_HASH" });
    expect(refusal({ ...params, LMI_HASH2: flipped(params.LMI_HASH2!) })).toMatchObject({ kind: "badSignature", field: "LMI_HASH2" });
  });

  it.each([
    ["signed with a wrong secret", signed(unsigned, { secret: "not-our-secret" }), "LMI_HASH"],
    ["not signed at all", unsigned, "LMI_HASH"],
    ["signed with an empty LMI_HASH", { ...unsigned, LMI_HASH: "" }, "LMI_HASH"],
    ["signed with a hash of neither MD5 nor SHA-256 length", { ...unsigned, LMI_HASH: "ABCDEF" }, "LMI_HASH"],
    ["signed with a SHA-1 of the right fields", { ...unsigned, LMI_HASH: "A".repeat(40) }, "LMI_HASH"],
  ])("when a notification is %s, then it is refused as badSignature naming %s", (_what, params, field) => {
    expect(refusal(params)).toMatchObject({ kind: "badSignature", field });
  });

  it("when LMI_HASH and LMI_HASH2 verify only under two different configured secrets, then the notification is refused", () => {
    const mixed = { ...signed(unsigned, { secret: SECRET }), LMI_HASH2: lmiHash2(unsigned, NEXT_SECRET) };
    expect(refusal(mixed, { secrets: [SECRET, NEXT_SECRET] })).toMatchObject({ kind: "badSignature", field: "LMI_HASH2" });
  });

  it("when a configured secret is empty, then a hash made with an empty secret does not verify", () => {
    expect(refusal(signed(unsigned, { secret: "" }), { secrets: ["", SECRET] })).toMatchObject({ kind: "badSignature" });
    expect(refusal(signed(unsigned, { secret: "" }), { secrets: [] })).toMatchObject({ kind: "badSignature" });
  });

  it("when a correctly signed notification names another purse, then it is refused as forbidden", () => {
    expect(refusal(signed({ ...unsigned, LMI_PAYEE_PURSE: "R000000000000" }))).toMatchObject({ kind: "forbidden", field: "LMI_PAYEE_PURSE" });
  });

  it("when a test payment (LMI_MODE=1) arrives and test payments are not credited, then it is acknowledged with a reason", () => {
    expect(parse(signed({ ...unsigned, LMI_MODE: "1" }))).toEqual({
      ok: true,
      command: { kind: "acknowledge", externalId: "892456", accountNumber: "100080", reason: expect.stringContaining("LMI_MODE=1") },
    });
  });

  it("when a signed notification's ACCOUNT (payhub's own form field, not in LMI_HASH) is not even an account number, then it is still a pay for payhub's invoice LMI_PAYMENT_NO: the money moved, the account comes from the invoice", () => {
    expect(commandOf(signed({ ...unsigned, ACCOUNT: "10008O" }))).toMatchObject({ kind: "pay", accountNumber: "10008O", intentReference: unsigned.LMI_PAYMENT_NO, unrefusable: true });
  });

  it("when a test payment arrives where test payments are credited, then it is a pay", () => {
    expect(commandOf(signed({ ...unsigned, LMI_MODE: "1" }), { testPaymentsCredit: true })).toMatchObject({ kind: "pay", externalId: "892456" });
  });

  it.each([
    ["the amount is not a plain decimal", { LMI_PAYMENT_AMOUNT: "5e2" }, "malformed", "LMI_PAYMENT_AMOUNT"],
    ["the amount is zero", { LMI_PAYMENT_AMOUNT: "0.00" }, "malformed", "LMI_PAYMENT_AMOUNT"],
    ["LMI_MODE is neither 0 nor 1", { LMI_MODE: "2" }, "malformed", "LMI_MODE"],
    ["LMI_SYS_TRANS_NO is not digits", { LMI_SYS_TRANS_NO: "89x" }, "malformed", "LMI_SYS_TRANS_NO"],
  ])("when a correctly signed notification's %s, then it is refused as %s naming %s", (_what, change, kind, field) => {
    expect(refusal(signed({ ...unsigned, ...change }))).toMatchObject({ kind, field });
  });

  it.each([
    ["ACCOUNT is missing", { ACCOUNT: undefined }, "ACCOUNT"],
    ["LMI_SYS_TRANS_NO is missing", { LMI_SYS_TRANS_NO: undefined }, "LMI_SYS_TRANS_NO"],
    ["LMI_PAYMENT_AMOUNT is repeated", { LMI_PAYMENT_AMOUNT: ["500.00", "5.00"] }, "LMI_PAYMENT_AMOUNT"],
    ["LMI_HASH is repeated", { LMI_HASH: ["A", "B"] }, "LMI_HASH"],
  ])("when %s, then the notification is refused as malformed naming it", (_what, change, field) => {
    expect(refusal({ ...signed(unsigned), ...change })).toMatchObject({ kind: "malformed", field });
  });
});

const payment: PaymentView = { id: 2016n, externalId: "892456", accountNumber: "100080", amountKopecks: 50000n, receivedAt: new Date() };
const checkCommand = commandOf(prerequest);
const payCommand = commandOf(signed(unsigned));

// Typed by OutcomeKind: a new outcome kind without a row here fails the typecheck.
const OUTCOMES: Record<OutcomeKind, { outcome: Outcome; prerequest: string | RegExp; notificationStatus: number }> = {
  checked: {
    outcome: { kind: "checked", account: { number: "100080", maskedOwnerName: "И***в И. И.", address: "", balanceKopecks: 19819n, monthlyFeeKopecks: 89000n } },
    prerequest: "YES",
    notificationStatus: 200,
  },
  acknowledged: { outcome: { kind: "acknowledged" }, prerequest: "YES", notificationStatus: 200 },
  accepted: { outcome: { kind: "accepted", payment }, prerequest: "YES", notificationStatus: 200 },
  duplicate: { outcome: { kind: "duplicate", payment }, prerequest: "YES", notificationStatus: 200 },
  conflict: { outcome: { kind: "conflict", payment }, prerequest: /уже проведён/, notificationStatus: 409 },
  // The account refusals answer a pre-request or a pay not marked unrefusable; intake records this channel's
  // notifications for an unknown, closed or blocked account in suspense instead (accepted, test/integration/suspense.test.ts).
  accountNotFound: { outcome: { kind: "accountNotFound" }, prerequest: "Лицевой счёт 100080 не найден. Проверьте номер договора.", notificationStatus: 422 },
  accountBlocked: { outcome: { kind: "accountBlocked" }, prerequest: /^Платежи на лицевой счёт 100080 запрещены/, notificationStatus: 422 },
  accountInactive: { outcome: { kind: "accountInactive" }, prerequest: /^Договор по лицевому счёту 100080 расторгнут/, notificationStatus: 422 },
  amountTooSmall: { outcome: { kind: "amountTooSmall", minKopecks: 100n }, prerequest: "Сумма меньше минимальной: 1.00 руб.", notificationStatus: 422 },
  amountTooLarge: { outcome: { kind: "amountTooLarge", maxKopecks: 1500000n }, prerequest: "Сумма больше максимальной: 15000.00 руб.", notificationStatus: 422 },
  // Two-phase outcomes never arise from WebMoney requests; if one did, the answer must not be a success.
  opened: { outcome: { kind: "opened", payment, repeat: false }, prerequest: /^Операция не поддерживается/, notificationStatus: 400 },
  confirmed: { outcome: { kind: "confirmed", payment, repeat: false }, prerequest: /^Операция не поддерживается/, notificationStatus: 400 },
  closed: { outcome: { kind: "closed", payment, repeat: false }, prerequest: /^Операция не поддерживается/, notificationStatus: 400 },
  paymentNotFound: { outcome: { kind: "paymentNotFound" }, prerequest: /^Операция не поддерживается/, notificationStatus: 400 },
  reversed: { outcome: { kind: "reversed", payment, amountKopecks: 100n, repeat: false }, prerequest: /^Операция не поддерживается/, notificationStatus: 400 },
  operationRefused: { outcome: { kind: "operationRefused", payment, reason: "closed" }, prerequest: /^Счёт на оплату не найден или изменён/, notificationStatus: 400 },
  temporaryFailure: { outcome: { kind: "temporaryFailure" }, prerequest: /^Временная ошибка/, notificationStatus: 503 },
};

describe("answering WebMoney", () => {
  it.each(Object.entries(OUTCOMES))("when a pre-request's outcome is %s, then the answer is HTTP 200 text: YES or the payer's reason", (_kind, row) => {
    const reply = webmoneyAdapter.reply(checkCommand, row.outcome, request(prerequest), profile);
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe("text/plain; charset=utf-8");
    if (typeof row.prerequest === "string") expect(reply.body).toBe(row.prerequest);
    else expect(reply.body).toMatch(row.prerequest);
  });

  it.each(Object.entries(OUTCOMES))("when a notification's outcome is %s, then the answer has its documented HTTP status", (_kind, row) => {
    const reply = webmoneyAdapter.reply(payCommand, row.outcome, request(signed(unsigned)), profile);
    expect(reply.status).toBe(row.notificationStatus);
    expect(reply.contentType).toBe("text/plain; charset=utf-8");
    expect(reply.body).not.toBe("YES");
    if (row.notificationStatus === 200 && row.outcome.kind !== "conflict") expect(reply.body).toBe("OK");
  });

  it("when a pre-request is refused before it became a command, then the payer reads why in Russian, over HTTP 200", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...prerequest, LMI_PAYEE_PURSE: "R000000000000" }, "Платёж на этот кошелёк не принимается."],
      [{ ...prerequest, ACCOUNT: "10008O" }, "Номер лицевого счёта указан неверно: он состоит только из цифр."],
      [{ ...prerequest, ACCOUNT: undefined }, "Не указан номер лицевого счёта."],
      [{ ...prerequest, LMI_PAYMENT_AMOUNT: "5e2" }, "Сумма платежа указана неверно."],
    ];
    for (const [params, text] of cases) {
      const reply = webmoneyAdapter.replyError(refusal(params), request(params));
      expect(reply).toEqual({ status: 200, contentType: "text/plain; charset=utf-8", body: text });
    }
  });

  it.each([
    ["a wrong secret", signed(unsigned, { secret: "not-our-secret" })],
    ["no hash", unsigned],
    ["a flipped amount", { ...signed(unsigned), LMI_PAYMENT_AMOUNT: "500.01" }],
    ["another purse", signed({ ...unsigned, LMI_PAYEE_PURSE: "R000000000000" })],
  ])("when a notification comes with %s, then the answer is HTTP 400 text naming the field", (_what, params) => {
    const error = refusal(params);
    const reply = webmoneyAdapter.replyError(error, request(params));
    expect(reply.status).toBe(400);
    expect(reply.contentType).toBe("text/plain; charset=utf-8");
    expect(reply.body).toBe(error.message);
    expect(reply.body).toContain(error.field!);
  });

  it.each([
    ["malformed", 400],
    ["badAccountFormat", 400],
    ["unknownCommand", 400],
    ["badSignature", 400],
    ["forbidden", 400],
    ["unauthorized", 401],
    ["notFound", 404],
  ] as const)("when a notification is refused as %s, then the answer is HTTP %d", (kind, status) => {
    expect(webmoneyAdapter.replyError({ kind, message: "why" }, request(signed(unsigned))).status).toBe(status);
    expect(webmoneyAdapter.replyError({ kind, message: "why" }, undefined).status).toBe(status);
    expect(webmoneyAdapter.replyError({ kind, message: "why" }, request(prerequest)).status).toBe(200);
  });
});

// Public signature vectors: test/fixtures/protocol-vectors.json is a copy of shared/protocols/vectors.json
// (PROTOCOLS.md "Public signature vectors"), kept in the project so that a fresh clone needs nothing beside it.
interface Vector {
  channel: string;
  hash?: string;
  fields: Record<string, string>;
  secret: string;
  expected: Record<string, string>;
}
const vectors = (JSON.parse(readFileSync(new URL("../fixtures/protocol-vectors.json", import.meta.url), "utf8")) as Vector[]).filter(
  (vector) => vector.channel === "webmoney",
);

describe("WebMoney public vectors", () => {
  it("when the fixture is read, then it holds the MD5 and the SHA-256 LMI_HASH vectors", () => {
    expect(vectors.map((vector) => vector.hash).sort()).toEqual(["md5", "sha256"]);
  });

  it.each(vectors.map((vector) => [vector.hash!, vector] as const))("when the %s LMI_HASH vector is computed, then it reproduces", (hash, vector) => {
    const fields = vector.fields as unknown as WebmoneySignedFields;
    expect(expectedLmiHash(fields, vector.secret, hash as "md5" | "sha256")).toBe(vector.expected.LMI_HASH);
    expect(notificationSignatureValid({ ...fields, LMI_HASH: vector.expected.LMI_HASH }, [vector.secret])).toEqual({ ok: true });
    expect(notificationSignatureValid({ ...fields, LMI_HASH: vector.expected.LMI_HASH!.toLowerCase() }, ["wrong", vector.secret])).toEqual({ ok: true });
    expect(notificationSignatureValid({ ...fields, LMI_HASH: vector.expected.LMI_HASH }, ["wrong"])).toMatchObject({ ok: false, field: "LMI_HASH" });
  });
});
