import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Command, InboundRequest, Outcome, OutcomeKind, PaymentView, ProtocolError } from "../../adapters/contract/index.ts";
import { yoomoneyAdapter, type YoomoneyProfile } from "../../adapters/yoomoney/index.ts";
import { expectedSha1Hash, sha1HashValid, type YoomoneySignedFields } from "../../adapters/yoomoney/verify.ts";

// The YooMoney engine without the HTTP route: wallet notifications as YooMoney sends them (PROTOCOLS.md §7), signed
// here at test time with the wallet's notification secret.

const SECRET = "ym-notification-secret-2026";
const NEXT_SECRET = "ym-notification-secret-2027";

const profile: YoomoneyProfile = {
  source: { channel: "yoomoney", protocol: "yoomoney", profile: "yoomoney" },
  minKopecks: 100n,
  maxKopecks: 1500000n,
  commissionBasisPoints: 0n,
  secrets: [SECRET],
};

function request(params: Record<string, unknown>): InboundRequest {
  return { method: "POST", params, headers: { "content-type": "application/x-www-form-urlencoded" }, ip: "185.71.76.1" };
}

/** A wallet transfer before signing: 500.00 arrived, 502.50 left the payer's wallet. */
const unsigned: Record<string, string> = {
  notification_type: "p2p-incoming",
  operation_id: "904035776918098009",
  amount: "500.00",
  withdraw_amount: "502.50",
  currency: "643",
  datetime: "2026-11-24T12:31:07Z",
  sender: "41001000040",
  codepro: "false",
  label: "100080",
  test_notification: "false",
  unaccepted: "false",
};

/** A card payment: no sender, still signed with its empty place. */
const card: Record<string, string> = { ...unsigned, notification_type: "card-incoming", operation_id: "904035776918098010", sender: "" };

/** The fields sha1_hash covers, in YooMoney's order, with the secret between codepro and label. */
const SIGNED_FIELDS = ["notification_type", "operation_id", "amount", "currency", "datetime", "sender", "codepro", "label"] as const;

/** sha1_hash computed independently of the adapter. */
function sha1Hash(fields: Record<string, string>, secret: string): string {
  const values = SIGNED_FIELDS.map((name) => fields[name] ?? "");
  values.splice(7, 0, secret);
  return createHash("sha1").update(values.join("&"), "utf8").digest("hex");
}

function signed(fields: Record<string, string>, secret = SECRET): Record<string, string> {
  return { ...fields, sha1_hash: sha1Hash(fields, secret) };
}

function parse(params: Record<string, unknown>, with_: Partial<YoomoneyProfile> = {}) {
  return yoomoneyAdapter.parse(request(params), { ...profile, ...with_ });
}

function commandOf(params: Record<string, unknown>, with_: Partial<YoomoneyProfile> = {}): Command {
  const parsed = parse(params, with_);
  if (!parsed.ok) throw new Error(`expected a command, got ${parsed.error.kind}: ${parsed.error.message}`);
  return parsed.command;
}

function refusal(params: Record<string, unknown>, with_: Partial<YoomoneyProfile> = {}): ProtocolError {
  const parsed = parse(params, with_);
  if (parsed.ok) throw new Error(`expected a refusal, got ${parsed.command.kind}`);
  return parsed.error;
}

/** Changes the last character of a value to another of its kind (or adds one to an empty value). */
function flipped(value: string): string {
  if (value === "") return "x";
  const last = value.at(-1)!;
  const replacement = /[0-9]/.test(last) ? String((Number(last) + 1) % 10) : last === "z" ? "y" : "z";
  return value.slice(0, -1) + replacement;
}

describe("parsing YooMoney notifications", () => {
  it("when a wallet transfer is signed with our secret, then it becomes a pay with YooMoney's fee as commission", () => {
    const params = signed(unsigned);
    const { sha1_hash: _hash, ...stored } = params;
    expect(parse(params)).toEqual({
      ok: true,
      command: {
        kind: "pay",
        externalId: "904035776918098009",
        accountNumber: "100080",
        amountKopecks: 50000n,
        commissionKopecks: 250n,
        payerAmountKopecks: 50250n,
        providerTime: "2026-11-24T12:31:07Z",
        request: stored,
        // After the money moved: an account payhub cannot credit goes to suspense, not back.
        unrefusable: true,
      },
    });
  });

  it("when a card payment comes with an empty sender, then its && place is signed and it is accepted", () => {
    expect(commandOf(signed(card))).toMatchObject({ kind: "pay", externalId: "904035776918098010", amountKopecks: 50000n });
    const { sender: _sender, ...withoutSender } = card;
    expect(commandOf(signed(withoutSender))).toMatchObject({ kind: "pay" });
  });

  it("when withdraw_amount is absent, then the commission is 0 and the payer's amount unknown", () => {
    const { withdraw_amount: _withdrawn, ...fields } = unsigned;
    expect(commandOf(signed(fields))).toMatchObject({ kind: "pay", commissionKopecks: 0n, payerAmountKopecks: undefined });
  });

  it("when withdraw_amount is below amount, then the commission is 0, never negative", () => {
    expect(commandOf(signed({ ...unsigned, withdraw_amount: "499.00" }))).toMatchObject({ kind: "pay", commissionKopecks: 0n, payerAmountKopecks: 49900n });
  });

  it("when the hash comes in upper-case hex, then it verifies like YooMoney's lower-case", () => {
    const params = signed(unsigned);
    expect(commandOf({ ...params, sha1_hash: params.sha1_hash!.toUpperCase() })).toMatchObject({ kind: "pay" });
  });

  it("when the secret is being rotated, then a notification signed with either configured secret is accepted", () => {
    const rotating = { secrets: [SECRET, NEXT_SECRET] };
    expect(commandOf(signed(unsigned, NEXT_SECRET), rotating)).toMatchObject({ kind: "pay" });
    expect(commandOf(signed(unsigned, SECRET), rotating)).toMatchObject({ kind: "pay" });
    expect(refusal(signed(unsigned, NEXT_SECRET))).toMatchObject({ kind: "badSignature", field: "sha1_hash" });
  });

  it.each(SIGNED_FIELDS)("when %s is changed after signing, then the notification is refused as badly signed", (field) => {
    const params = signed(unsigned);
    expect(refusal({ ...params, [field]: flipped(params[field]!) })).toMatchObject({ kind: "badSignature", field: "sha1_hash" });
    const cardParams = signed(card);
    expect(refusal({ ...cardParams, [field]: flipped(cardParams[field]!) })).toMatchObject({ kind: "badSignature", field: "sha1_hash" });
  });

  it.each([
    ["signed with a wrong secret", signed(unsigned, "not-our-secret")],
    ["not signed at all", unsigned],
    ["signed with an empty sha1_hash", { ...unsigned, sha1_hash: "" }],
    ["signed with a flipped byte of the hash", { ...signed(unsigned), sha1_hash: flipped(signed(unsigned).sha1_hash!) }],
    ["signed with a hash of the wrong length", { ...unsigned, sha1_hash: signed(unsigned).sha1_hash!.slice(0, 39) }],
    ["signed without the secret", { ...unsigned, sha1_hash: sha1Hash(unsigned, "") }],
  ])("when a notification is %s, then it is refused as badSignature", (_what, params) => {
    expect(refusal(params)).toMatchObject({ kind: "badSignature", field: "sha1_hash" });
  });

  it("when a configured secret is empty, then a hash made with an empty secret does not verify", () => {
    expect(refusal(signed(unsigned, ""), { secrets: ["", SECRET] })).toMatchObject({ kind: "badSignature" });
    expect(refusal(signed(unsigned, ""), { secrets: [] })).toMatchObject({ kind: "badSignature" });
  });

  it("when the notification is YooMoney's test notification, then it is acknowledged, not credited", () => {
    const params = signed({ ...unsigned, operation_id: "test-notification", label: "", test_notification: "true" });
    expect(parse(params)).toEqual({
      ok: true,
      command: { kind: "acknowledge", externalId: "test-notification", accountNumber: undefined, reason: "YooMoney test notification" },
    });
  });

  it("when the transfer is protected by a code (codepro=true), then it is acknowledged, not credited", () => {
    expect(commandOf(signed({ ...unsigned, codepro: "true" }))).toEqual({
      kind: "acknowledge",
      externalId: "904035776918098009",
      accountNumber: "100080",
      reason: expect.stringContaining("codepro=true"),
    });
  });

  it("when a real operation comes marked as a test (test_notification is not signed), then it is acknowledged, not credited, and flagged for an operator", () => {
    expect(commandOf(signed({ ...unsigned, test_notification: "true" }))).toEqual({
      kind: "acknowledge",
      externalId: "904035776918098009",
      accountNumber: "100080",
      reason: "YooMoney test notification",
      flag: expect.stringContaining("not signed"),
    });
  });

  it("when the transfer is unaccepted, then it opens a pending payment (held, not money) for the label's account", () => {
    expect(commandOf(signed({ ...unsigned, unaccepted: "true" }))).toMatchObject({
      kind: "open",
      externalId: "904035776918098009",
      accountNumber: "100080",
      amountKopecks: 50000n,
      unrefusable: true,
    });
  });

  it("when a notification claims to be a test but its hash is wrong, then it is refused, not acknowledged", () => {
    expect(refusal({ ...signed({ ...unsigned, test_notification: "true" }, "not-our-secret") })).toMatchObject({ kind: "badSignature" });
  });

  it.each([
    ["the currency is not 643", { currency: "840" }, "malformed", "currency"],
    ["the amount is not a plain decimal", { amount: "5e2" }, "malformed", "amount"],
    ["the amount has three decimals", { amount: "500.001" }, "malformed", "amount"],
    ["withdraw_amount is not a plain decimal", { withdraw_amount: "-1" }, "malformed", "withdraw_amount"],
    ["the label is empty", { label: "" }, "badAccountFormat", "label"],
    ["the label is not an account number", { label: "order-100080" }, "badAccountFormat", "label"],
    ["the notification type is unknown", { notification_type: "p2p-outgoing" }, "malformed", "notification_type"],
    ["codepro is neither true nor false", { codepro: "1" }, "malformed", "codepro"],
    ["unaccepted is neither true nor false", { unaccepted: "yes" }, "malformed", "unaccepted"],
    ["test_notification is neither true nor false", { test_notification: "TRUE" }, "malformed", "test_notification"],
  ])("when a correctly signed notification's %s, then it is refused as %s naming %s", (_what, change, kind, field) => {
    expect(refusal(signed({ ...unsigned, ...change }))).toMatchObject({ kind, field });
  });

  it.each([
    ["operation_id is missing", { operation_id: undefined }, "operation_id"],
    ["amount is repeated", { amount: ["500.00", "5.00"] }, "amount"],
    ["sha1_hash is repeated", { sha1_hash: ["a", "b"] }, "sha1_hash"],
    ["codepro is missing", { codepro: undefined }, "codepro"],
  ])("when %s, then the notification is refused as malformed naming it", (_what, change, field) => {
    expect(refusal({ ...signed(unsigned), ...change })).toMatchObject({ kind: "malformed", field });
  });
});

const payment: PaymentView = { id: 2016n, externalId: "904035776918098009", accountNumber: "100080", amountKopecks: 50000n, receivedAt: new Date() };
const payCommand = commandOf(signed(unsigned));

// Typed by OutcomeKind: a new outcome kind without a row here fails the typecheck.
const OUTCOMES: Record<OutcomeKind, { outcome: Outcome; status: number; body: string | RegExp }> = {
  checked: {
    outcome: { kind: "checked", account: { number: "100080", maskedOwnerName: "И***в И. И.", address: "", balanceKopecks: 19819n, monthlyFeeKopecks: 89000n } },
    status: 200,
    body: "OK",
  },
  acknowledged: { outcome: { kind: "acknowledged" }, status: 200, body: "OK" },
  accepted: { outcome: { kind: "accepted", payment }, status: 200, body: "OK" },
  duplicate: { outcome: { kind: "duplicate", payment }, status: 200, body: "OK" },
  conflict: { outcome: { kind: "conflict", payment }, status: 409, body: /flagged for an operator/ },
  // Kept for a pay not marked unrefusable: intake records this channel's notifications for an unknown, closed or
  // blocked account in suspense instead (accepted: 200, test/integration/suspense.test.ts).
  accountNotFound: { outcome: { kind: "accountNotFound" }, status: 422, body: /not found/ },
  accountBlocked: { outcome: { kind: "accountBlocked" }, status: 422, body: /forbidden/ },
  accountInactive: { outcome: { kind: "accountInactive" }, status: 422, body: /closed/ },
  amountTooSmall: { outcome: { kind: "amountTooSmall", minKopecks: 100n }, status: 422, body: "amount too small, minimum 1.00" },
  amountTooLarge: { outcome: { kind: "amountTooLarge", maxKopecks: 1500000n }, status: 422, body: "amount too large, maximum 15000.00" },
  // Two-phase outcomes never arise from YooMoney notifications; if one did, the answer must not be a success.
  // A held transfer recorded as pending, and its completion when YooMoney reports it accepted.
  opened: { outcome: { kind: "opened", payment, repeat: false }, status: 200, body: "OK" },
  confirmed: { outcome: { kind: "confirmed", payment, repeat: false }, status: 200, body: "OK" },
  closed: { outcome: { kind: "closed", payment, repeat: false }, status: 400, body: /not supported/ },
  paymentNotFound: { outcome: { kind: "paymentNotFound" }, status: 400, body: /not supported/ },
  reversed: { outcome: { kind: "reversed", payment, amountKopecks: 100n, repeat: false }, status: 400, body: /not supported/ },
  // A pending payment that closed cannot become money: refused (the core flags it for an operator).
  operationRefused: { outcome: { kind: "operationRefused", payment, reason: "closed" }, status: 409, body: /^refused: closed/ },
  temporaryFailure: { outcome: { kind: "temporaryFailure" }, status: 503, body: /repeat later/ },
};

describe("answering YooMoney", () => {
  it.each(Object.entries(OUTCOMES))("when the outcome is %s, then the answer has its documented HTTP status", (_kind, row) => {
    const reply = yoomoneyAdapter.reply(payCommand, row.outcome, request(signed(unsigned)), profile);
    expect(reply.status).toBe(row.status);
    expect(reply.contentType).toBe("text/plain; charset=utf-8");
    if (typeof row.body === "string") expect(reply.body).toBe(row.body);
    else expect(reply.body).toMatch(row.body);
  });

  it.each([
    ["a wrong secret", signed(unsigned, "not-our-secret")],
    ["no hash", unsigned],
    ["a flipped amount", { ...signed(unsigned), amount: "500.01" }],
  ])("when a notification comes with %s, then the answer is HTTP 400 naming sha1_hash", (_what, params) => {
    const error = refusal(params);
    expect(yoomoneyAdapter.replyError(error, request(params))).toEqual({ status: 400, contentType: "text/plain; charset=utf-8", body: error.message });
    expect(error.message).toContain("sha1_hash");
  });

  it.each([
    ["malformed", 400],
    ["badAccountFormat", 400],
    ["unknownCommand", 400],
    ["badSignature", 400],
    ["forbidden", 403],
    ["unauthorized", 401],
    ["notFound", 404],
  ] as const)("when a notification is refused as %s, then the answer is HTTP %d", (kind, status) => {
    expect(yoomoneyAdapter.replyError({ kind, message: "why" }, request(unsigned))).toEqual({ status, contentType: "text/plain; charset=utf-8", body: "why" });
    expect(yoomoneyAdapter.replyError({ kind, message: "why" }, undefined).status).toBe(status);
  });
});

// Public signature vectors: test/fixtures/protocol-vectors.json is a copy of shared/protocols/vectors.json
// (PROTOCOLS.md "Public signature vectors"), kept in the project so that a fresh clone needs nothing beside it.
interface Vector {
  channel: string;
  fields: Record<string, string>;
  secret: string;
  expected: Record<string, string>;
  source: string;
}
const vectors = (JSON.parse(readFileSync(new URL("../fixtures/protocol-vectors.json", import.meta.url), "utf8")) as Vector[]).filter(
  (vector) => vector.channel === "yoomoney",
);

describe("YooMoney public vectors", () => {
  it("when the fixture is read, then it holds the documentation's sha1_hash vector", () => {
    expect(vectors).toHaveLength(1);
  });

  it.each(vectors.map((vector) => [vector.source, vector] as const))("when the vector from %s is computed, then it reproduces", (_source, vector) => {
    const fields = vector.fields as unknown as YoomoneySignedFields;
    expect(expectedSha1Hash(fields, vector.secret)).toBe(vector.expected.sha1_hash);
    expect(sha1HashValid(fields, vector.expected.sha1_hash!, [vector.secret])).toBe(true);
    expect(sha1HashValid(fields, vector.expected.sha1_hash!.toUpperCase(), ["wrong", vector.secret])).toBe(true);
    expect(sha1HashValid(fields, vector.expected.sha1_hash!, ["wrong"])).toBe(false);
  });
});
