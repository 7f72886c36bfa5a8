import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Command, InboundRequest, Outcome, OutcomeKind, PaymentView, ProtocolError } from "../../adapters/contract/index.ts";
import { qiwiBillAdapter, QiwiBillAnswerCode, type QiwiBillProfile } from "../../adapters/qiwi-bill/index.ts";
import { expectedSignature, signatureValid, valueAsTwoDecimals } from "../../adapters/qiwi-bill/verify.ts";

// The QIWI bill engine without the HTTP route: notifications as QIWI posts them (PROTOCOLS.md §8), the JSON body
// given as params and the signature header computed here at test time with the merchant's secret key.

const SECRET = "qiwi-merchant-secret-2026";
const NEXT_SECRET = "qiwi-merchant-secret-2027";
const HEADER = "x-api-signature-sha256";

const profile: QiwiBillProfile = {
  source: { channel: "qiwi-bill", protocol: "qiwi-bill", profile: "qiwi-bill" },
  minKopecks: 100n,
  maxKopecks: 1500000n,
  commissionBasisPoints: 0n,
  secrets: [SECRET],
  siteId: "alliance-42",
};

interface BillFields {
  siteId: string;
  billId: string;
  value: string;
  currency: string;
  status: string;
  account?: string | undefined;
}

const paid: BillFields = { siteId: "alliance-42", billId: "payhub-2026-000123", value: "500.00", currency: "RUB", status: "PAID", account: "100080" };

/** The JSON body QIWI posts for a bill. */
function body(fields: BillFields): Record<string, unknown> {
  return {
    bill: {
      siteId: fields.siteId,
      billId: fields.billId,
      amount: { value: fields.value, currency: fields.currency },
      status: { value: fields.status, changedDateTime: "2026-11-24T12:31:07+03:00" },
      customer: fields.account === undefined ? { phone: "79140000000" } : { account: fields.account, phone: "79140000000" },
      customFields: {},
      comment: "Пополнение лицевого счёта",
      creationDateTime: "2026-11-24T12:30:00+03:00",
      expirationDateTime: "2026-11-25T12:30:00+03:00",
    },
    version: "1",
  };
}

/** The signature computed independently of the adapter; `value` is given already formatted to two decimals. */
function hmac(fields: BillFields, secret: string, formattedValue = fields.value): string {
  const text = `${fields.currency}|${formattedValue}|${fields.billId}|${fields.siteId}|${fields.status}`;
  return createHmac("sha256", secret).update(text, "utf8").digest("hex");
}

function request(params: Record<string, unknown>, signature: string | string[] | undefined): InboundRequest {
  const headers: InboundRequest["headers"] = { "content-type": "application/json" };
  if (signature !== undefined) headers[HEADER] = signature;
  return { method: "POST", params, headers, ip: "79.142.16.1" };
}

function signedRequest(fields: BillFields, secret = SECRET): InboundRequest {
  return request(body(fields), hmac(fields, secret));
}

function parse(inbound: InboundRequest, with_: Partial<QiwiBillProfile> = {}) {
  return qiwiBillAdapter.parse(inbound, { ...profile, ...with_ });
}

function commandOf(inbound: InboundRequest, with_: Partial<QiwiBillProfile> = {}): Command {
  const parsed = parse(inbound, with_);
  if (!parsed.ok) throw new Error(`expected a command, got ${parsed.error.kind}: ${parsed.error.message}`);
  return parsed.command;
}

function refusal(inbound: InboundRequest, with_: Partial<QiwiBillProfile> = {}): ProtocolError {
  const parsed = parse(inbound, with_);
  if (parsed.ok) throw new Error(`expected a refusal, got ${parsed.command.kind}`);
  return parsed.error;
}

/** Changes the last character of a value to another of its kind: one flipped byte of a signed field. */
function flipped(value: string): string {
  const last = value.at(-1) ?? "";
  const replacement = /[0-9]/.test(last) ? String((Number(last) + 1) % 10) : last === "Z" ? "Y" : "Z";
  return value.slice(0, -1) + replacement;
}

describe("parsing QIWI bill notifications", () => {
  it("when a PAID bill is signed with our secret, then it becomes a pay keyed by billId, for the bill payhub issued under that billId", () => {
    const inbound = signedRequest(paid);
    expect(parse(inbound)).toEqual({
      ok: true,
      command: {
        kind: "pay",
        externalId: "payhub-2026-000123",
        accountNumber: "100080",
        amountKopecks: 50000n,
        commissionKopecks: 0n,
        payerAmountKopecks: undefined,
        providerTime: "2026-11-24T12:31:07+03:00",
        request: body(paid),
        // The account is payhub's record of the billId; bill.customer.account is unsigned and only describes.
        intentReference: "payhub-2026-000123",
        // After the money moved: an account payhub cannot credit goes to suspense, not back.
        unrefusable: true,
      },
    });
  });

  it("when the value comes without decimals, then it is signed as two decimals (1 → 1.00), as QIWI's SDKs do", () => {
    const fields = { ...paid, value: "1" };
    expect(commandOf(request(body(fields), hmac(fields, SECRET, "1.00")))).toMatchObject({ kind: "pay", amountKopecks: 100n });
    const half = { ...paid, value: "10.5" };
    expect(commandOf(request(body(half), hmac(half, SECRET, "10.50")))).toMatchObject({ kind: "pay", amountKopecks: 1050n });
    expect(refusal(request(body(fields), hmac(fields, SECRET, "1")))).toMatchObject({ kind: "badSignature" });
  });

  it("when the header arrives with another capitalisation or the digest in upper-case hex, then it still verifies", () => {
    expect(commandOf({ ...signedRequest(paid), headers: { "X-Api-Signature-SHA256": hmac(paid, SECRET) } })).toMatchObject({ kind: "pay" });
    expect(commandOf(request(body(paid), hmac(paid, SECRET).toUpperCase()))).toMatchObject({ kind: "pay" });
  });

  it("when the secret is being rotated, then a notification signed with either configured secret is accepted", () => {
    const rotating = { secrets: [SECRET, NEXT_SECRET] };
    expect(commandOf(signedRequest(paid, NEXT_SECRET), rotating)).toMatchObject({ kind: "pay" });
    expect(commandOf(signedRequest(paid, SECRET), rotating)).toMatchObject({ kind: "pay" });
    expect(refusal(signedRequest(paid, NEXT_SECRET))).toMatchObject({ kind: "badSignature" });
  });

  it.each(["currency", "value", "billId", "siteId", "status"] as const)("when %s is changed after signing, then the notification is refused as badly signed", (field) => {
    const signature = hmac(paid, SECRET);
    expect(refusal(request(body({ ...paid, [field]: flipped(paid[field]) }), signature))).toMatchObject({
      kind: "badSignature",
      field: "X-Api-Signature-SHA256",
    });
  });

  it.each([
    ["signed with a wrong secret", hmac(paid, "not-our-secret")],
    ["not signed at all", undefined],
    ["signed with an empty header", ""],
    ["signed with a flipped byte of the digest", flipped(hmac(paid, SECRET))],
    ["signed with a truncated digest", hmac(paid, SECRET).slice(0, 63)],
    ["signed twice", [hmac(paid, SECRET), hmac(paid, SECRET)]],
    ["signed without a secret", hmac(paid, "")],
  ])("when a notification is %s, then it is refused as badSignature", (_what, signature) => {
    expect(refusal(request(body(paid), signature))).toMatchObject({ kind: "badSignature", field: "X-Api-Signature-SHA256" });
  });

  it("when a configured secret is empty, then a signature made with an empty secret does not verify", () => {
    expect(refusal(signedRequest(paid, ""), { secrets: ["", SECRET] })).toMatchObject({ kind: "badSignature" });
    expect(refusal(signedRequest(paid, ""), { secrets: [] })).toMatchObject({ kind: "badSignature" });
  });

  it("when a correctly signed notification names another siteId, then it is refused as forbidden", () => {
    expect(refusal(signedRequest({ ...paid, siteId: "someone-else" }))).toMatchObject({ kind: "forbidden", field: "bill.siteId" });
  });

  it.each(["WAITING", "REJECTED", "EXPIRED", "PARTIAL", "SOMETHING_NEW"])("when a bill's status is %s, then it is acknowledged with that status as the reason", (status) => {
    expect(commandOf(signedRequest({ ...paid, status }))).toEqual({
      kind: "acknowledge",
      externalId: "payhub-2026-000123",
      accountNumber: "100080",
      reason: expect.stringContaining(status),
    });
  });

  it("when a signed PAID bill carries no customer account, or one that is no account number, then it is still a pay for its billId: the money moved, and the core matches it with what payhub issued (or suspense)", () => {
    expect(commandOf(signedRequest({ ...paid, account: undefined }))).toMatchObject({ kind: "pay", accountNumber: "", intentReference: paid.billId, unrefusable: true });
    const noCustomer = body(paid);
    delete (noCustomer.bill as Record<string, unknown>).customer;
    expect(commandOf(request(noCustomer, hmac(paid, SECRET)))).toMatchObject({ kind: "pay", accountNumber: "", intentReference: paid.billId });
    expect(commandOf(signedRequest({ ...paid, account: "a@b.ru" }))).toMatchObject({ kind: "pay", accountNumber: "a@b.ru", intentReference: paid.billId });
  });

  it.each([
    ["the currency is not RUB", { currency: "USD" }, "malformed", "bill.amount.currency"],
    ["the billId is empty", { billId: "" }, "malformed", "bill.billId"],
  ])("when a correctly signed PAID bill's %s, then it is refused as %s naming %s", (_what, change, kind, field) => {
    expect(refusal(signedRequest({ ...paid, ...change }))).toMatchObject({ kind, field });
  });

  it.each([
    ["has an exponent", "5e2"],
    ["has three decimals", "500.001"],
    ["is zero", "0"],
    ["is negative", "-500.00"],
  ])("when the value %s, then the notification is refused as malformed (it cannot even be signed)", (_what, value) => {
    expect(refusal(signedRequest({ ...paid, value }))).toMatchObject({ kind: "malformed", field: "bill.amount.value" });
  });

  it.each([
    ["the bill is missing", {}, "bill"],
    ["the billId is a number", { bill: { ...(body(paid).bill as object), billId: 123 } }, "bill.billId"],
    ["the amount is missing", { bill: { ...(body(paid).bill as object), amount: undefined } }, "bill.amount"],
    ["the value is a JSON number", { bill: { ...(body(paid).bill as object), amount: { value: 500, currency: "RUB" } } }, "bill.amount.value"],
    ["the status is missing", { bill: { ...(body(paid).bill as object), status: undefined } }, "bill.status"],
  ])("when %s, then the notification is refused as malformed naming it", (_what, params, field) => {
    expect(refusal(request(params, hmac(paid, SECRET)))).toMatchObject({ kind: "malformed", field });
  });

  it("when a field is refused, then the message says whether it is missing or of the wrong type", () => {
    const bill = body(paid).bill as object;
    expect(refusal(request({}, undefined)).message).toBe("bill is missing");
    expect(refusal(request({ bill: "x" }, undefined)).message).toBe("bill must be an object");
    expect(refusal(request({ bill: { ...bill, billId: 123 } }, undefined)).message).toBe("bill.billId must be a string");
    expect(refusal(request({ bill: { ...bill, status: undefined } }, undefined)).message).toBe("bill.status is missing");
  });
});

const payment: PaymentView = { id: 2016n, externalId: "payhub-2026-000123", accountNumber: "100080", amountKopecks: 50000n, receivedAt: new Date() };
const payCommand = commandOf(signedRequest(paid));

// Typed by OutcomeKind: a new outcome kind without a row here fails the typecheck.
const OUTCOMES: Record<OutcomeKind, { outcome: Outcome; status: number; error: string }> = {
  checked: {
    outcome: { kind: "checked", account: { number: "100080", maskedOwnerName: "И***в И. И.", address: "", balanceKopecks: 19819n, monthlyFeeKopecks: 89000n } },
    status: 200,
    error: "0",
  },
  acknowledged: { outcome: { kind: "acknowledged" }, status: 200, error: "0" },
  accepted: { outcome: { kind: "accepted", payment }, status: 200, error: "0" },
  duplicate: { outcome: { kind: "duplicate", payment }, status: 200, error: "0" },
  conflict: { outcome: { kind: "conflict", payment }, status: 409, error: "300" },
  // Kept for a pay not marked unrefusable: intake records this channel's notifications for an unknown, closed or
  // blocked account in suspense instead (accepted: 200, test/integration/suspense.test.ts).
  accountNotFound: { outcome: { kind: "accountNotFound" }, status: 422, error: "300" },
  accountBlocked: { outcome: { kind: "accountBlocked" }, status: 422, error: "300" },
  accountInactive: { outcome: { kind: "accountInactive" }, status: 422, error: "300" },
  amountTooSmall: { outcome: { kind: "amountTooSmall", minKopecks: 100n }, status: 422, error: "300" },
  amountTooLarge: { outcome: { kind: "amountTooLarge", maxKopecks: 1500000n }, status: 422, error: "300" },
  // Two-phase outcomes never arise from QIWI bill notifications; if one did, the answer must not be a success.
  opened: { outcome: { kind: "opened", payment, repeat: false }, status: 200, error: "300" },
  confirmed: { outcome: { kind: "confirmed", payment, repeat: false }, status: 200, error: "300" },
  closed: { outcome: { kind: "closed", payment, repeat: false }, status: 200, error: "300" },
  paymentNotFound: { outcome: { kind: "paymentNotFound" }, status: 200, error: "300" },
  reversed: { outcome: { kind: "reversed", payment, amountKopecks: 100n, repeat: false }, status: 200, error: "300" },
  operationRefused: { outcome: { kind: "operationRefused", payment, reason: "closed" }, status: 200, error: "300" },
  temporaryFailure: { outcome: { kind: "temporaryFailure" }, status: 503, error: "13" },
};

describe("answering QIWI", () => {
  it.each(Object.entries(OUTCOMES))("when the outcome is %s, then the answer is JSON with its documented HTTP status and error", (_kind, row) => {
    const reply = qiwiBillAdapter.reply(payCommand, row.outcome, signedRequest(paid), profile);
    expect(reply.status).toBe(row.status);
    expect(reply.contentType).toBe("application/json; charset=utf-8");
    expect(JSON.parse(reply.body)).toMatchObject({ error: row.error });
  });

  it("when a payment is accepted, then the answer is exactly {\"error\":\"0\"}", () => {
    expect(qiwiBillAdapter.reply(payCommand, { kind: "accepted", payment }, signedRequest(paid), profile).body).toBe('{"error":"0"}');
    expect(qiwiBillAdapter.reply(payCommand, { kind: "duplicate", payment }, signedRequest(paid), profile).body).toBe('{"error":"0"}');
  });

  it("when the sum limits refuse a payment, then the description names the limit in rubles", () => {
    expect(JSON.parse(qiwiBillAdapter.reply(payCommand, OUTCOMES.amountTooSmall.outcome, signedRequest(paid), profile).body).description).toContain("1.00");
    expect(JSON.parse(qiwiBillAdapter.reply(payCommand, OUTCOMES.amountTooLarge.outcome, signedRequest(paid), profile).body).description).toContain("15000.00");
  });

  it.each([
    ["a wrong secret", request(body(paid), hmac(paid, "not-our-secret"))],
    ["no signature", request(body(paid), undefined)],
    ["a flipped value", request(body({ ...paid, value: "500.01" }), hmac(paid, SECRET))],
  ])("when a notification comes with %s, then the answer is HTTP 403 with QIWI's signature error", (_what, inbound) => {
    const error = refusal(inbound);
    expect(qiwiBillAdapter.replyError(error, inbound)).toEqual({
      status: 403,
      contentType: "application/json; charset=utf-8",
      body: JSON.stringify({ error: QiwiBillAnswerCode.badSignature, description: error.message }),
    });
  });

  it.each([
    ["malformed", 400, "5"],
    ["badAccountFormat", 400, "5"],
    ["unknownCommand", 400, "5"],
    ["badSignature", 403, "151"],
    ["forbidden", 403, "150"],
    ["unauthorized", 401, "150"],
    ["notFound", 404, "300"],
  ] as const)("when a notification is refused as %s, then the answer is HTTP %d with error %s", (kind, status, code) => {
    const reply = qiwiBillAdapter.replyError({ kind, message: "why" }, undefined);
    expect(reply.status).toBe(status);
    expect(JSON.parse(reply.body)).toEqual({ error: code, description: "why" });
  });
});

// Public signature vectors: test/fixtures/protocol-vectors.json is a copy of shared/protocols/vectors.json
// (PROTOCOLS.md "Public signature vectors"), kept in the project so that a fresh clone needs nothing beside it.
interface Vector {
  channel: string;
  fields: { siteId: string; billId: string; amount: { value: string; currency: string }; status: string };
  secret: string;
  expected: Record<string, string>;
  source: string;
}
const vectors = (JSON.parse(readFileSync(new URL("../fixtures/protocol-vectors.json", import.meta.url), "utf8")) as Vector[]).filter(
  (vector) => vector.channel === "qiwi-bill",
);

describe("QIWI bill public vectors", () => {
  it("when the fixture is read, then it holds the SDK's signature vector", () => {
    expect(vectors).toHaveLength(1);
  });

  it.each(vectors.map((vector) => [vector.source, vector] as const))("when the vector from %s is computed, then it reproduces", (_source, vector) => {
    const { siteId, billId, amount, status } = vector.fields;
    const fields = { currency: amount.currency, value: amount.value, billId, siteId, status };
    const expected = vector.expected["X-Api-Signature-SHA256"]!;
    expect(valueAsTwoDecimals(amount.value)).toBe("1.00");
    expect(expectedSignature(fields, vector.secret)).toBe(expected);
    expect(signatureValid(fields, expected, [vector.secret])).toBe(true);
    expect(signatureValid(fields, expected.toUpperCase(), ["wrong", vector.secret])).toBe(true);
    expect(signatureValid(fields, expected, ["wrong"])).toBe(false);
  });

  it("when the vector's notification arrives through the adapter, then it is accepted as a pay", () => {
    const vector = vectors[0]!;
    const { siteId, billId, amount, status } = vector.fields;
    const params = { bill: { siteId, billId, amount, status: { value: status }, customer: { account: "100080" } } };
    const inbound = request(params, vector.expected["X-Api-Signature-SHA256"]);
    expect(qiwiBillAdapter.parse(inbound, { ...profile, siteId, secrets: [vector.secret] })).toMatchObject({
      ok: true,
      command: { kind: "pay", externalId: "test_bill", accountNumber: "100080", amountKopecks: 100n, providerTime: undefined },
    });
  });
});
