import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { md5Hex } from "../../adapters/contract/index.ts";
import { arsenalpayAmounts } from "../../adapters/arsenalpay/amounts.ts";
import { decideArsenalpay, rrnStateOf } from "../../adapters/arsenalpay/decide.ts";
import { parseArsenalpay } from "../../adapters/arsenalpay/parse.ts";
import type { PaymentState } from "../../adapters/contract/index.ts";
import { replyArsenalpayCheck, replyArsenalpayNotification } from "../../adapters/arsenalpay/reply.ts";
import { ArsenalpayCallback, type ArsenalpayFunction, type ArsenalpaySignedFields } from "../../adapters/arsenalpay/schema.ts";
import {
  nextState,
  type ArsenalpayCallbackEvent,
  type ArsenalpayRrnState,
  type ArsenalpayTransition,
} from "../../adapters/arsenalpay/transitions.ts";
import { arsenalpaySignValid, expectedArsenalpaySign } from "../../adapters/arsenalpay/verify.ts";
import { ARSENALPAY_WIDGET_URL, arsenalpayWidgetSign, buildArsenalpayWidgetLink } from "../../adapters/arsenalpay/widget.ts";

// The protocol parts of ArsenalPay (PROTOCOLS.md §3): SIGN, the callback schema, the amounts with the payer's fee,
// the answers, the widget link, what may happen to one RRN, and that table applied to a payment as the core knows it.

interface Vector {
  channel: string;
  fields: Record<string, string>;
  secret: string;
  expected: Record<string, string>;
}
const vectors = (JSON.parse(readFileSync(new URL("../fixtures/protocol-vectors.json", import.meta.url), "utf8")) as Vector[]).filter(
  (vector) => vector.channel === "arsenalpay",
);

const KEYS = ["old-callback-key", "new-callback-key"];

/** A payment callback as ArsenalPay posts it, signed at test time with `key`. */
function signed(fields: Partial<ArsenalpaySignedFields> = {}, key = "new-callback-key"): Record<string, string> {
  const base: ArsenalpaySignedFields = {
    ID: "166301",
    FUNCTION: "payment",
    RRN: "507812345678",
    PAYER: "427600******1234",
    AMOUNT: "500.00",
    ACCOUNT: "100080",
    STATUS: "payment",
    ...fields,
  };
  return { ...base, DATETIME: "2026-03-01T10:00:00+03:00", SIGN: expectedArsenalpaySign(base, key) };
}

describe("verifying ArsenalPay SIGN", () => {
  it("when the public vectors are computed, then both reproduce", () => {
    expect(vectors).toHaveLength(2);
    for (const vector of vectors) {
      const fields = vector.fields as ArsenalpaySignedFields;
      expect(expectedArsenalpaySign(fields, vector.secret)).toBe(vector.expected.SIGN);
      expect(arsenalpaySignValid({ ...fields, SIGN: vector.expected.SIGN }, [vector.secret])).toBe(true);
    }
  });

  it("when SIGN is computed by hand as md5 of the eight md5 digests, then the implementation agrees", () => {
    const params = signed();
    const byHand = md5Hex(
      ["166301", "payment", "507812345678", "427600******1234", "500.00", "100080", "payment", "new-callback-key"].map(md5Hex).join(""),
    );
    expect(params.SIGN).toBe(byHand);
  });

  it("when a callback is signed with any configured key, in either case, then it verifies (rotation)", () => {
    expect(arsenalpaySignValid(signed({}, "old-callback-key"), KEYS)).toBe(true);
    expect(arsenalpaySignValid(signed({}, "new-callback-key"), KEYS)).toBe(true);
    const upper = signed();
    expect(arsenalpaySignValid({ ...upper, SIGN: upper.SIGN!.toUpperCase() }, KEYS)).toBe(true);
  });

  it("when the amount is signed as sent, then 500 and 500.00 are different signatures", () => {
    const params = signed({ AMOUNT: "500" });
    expect(arsenalpaySignValid(params, KEYS)).toBe(true);
    expect(arsenalpaySignValid({ ...params, AMOUNT: "500.00" }, KEYS)).toBe(false);
  });

  it.each(["ID", "FUNCTION", "RRN", "PAYER", "AMOUNT", "ACCOUNT", "STATUS"] as const)("when %s is changed after signing, then SIGN is refused", (name) => {
    const params = signed();
    expect(arsenalpaySignValid({ ...params, [name]: `${params[name]}1` }, KEYS)).toBe(false);
  });

  it.each([
    ["a wrong key", () => signed({}, "someone-elses-key")],
    ["one flipped hex digit", () => ({ ...signed(), SIGN: flipLastHexDigit(signed().SIGN!) })],
    ["a truncated SIGN", () => ({ ...signed(), SIGN: signed().SIGN!.slice(0, 31) })],
    ["no SIGN", () => ({ ...signed(), SIGN: undefined })],
    ["an empty SIGN", () => ({ ...signed(), SIGN: "" })],
    ["a repeated SIGN", () => ({ ...signed(), SIGN: [signed().SIGN, signed().SIGN] })],
    ["a missing signed field", () => ({ ...signed(), PAYER: undefined })],
    ["a repeated signed field", () => ({ ...signed(), ACCOUNT: ["100080", "100080"] })],
  ])("when the callback has %s, then SIGN is refused", (_what, params) => {
    expect(arsenalpaySignValid(params(), KEYS)).toBe(false);
  });

  it("when no key or only an empty key is configured, then nothing verifies", () => {
    expect(arsenalpaySignValid(signed({}, ""), [])).toBe(false);
    expect(arsenalpaySignValid(signed({}, ""), [""])).toBe(false);
  });
});

describe("the ArsenalPay callback schema", () => {
  it("when a callback is complete, then it parses with its values as sent", () => {
    const params = { ...signed(), MERCH_TYPE: "1", AMOUNT_FULL: "515.00", FORMAT: "json" };
    expect(ArsenalpayCallback.parse(params)).toEqual(params);
  });

  it.each(["check", "payment", "cancel", "cancelinit", "refund", "reverse", "reversal", "hold"])("when FUNCTION is %s, then it is accepted", (fn) => {
    expect(ArsenalpayCallback.safeParse(signed({ FUNCTION: fn, STATUS: fn })).success).toBe(true);
  });

  it.each([
    ["STATUS differs from FUNCTION", signed({ FUNCTION: "payment", STATUS: "check" }), "STATUS", "must equal FUNCTION"],
    ["FUNCTION is unknown", signed({ FUNCTION: "capture", STATUS: "capture" }), "FUNCTION", "must be check, payment"],
    ["FUNCTION is repeated", { ...signed(), FUNCTION: ["payment", "check"] }, "FUNCTION", "must be given once"],
    ["RRN is missing", { ...signed(), RRN: undefined }, "RRN", "is missing"],
    ["RRN has a space", signed({ RRN: "5078 1234" }), "RRN", "must be 1 to 64"],
    ["DATETIME is missing", { ...signed(), DATETIME: undefined }, "DATETIME", "is missing"],
    ["SIGN is missing", { ...signed(), SIGN: undefined }, "SIGN", "is missing"],
  ])("when %s, then the callback is refused naming %s", (_what, params, field, message) => {
    const parsed = ArsenalpayCallback.safeParse(params);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual([field]);
    expect(parsed.error?.issues[0]?.message).toContain(message);
  });
});

describe("ArsenalPay amounts", () => {
  it("when MERCH_TYPE=1, then AMOUNT_FULL is what the payer paid and the commission is AMOUNT_FULL − AMOUNT", () => {
    expect(arsenalpayAmounts({ AMOUNT: "500.00", MERCH_TYPE: "1", AMOUNT_FULL: "515.50" })).toEqual({
      ok: true,
      amountKopecks: 50_000n,
      payerAmountKopecks: 51_550n,
      commissionKopecks: 1_550n,
    });
    expect(arsenalpayAmounts({ AMOUNT: "500", MERCH_TYPE: "1", AMOUNT_FULL: "500" })).toMatchObject({ ok: true, commissionKopecks: 0n });
  });

  it("when MERCH_TYPE is 0 or absent, then the payer paid no fee and AMOUNT_FULL is ignored", () => {
    const none = { ok: true, amountKopecks: 52_000n, payerAmountKopecks: undefined, commissionKopecks: 0n };
    expect(arsenalpayAmounts({ AMOUNT: "520", MERCH_TYPE: undefined, AMOUNT_FULL: undefined })).toEqual(none);
    expect(arsenalpayAmounts({ AMOUNT: "520", MERCH_TYPE: "0", AMOUNT_FULL: "530" })).toEqual(none);
  });

  it.each([
    ["AMOUNT has an exponent", { AMOUNT: "5e2", MERCH_TYPE: undefined, AMOUNT_FULL: undefined }, "AMOUNT"],
    ["AMOUNT uses a comma", { AMOUNT: "500,00", MERCH_TYPE: undefined, AMOUNT_FULL: undefined }, "AMOUNT"],
    ["AMOUNT is zero", { AMOUNT: "0.00", MERCH_TYPE: undefined, AMOUNT_FULL: undefined }, "AMOUNT"],
    ["MERCH_TYPE is 2", { AMOUNT: "500", MERCH_TYPE: "2", AMOUNT_FULL: "510" }, "MERCH_TYPE"],
    ["AMOUNT_FULL is missing with MERCH_TYPE=1", { AMOUNT: "500", MERCH_TYPE: "1", AMOUNT_FULL: undefined }, "AMOUNT_FULL"],
    ["AMOUNT_FULL is malformed", { AMOUNT: "500", MERCH_TYPE: "1", AMOUNT_FULL: "510.001" }, "AMOUNT_FULL"],
    ["AMOUNT_FULL is less than AMOUNT", { AMOUNT: "500", MERCH_TYPE: "1", AMOUNT_FULL: "499.99" }, "AMOUNT_FULL"],
  ])("when %s, then the amounts are refused naming %s", (_what, callback, field) => {
    expect(arsenalpayAmounts(callback)).toMatchObject({ ok: false, field });
  });
});

describe("answering ArsenalPay", () => {
  it.each(["YES", "NO", "ERR"] as const)("when a check is answered %s, then the body is the bare word as text/plain", (word) => {
    expect(replyArsenalpayCheck(word, undefined)).toEqual({ status: 200, contentType: "text/plain; charset=utf-8", body: word });
  });

  it.each(["OK", "ERR"] as const)("when another function is answered %s with FORMAT=json, then the body is {\"response\":\"%s\"}", (word) => {
    expect(replyArsenalpayNotification(word, "json")).toEqual({
      status: 200,
      contentType: "application/json; charset=utf-8",
      body: `{"response":"${word}"}`,
    });
    expect(replyArsenalpayNotification(word, "JSON").body).toBe(`{"response":"${word}"}`);
  });

  it("when FORMAT is anything but json, then the answer is plain text", () => {
    expect(replyArsenalpayCheck("YES", "xml").body).toBe("YES");
    expect(replyArsenalpayCheck("YES", ["json", "json"]).body).toBe("YES");
    expect(replyArsenalpayNotification("OK", "").body).toBe("OK");
  });
});

describe("the ArsenalPay widget link", () => {
  const input = { widgetId: "4321", widgetKey: "widget-secret", destination: "100080", userId: "100080", amountKopecks: 50_000n, nonce: "f00dfeed" };

  it("when a link is built, then widgetSign is hex HMAC-SHA256 of userId;destination;amount;widgetId;nonce", () => {
    const link = buildArsenalpayWidgetLink(input);
    const expected = createHmac("sha256", "widget-secret").update("100080;100080;500.00;4321;f00dfeed").digest("hex");
    expect(link.widgetSign).toBe(expected);
    expect(arsenalpayWidgetSign("widget-secret", { userId: "100080", destination: "100080", amount: "500.00", widgetId: "4321", nonce: "f00dfeed" })).toBe(expected);
    expect(link.url).toBe(`${ARSENALPAY_WIDGET_URL}?destination=100080&userId=100080&amount=500.00&widget=4321&nonce=f00dfeed&widgetSign=${expected}`);
  });

  it("when the amount has kopecks, then it is sent and signed as rubles with two decimals", () => {
    const link = buildArsenalpayWidgetLink({ ...input, amountKopecks: 1_005n });
    expect(link.amount).toBe("10.05");
    expect(new URL(link.url).searchParams.get("amount")).toBe("10.05");
  });

  it("when a value needs escaping in a URL, then the URL carries it escaped and the signature is over the value itself", () => {
    const link = buildArsenalpayWidgetLink({ ...input, userId: "user+1 &x" });
    expect(new URL(link.url).searchParams.get("userId")).toBe("user+1 &x");
    expect(link.widgetSign).toBe(createHmac("sha256", "widget-secret").update("user+1 &x;100080;500.00;4321;f00dfeed").digest("hex"));
  });

  it("when no nonce is given, then every link gets a fresh random one and its own signature", () => {
    const { nonce: _fixed, ...random } = input;
    const first = buildArsenalpayWidgetLink(random);
    const second = buildArsenalpayWidgetLink(random);
    expect(first.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(first.nonce).not.toBe(second.nonce);
    expect(first.widgetSign).not.toBe(second.widgetSign);
  });

  it.each([
    ["an empty key", { widgetKey: "" }],
    ["a ';' in destination", { destination: "100080;1" }],
    ["an empty userId", { userId: "" }],
    ["a zero amount", { amountKopecks: 0n }],
    ["a ';' in the nonce", { nonce: "a;b" }],
  ])("when the hub would build a link with %s, then it throws", (_what, change) => {
    expect(() => buildArsenalpayWidgetLink({ ...input, ...change })).toThrow(/arsenalpay widget/);
  });
});

describe("what may happen to one RRN", () => {
  const account = "100080";
  const event = (amountKopecks: bigint, more: Partial<ArsenalpayCallbackEvent> = {}): ArsenalpayCallbackEvent => ({ accountNumber: account, amountKopecks, ...more });
  const checked: ArsenalpayRrnState = { stage: "checked", accountNumber: account, amountKopecks: 50_000n };
  const held: ArsenalpayRrnState = { stage: "held", accountNumber: account, amountKopecks: 50_000n };
  const paid: ArsenalpayRrnState = { stage: "paid", accountNumber: account, amountKopecks: 50_000n };
  const cancelled: ArsenalpayRrnState = { stage: "cancelled", accountNumber: account, amountKopecks: 50_000n };
  const reversed: ArsenalpayRrnState = { stage: "reversed", accountNumber: account, amountKopecks: 50_000n };
  const refunded: ArsenalpayRrnState = {
    stage: "refunded",
    accountNumber: account,
    amountKopecks: 50_000n,
    refunds: [{ refundKey: "r1", amountKopecks: 10_000n }],
    refundedKopecks: 10_000n,
  };

  /** Runs callbacks one after another from nothing, failing on any that is not allowed; answers the final state. */
  function run(...steps: [ArsenalpayFunction, ArsenalpayCallbackEvent][]): ArsenalpayRrnState {
    let state: ArsenalpayRrnState | undefined;
    for (const [fn, callback] of steps) {
      const transition = nextState(state, fn, callback);
      if (transition.kind !== "allowed") throw new Error(`${fn} was ${transition.kind}: ${JSON.stringify(transition, (_k, v: unknown) => (typeof v === "bigint" ? `${v}` : v))}`);
      state = transition.next;
    }
    if (!state) throw new Error("no steps");
    return state;
  }

  function refusal(transition: ArsenalpayTransition): string {
    if (transition.kind !== "refused") throw new Error(`expected a refusal, got ${transition.kind}`);
    expect(transition.message.length).toBeGreaterThan(0);
    return transition.reason;
  }

  it("when an RRN is first seen, then check, hold and payment may start it and nothing else", () => {
    expect(nextState(undefined, "check", event(50_000n))).toEqual({ kind: "allowed", next: checked, movement: { kind: "none" } });
    expect(nextState(undefined, "hold", event(50_000n))).toEqual({ kind: "allowed", next: held, movement: { kind: "none" } });
    expect(nextState(undefined, "payment", event(50_000n))).toEqual({ kind: "allowed", next: paid, movement: { kind: "credit", kopecks: 50_000n } });
    for (const fn of ["cancel", "cancelinit", "reverse", "reversal"] as const) expect(refusal(nextState(undefined, fn, event(50_000n)))).toBe("unknown-rrn");
    expect(refusal(nextState(undefined, "refund", event(50_000n, { refundKey: "r1" })))).toBe("unknown-rrn");
  });

  it("when a check is followed by payment, hold or cancel, then each is allowed and only the payment credits", () => {
    expect(nextState(checked, "payment", event(50_000n))).toEqual({ kind: "allowed", next: paid, movement: { kind: "credit", kopecks: 50_000n } });
    expect(nextState(checked, "hold", event(50_000n))).toEqual({ kind: "allowed", next: held, movement: { kind: "none" } });
    expect(nextState(checked, "cancel", event(50_000n))).toEqual({ kind: "allowed", next: cancelled, movement: { kind: "none" } });
  });

  it("when cancelinit arrives, then it acts as cancel, after a check and after a hold", () => {
    expect(nextState(checked, "cancelinit", event(50_000n))).toEqual(nextState(checked, "cancel", event(50_000n)));
    expect(nextState(held, "cancelinit", event(50_000n))).toEqual({ kind: "allowed", next: cancelled, movement: { kind: "none" } });
  });

  it("when a check is followed by a refund or reverse, then it is refused: nothing was paid", () => {
    expect(refusal(nextState(checked, "refund", event(50_000n, { refundKey: "r1" })))).toBe("not-allowed");
    expect(refusal(nextState(checked, "reverse", event(50_000n)))).toBe("not-allowed");
    expect(refusal(nextState(checked, "reversal", event(50_000n)))).toBe("not-allowed");
  });

  it("when a payment or hold after a check has another amount, then it is refused as an amount mismatch", () => {
    expect(refusal(nextState(checked, "payment", event(50_001n)))).toBe("amount-mismatch");
    expect(refusal(nextState(checked, "hold", event(49_999n)))).toBe("amount-mismatch");
  });

  it("when a hold is followed by payment or cancel, then each is allowed; the payment credits what was captured", () => {
    expect(nextState(held, "payment", event(50_000n))).toEqual({ kind: "allowed", next: paid, movement: { kind: "credit", kopecks: 50_000n } });
    expect(nextState(held, "payment", event(30_000n))).toEqual({
      kind: "allowed",
      next: { stage: "paid", accountNumber: account, amountKopecks: 30_000n },
      movement: { kind: "credit", kopecks: 30_000n },
    });
    expect(nextState(held, "cancel", event(50_000n))).toEqual({ kind: "allowed", next: cancelled, movement: { kind: "none" } });
  });

  it("when a hold is captured for more than was held, then it is refused", () => {
    expect(refusal(nextState(held, "payment", event(50_001n)))).toBe("amount-above-hold");
  });

  it("when a hold is followed by check, refund or reverse, then it is refused", () => {
    expect(refusal(nextState(held, "check", event(50_000n)))).toBe("not-allowed");
    expect(refusal(nextState(held, "refund", event(50_000n, { refundKey: "r1" })))).toBe("not-allowed");
    expect(refusal(nextState(held, "reverse", event(50_000n)))).toBe("not-allowed");
  });

  it("when a payment is repeated with the same RRN and amount, then it is a duplicate that credits nothing, even after refunds or a reverse", () => {
    expect(nextState(paid, "payment", event(50_000n))).toEqual({ kind: "duplicate", state: paid });
    expect(nextState(refunded, "payment", event(50_000n))).toEqual({ kind: "duplicate", state: refunded });
    expect(nextState(reversed, "payment", event(50_000n))).toEqual({ kind: "duplicate", state: reversed });
  });

  it("when a payment is repeated with the same RRN and another amount or account, then it is refused", () => {
    expect(refusal(nextState(paid, "payment", event(50_001n)))).toBe("amount-mismatch");
    expect(refusal(nextState(paid, "payment", { accountNumber: "100081", amountKopecks: 50_000n }))).toBe("account-mismatch");
  });

  it("when any callback names another account than the RRN's, then it is refused", () => {
    for (const [state, fn] of [[checked, "payment"], [held, "cancel"], [paid, "reverse"], [refunded, "refund"]] as const) {
      expect(refusal(nextState(state, fn, { accountNumber: "999999", amountKopecks: 100n, refundKey: "x" }))).toBe("account-mismatch");
    }
  });

  it("when repeats of check, hold, cancel and reverse arrive, then they are duplicates", () => {
    expect(nextState(checked, "check", event(50_000n))).toEqual({ kind: "duplicate", state: checked });
    expect(nextState(held, "hold", event(50_000n))).toEqual({ kind: "duplicate", state: held });
    expect(nextState(cancelled, "cancel", event(50_000n))).toEqual({ kind: "duplicate", state: cancelled });
    expect(nextState(cancelled, "cancelinit", event(50_000n))).toEqual({ kind: "duplicate", state: cancelled });
    expect(nextState(reversed, "reverse", event(50_000n))).toEqual({ kind: "duplicate", state: reversed });
    expect(nextState(reversed, "reversal", event(50_000n))).toEqual({ kind: "duplicate", state: reversed });
  });

  it("when a payment is reversed, then the whole amount is debited; reversal acts as reverse", () => {
    expect(nextState(paid, "reverse", event(50_000n))).toEqual({ kind: "allowed", next: reversed, movement: { kind: "debit", kopecks: 50_000n } });
    expect(nextState(paid, "reversal", event(50_000n))).toEqual(nextState(paid, "reverse", event(50_000n)));
  });

  it("when a reverse names less than the whole payment, then it is refused: a reverse is never partial", () => {
    expect(refusal(nextState(paid, "reverse", event(49_999n)))).toBe("amount-mismatch");
  });

  it("when a payment is followed by check, hold or cancel, then it is refused: a payment is undone only by refund or reverse", () => {
    for (const fn of ["check", "hold", "cancel", "cancelinit"] as const) expect(refusal(nextState(paid, fn, event(50_000n)))).toBe("not-allowed");
  });

  it("when partial refunds sum to exactly the payment, then each is allowed and debits its own amount", () => {
    const first = nextState(paid, "refund", event(20_000n, { refundKey: "r1" }));
    expect(first).toEqual({
      kind: "allowed",
      next: { ...paid, stage: "refunded", refunds: [{ refundKey: "r1", amountKopecks: 20_000n }], refundedKopecks: 20_000n },
      movement: { kind: "debit", kopecks: 20_000n },
    });
    const final = run(
      ["check", event(50_000n)],
      ["payment", event(50_000n)],
      ["refund", event(20_000n, { refundKey: "r1" })],
      ["refund", event(29_999n, { refundKey: "r2" })],
      ["refund", event(1n, { refundKey: "r3" })],
    );
    expect(final).toMatchObject({ stage: "refunded", refundedKopecks: 50_000n });
  });

  it("when a refund would bring the refunds one kopeck over the payment, then it is refused", () => {
    const nearlyAll = run(["payment", event(50_000n)], ["refund", event(49_999n, { refundKey: "r1" })]);
    expect(refusal(nextState(nearlyAll, "refund", event(2n, { refundKey: "r2" })))).toBe("refund-exceeds-payment");
    expect(nextState(nearlyAll, "refund", event(1n, { refundKey: "r2" })).kind).toBe("allowed");
    expect(refusal(nextState(paid, "refund", event(50_001n, { refundKey: "r1" })))).toBe("refund-exceeds-payment");
  });

  it("when a refund callback is repeated with its key, then it is a duplicate; the same key with another amount is refused", () => {
    expect(nextState(refunded, "refund", event(10_000n, { refundKey: "r1" }))).toEqual({ kind: "duplicate", state: refunded });
    expect(refusal(nextState(refunded, "refund", event(10_001n, { refundKey: "r1" })))).toBe("refund-key-reused");
  });

  it("when a refund has no refund key, then that is a bug in the caller and it throws", () => {
    expect(() => nextState(paid, "refund", event(100n))).toThrow(/refundKey/);
  });

  it("when a refunded payment is reversed, cancelled or checked, then it is refused: refund is followed only by refund", () => {
    for (const fn of ["reverse", "reversal", "cancel", "check", "hold"] as const) expect(refusal(nextState(refunded, fn, event(40_000n)))).toBe("not-allowed");
  });

  it("when a cancelled or reversed RRN gets anything but its repeat, then it is refused", () => {
    for (const fn of ["check", "hold", "payment", "reverse"] as const) expect(refusal(nextState(cancelled, fn, event(50_000n)))).toBe("not-allowed");
    expect(refusal(nextState(cancelled, "refund", event(100n, { refundKey: "r1" })))).toBe("not-allowed");
    for (const fn of ["check", "hold", "cancel"] as const) expect(refusal(nextState(reversed, fn, event(50_000n)))).toBe("not-allowed");
    expect(refusal(nextState(reversed, "refund", event(100n, { refundKey: "r1" })))).toBe("not-allowed");
    expect(refusal(nextState(reversed, "reverse", event(40_000n)))).toBe("not-allowed");
  });
});

function flipLastHexDigit(hex: string): string {
  const last = hex.slice(-1);
  return hex.slice(0, -1) + (last === "0" ? "1" : "0");
}

describe("the table of steps applied to a payment as the core knows it (decide)", () => {
  const profile = { source: { channel: "arsenalpay", protocol: "arsenalpay", profile: "arsenalpay" }, minKopecks: 100n, maxKopecks: 10_000_000n, commissionBasisPoints: 0n, callbackKeys: KEYS, merchantId: "166301" };
  const callbackOf = (fn: ArsenalpayFunction, amount = "500.00", account = "100080") => {
    const request = { method: "POST", params: { ...signed({ FUNCTION: fn, STATUS: fn, AMOUNT: amount, ACCOUNT: account }), DATETIME: "2026-12-03T10:00:00+10:00" }, headers: {}, ip: "127.0.0.1" };
    const parsed = parseArsenalpay(request, profile);
    if (!parsed.ok) throw new Error(parsed.error.message);
    return { request, command: parsed.command };
  };
  const state = (status: PaymentState["status"], reversals: PaymentState["reversals"] = [], amountKopecks = 50000n): PaymentState => ({ status, accountNumber: "100080", amountKopecks, reversals });
  const decide = (fn: ArsenalpayFunction, current: PaymentState | undefined, amount?: string, account?: string) => {
    const { request, command } = callbackOf(fn, amount, account);
    return decideArsenalpay(request, command, current);
  };

  it("when the core's payment is pending, closed, credited or has reversals, then it is a hold, a cancelled hold, a payment, refunded or reversed", () => {
    expect(rrnStateOf(undefined)).toBeUndefined();
    expect(rrnStateOf(state("pending"))?.stage).toBe("held");
    expect(rrnStateOf(state("closed"))?.stage).toBe("cancelled");
    expect(rrnStateOf(state("accepted"))?.stage).toBe("paid");
    expect(rrnStateOf(state("credited", [{ key: "refund 10000", amountKopecks: 10000n, reason: "refund" }]))).toMatchObject({ stage: "refunded", refundedKopecks: 10000n });
    expect(rrnStateOf(state("credited", [{ key: "reverse", amountKopecks: 50000n, reason: "reverse" }]))?.stage).toBe("reversed");
  });

  it("when a payment captures a hold for less, then it is a capture of the smaller sum, never more than held", () => {
    expect(decide("payment", state("pending"), "300.00")).toEqual({
      ok: true,
      command: expect.objectContaining({ kind: "confirm", reference: "507812345678", amountKopecks: 30000n, capture: { commissionKopecks: 0n, payerAmountKopecks: undefined } }),
    });
    expect(decide("payment", state("pending"), "600.00")).toMatchObject({ ok: false, reason: expect.stringContaining("more than the") });
  });

  it("when a refund repeats with the same signed AMOUNT, then it is the same refund (keyed by the amount, never by the unsigned DATETIME)", () => {
    const first = decide("refund", state("credited"), "100.00");
    expect(first).toMatchObject({ ok: true, command: { kind: "reverse", reversalKey: "refund 10000", amountKopecks: 10000n, providerTime: "2026-12-03T10:00:00+10:00" } });
    expect(decide("refund", state("credited", [{ key: "refund 10000", amountKopecks: 10000n, reason: "refund" }]), "100.00")).toMatchObject({ ok: true, command: { kind: "reverse", reversalKey: "refund 10000" } });
  });

  it("when a reverse follows a refund, names part of the payment, or a cancel or another account follows a payment, then it is refused, saying why", () => {
    expect(decide("reverse", state("credited", [{ key: "refund 10000", amountKopecks: 10000n, reason: "refund" }]))).toMatchObject({ ok: false, reason: "reverse is not allowed after refunded" });
    expect(decide("reverse", state("credited"), "100.00")).toMatchObject({ ok: false, reason: expect.stringContaining("differs") });
    expect(decide("reverse", state("credited"))).toMatchObject({ ok: true, command: { kind: "reverse", reversalKey: "reverse", amountKopecks: 50000n } });
    expect(decide("cancel", state("credited"))).toMatchObject({ ok: false, reason: "cancel is not allowed after paid" });
    expect(decide("payment", state("credited"), "500.00", "100081")).toMatchObject({ ok: false, reason: expect.stringContaining("names account 100081") });
    expect(decide("refund", undefined, "100.00")).toMatchObject({ ok: false, reason: expect.stringContaining("never seen") });
  });
});
