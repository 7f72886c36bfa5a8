import { describe, expect, it } from "vitest";
import type { ChannelProfile, Command, InboundRequest, Outcome, OutcomeKind, PaymentView, ProtocolError } from "../../adapters/contract/index.ts";
import { osmpAdapter, OsmpResult } from "../../adapters/osmp/index.ts";

// The OSMP engine without the HTTP route: requests as a terminal network sends them, answers as PROTOCOLS.md §1
// documents them.

const profile: ChannelProfile = {
  source: { channel: "osmp:qiwi", protocol: "osmp", profile: "qiwi" },
  minKopecks: 100n,
  maxKopecks: 1500000n,
  commissionBasisPoints: 250n,
};

function request(params: Record<string, unknown>): InboundRequest {
  return { method: "GET", params, headers: {}, ip: "127.0.0.1" };
}

const pay = { command: "pay", txn_id: "1234567", txn_date: "20050815120133", account: "100080", sum: "10.45" };

function parse(params: Record<string, unknown>) {
  return osmpAdapter.parse(request(params), profile);
}

function refusal(params: Record<string, unknown>): ProtocolError {
  const parsed = parse(params);
  if (parsed.ok) throw new Error(`expected a refusal, got ${parsed.command.kind}`);
  return parsed.error;
}

/** The <response> children of an answer, in order, with their text unescaped. */
function elementsOf(body: string): [string, string][] {
  const inner = /<response>\n([\s\S]*)\n<\/response>\n$/.exec(body)?.[1];
  if (inner === undefined) throw new Error(`not an OSMP answer: ${body}`);
  return inner.split("\n").map((line) => {
    const match = /^ {2}<([a-z_]+)>([^<]*)<\/\1>$/.exec(line);
    if (!match) throw new Error(`not one element per line: ${JSON.stringify(line)}`);
    return [match[1]!, match[2]!.replace(/&#([0-9]+);/g, (_all, code: string) => String.fromCharCode(Number(code)))];
  });
}

describe("parsing OSMP requests", () => {
  it("when a pay request is well formed, then it becomes a pay command with the profile's commission", () => {
    expect(parse(pay)).toEqual({
      ok: true,
      command: {
        kind: "pay",
        externalId: "1234567",
        accountNumber: "100080",
        amountKopecks: 1045n,
        commissionKopecks: 26n,
        payerAmountKopecks: undefined,
        providerTime: "20050815120133",
        request: pay,
      },
    });
  });

  it("when a pay request carries extra parameters, then the stored request keeps only the protocol's own", () => {
    const parsed = parse({ ...pay, password: "secret", prv_id: "77" });
    expect(parsed.ok && parsed.command.kind === "pay" && parsed.command.request).toEqual(pay);
  });

  it("when a check request has a sum, then it is checked against it; without one, the sum is left open", () => {
    expect(parse({ command: "check", txn_id: "5001", account: "100080", sum: "10.45" })).toEqual({
      ok: true,
      command: { kind: "check", externalId: "5001", accountNumber: "100080", amountKopecks: 1045n },
    });
    expect(parse({ command: "check", txn_id: "5001", account: "100080" })).toMatchObject({ ok: true, command: { amountKopecks: undefined } });
    expect(parse({ command: "check", txn_id: "5001", account: "100080", sum: "" })).toMatchObject({ ok: true, command: { amountKopecks: undefined } });
  });

  it.each([
    ["command is missing", { ...pay, command: undefined }, "malformed", "command"],
    ["command is unknown", { ...pay, command: "status" }, "unknownCommand", "command"],
    ["command is repeated", { ...pay, command: ["pay", "check"] }, "unknownCommand", "command"],
    ["txn_id is missing", { ...pay, txn_id: undefined }, "malformed", "txn_id"],
    ["txn_id is not digits", { ...pay, txn_id: "abc" }, "malformed", "txn_id"],
    ["txn_id is 21 digits", { ...pay, txn_id: "1".repeat(21) }, "malformed", "txn_id"],
    ["txn_id is repeated", { ...pay, txn_id: ["1", "2"] }, "malformed", "txn_id"],
    ["account is missing", { ...pay, account: undefined }, "malformed", "account"],
    ["account is repeated", { ...pay, account: ["100080", "100081"] }, "malformed", "account"],
    ["account has a letter", { ...pay, account: "10008O" }, "badAccountFormat", "account"],
    ["account looks like SQL", { ...pay, account: "100080' OR '1'='1" }, "badAccountFormat", "account"],
    ["account has non-ASCII digits", { ...pay, account: "١٠٠٠٨٠" }, "badAccountFormat", "account"],
    ["account is 13 digits", { ...pay, account: "1".repeat(13) }, "badAccountFormat", "account"],
    ["account is empty", { ...pay, account: "" }, "badAccountFormat", "account"],
    ["sum is missing from a pay", { ...pay, sum: undefined }, "malformed", "sum"],
    ["sum is empty in a pay", { ...pay, sum: "" }, "malformed", "sum"],
    ["sum has an exponent", { ...pay, sum: "1e3" }, "malformed", "sum"],
    ["sum is negative", { ...pay, sum: "-5" }, "malformed", "sum"],
    ["sum uses a comma", { ...pay, sum: "10,45" }, "malformed", "sum"],
    ["sum has three decimals", { ...pay, sum: "10.456" }, "malformed", "sum"],
    ["sum is zero", { ...pay, sum: "0" }, "malformed", "sum"],
    ["sum is repeated", { ...pay, sum: ["10.45", "10.45"] }, "malformed", "sum"],
    ["sum of a check has an exponent", { command: "check", txn_id: "1", account: "100080", sum: "1e3" }, "malformed", "sum"],
    ["txn_date is missing from a pay", { ...pay, txn_date: undefined }, "malformed", "txn_date"],
    ["txn_date names no real moment", { ...pay, txn_date: "20261399000000" }, "malformed", "txn_date"],
    ["txn_date is 31 February", { ...pay, txn_date: "20260231120000" }, "malformed", "txn_date"],
    ["txn_date is 24:00:00", { ...pay, txn_date: "20261124240000" }, "malformed", "txn_date"],
    ["txn_date has separators", { ...pay, txn_date: "2026-11-24 10:30:00" }, "malformed", "txn_date"],
  ])("when %s, then the request is refused as %s naming %s", (_what, params, kind, field) => {
    expect(refusal(params)).toMatchObject({ kind, field });
  });

  it("when a parameter is refused, then the message says which one and what is wrong", () => {
    expect(refusal({ ...pay, txn_id: undefined }).message).toBe("parameter txn_id is missing");
    expect(refusal({ ...pay, txn_id: ["1", "2"] }).message).toBe("parameter txn_id must be given once");
    expect(refusal({ ...pay, txn_date: "20261399000000" }).message).toBe("txn_date must be YYYYMMDDHHMMSS");
    expect(refusal({ ...pay, sum: "1e3" }).message).toMatch(/^amount "1e3" /);
  });
});

const payment: PaymentView = { id: 2016n, externalId: "1234567", accountNumber: "100080", amountKopecks: 1045n, receivedAt: new Date() };
const payCommand = (() => {
  const parsed = parse(pay);
  if (!parsed.ok) throw new Error("the pay fixture must parse");
  return parsed.command;
})();
const checkCommand: Command = { kind: "check", externalId: "5001", accountNumber: "100080", amountKopecks: undefined };

// Typed by OutcomeKind: a new outcome kind without a row here fails the typecheck.
const DOCUMENTED: Record<OutcomeKind, { outcome: Outcome; result: number }> = {
  checked: {
    outcome: { kind: "checked", account: { number: "100080", maskedOwnerName: "И***в И. И.", address: "", balanceKopecks: 19819n, monthlyFeeKopecks: 89000n } },
    result: 0,
  },
  acknowledged: { outcome: { kind: "acknowledged" }, result: 0 },
  accepted: { outcome: { kind: "accepted", payment }, result: 0 },
  duplicate: { outcome: { kind: "duplicate", payment }, result: 0 },
  conflict: { outcome: { kind: "conflict", payment }, result: 300 },
  accountNotFound: { outcome: { kind: "accountNotFound" }, result: 5 },
  accountBlocked: { outcome: { kind: "accountBlocked" }, result: 7 },
  accountInactive: { outcome: { kind: "accountInactive" }, result: 79 },
  amountTooSmall: { outcome: { kind: "amountTooSmall", minKopecks: 100n }, result: 241 },
  amountTooLarge: { outcome: { kind: "amountTooLarge", maxKopecks: 1500000n }, result: 242 },
  // Two-phase outcomes never arise from OSMP requests; if one did, the answer must not be a success.
  opened: { outcome: { kind: "opened", payment, repeat: false }, result: 300 },
  confirmed: { outcome: { kind: "confirmed", payment, repeat: false }, result: 300 },
  closed: { outcome: { kind: "closed", payment, repeat: false }, result: 300 },
  paymentNotFound: { outcome: { kind: "paymentNotFound" }, result: 300 },
  reversed: { outcome: { kind: "reversed", payment, amountKopecks: 100n, repeat: false }, result: 300 },
  operationRefused: { outcome: { kind: "operationRefused", payment, reason: "closed" }, result: 300 },
  temporaryFailure: { outcome: { kind: "temporaryFailure" }, result: 1 },
};

describe("answering OSMP requests", () => {
  it.each(Object.entries(DOCUMENTED))("when the outcome is %s, then the answer is HTTP 200 XML with its documented result code", (_kind, { outcome, result }) => {
    const reply = osmpAdapter.reply(outcome.kind === "checked" ? checkCommand : payCommand, outcome, request(pay), profile);
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe("text/xml; charset=utf-8");
    expect(reply.body.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<response>\n')).toBe(true);
    expect(Object.fromEntries(elementsOf(reply.body)).result).toBe(String(result));
  });

  it("when the protocol's codes are listed, then they are the ones PROTOCOLS.md documents", () => {
    expect(OsmpResult).toEqual({
      ok: 0,
      temporaryError: 1,
      badAccountFormat: 4,
      accountNotFound: 5,
      paymentsForbidden: 7,
      accountInactive: 79,
      notFinished: 90,
      sumTooSmall: 241,
      sumTooLarge: 242,
      otherError: 300,
    });
  });

  it("when a payment is accepted, then the answer carries osmp_txn_id, prv_txn, sum, result, comment in that order", () => {
    const reply = osmpAdapter.reply(payCommand, { kind: "accepted", payment }, request(pay), profile);
    expect(elementsOf(reply.body)).toEqual([
      ["osmp_txn_id", "1234567"],
      ["prv_txn", "2016"],
      ["sum", "10.45"],
      ["result", "0"],
      ["comment", "OK"],
    ]);
  });

  it("when a repeat is answered, then it carries the original payment's prv_txn and sum", () => {
    const original: PaymentView = { ...payment, id: 77n, amountKopecks: 50000n };
    const reply = osmpAdapter.reply(payCommand, { kind: "duplicate", payment: original }, request(pay), profile);
    expect(elementsOf(reply.body)).toEqual([
      ["osmp_txn_id", "1234567"],
      ["prv_txn", "77"],
      ["sum", "500.00"],
      ["result", "0"],
      ["comment", "OK"],
    ]);
  });

  it("when a check succeeds, then the masked owner and balance follow the comment", () => {
    const reply = osmpAdapter.reply(checkCommand, DOCUMENTED.checked.outcome, request({ command: "check", txn_id: "5001", account: "100080" }), profile);
    expect(elementsOf(reply.body)).toEqual([
      ["osmp_txn_id", "5001"],
      ["result", "0"],
      ["comment", "OK"],
      ["fio", "И***в И. И."],
      ["balance", "198.19"],
    ]);
  });

  it("when a payment is refused or conflicts, then no prv_txn or sum is given", () => {
    for (const kind of ["conflict", "accountNotFound", "accountBlocked", "amountTooSmall", "temporaryFailure"] as const) {
      const names = elementsOf(osmpAdapter.reply(payCommand, DOCUMENTED[kind].outcome, request(pay), profile).body).map(([name]) => name);
      expect(names).toEqual(["osmp_txn_id", "result", "comment"]);
    }
  });

  it("when a sum limit refuses a payment, then the comment names the limit in rubles", () => {
    const small = Object.fromEntries(elementsOf(osmpAdapter.reply(payCommand, DOCUMENTED.amountTooSmall.outcome, request(pay), profile).body));
    const large = Object.fromEntries(elementsOf(osmpAdapter.reply(payCommand, DOCUMENTED.amountTooLarge.outcome, request(pay), profile).body));
    expect(small.comment).toContain("1.00");
    expect(large.comment).toContain("15000.00");
  });

  it.each([
    ["malformed", 200, 300],
    ["badAccountFormat", 200, 4],
    ["unknownCommand", 200, 300],
    ["badSignature", 200, 300],
    ["forbidden", 403, 300],
    ["unauthorized", 401, 300],
    ["notFound", 404, 300],
  ] as const)("when a request is refused as %s, then the answer is HTTP %d with result %d", (kind, status, result) => {
    const reply = osmpAdapter.replyError({ kind, message: "why" }, request(pay));
    expect(reply.status).toBe(status);
    expect(reply.contentType).toBe("text/xml; charset=utf-8");
    expect(elementsOf(reply.body)).toEqual([
      ["osmp_txn_id", "1234567"],
      ["result", String(result)],
      ["comment", "why"],
    ]);
    if (kind === "unauthorized") expect(reply.headers?.["WWW-Authenticate"]).toMatch(/^Basic realm="/);
    else expect(reply.headers?.["WWW-Authenticate"]).toBeUndefined();
  });

  it("when the refused request's txn_id is not digits or is repeated, then it is not echoed", () => {
    for (const txnId of ["<script>", ["1", "2"], "1".repeat(21), undefined]) {
      const reply = osmpAdapter.replyError({ kind: "malformed", message: "bad" }, request({ ...pay, txn_id: txnId }));
      expect(elementsOf(reply.body)[0]).toEqual(["osmp_txn_id", ""]);
    }
    expect(elementsOf(osmpAdapter.replyError({ kind: "malformed", message: "bad" }, undefined).body)[0]).toEqual(["osmp_txn_id", ""]);
  });

  it("when a comment or owner name holds markup, then it is escaped and comes back unchanged as text", () => {
    const hostile = `</comment><result>0</result><x a="1" b='2'>&amp;`;
    const reply = osmpAdapter.replyError({ kind: "malformed", message: hostile }, request(pay));
    expect(reply.body.match(/<result>/g)).toHaveLength(1);
    expect(Object.fromEntries(elementsOf(reply.body)).comment).toBe(hostile);

    const account = { number: "100080", maskedOwnerName: "<b>&\"'", address: "", balanceKopecks: 0n, monthlyFeeKopecks: 0n };
    const checked: Outcome = { kind: "checked", account };
    const fio = Object.fromEntries(elementsOf(osmpAdapter.reply(checkCommand, checked, request(pay), profile).body)).fio;
    expect(fio).toBe("<b>&\"'");
  });

  it("when a refused value holds control characters, then the answer is still well-formed XML 1.0", () => {
    // A hostile `sum=%00%1B%08` is quoted in the comment; raw or &#0;-escaped control characters break XML parsers.
    const parsed = parse({ ...pay, sum: "\u0000\u001b\u0008\uFFFE\uD800" });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const body = osmpAdapter.replyError(parsed.error, request(pay)).body;
    expect(body).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
    expect(body).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    expect(body).not.toMatch(/&#(?:[0-8]|1[1-2]|1[4-9]|2[0-9]|3[01]);/);
    expect(elementsOf(body).map(([name]) => name)).toEqual(["osmp_txn_id", "result", "comment"]);
  });
});
