import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { md5Hex } from "../../adapters/contract/index.ts";
import {
  DEFAULT_SMS_COMMISSION,
  normaliseOperator,
  parseSmsCommissionConfig,
  smsCommissionKopecks,
  smsCommissionRuleFor,
} from "../../adapters/sms3116/commission.ts";
import {
  formatSmsRubles,
  replySms3116Incoming,
  replySms3116Status,
  SMS_REPLY_MAX_CHARS,
  smsReplyText,
  type Sms3116ReplyText,
} from "../../adapters/sms3116/reply.ts";
import { SMS3116_LIMITS, Sms3116Incoming, Sms3116StatusCallback, Sms3116StatusResult } from "../../adapters/sms3116/schema.ts";
import { isLookalikeOf, parseSmsText, type SmsTextProblem } from "../../adapters/sms3116/text.ts";
import { expectedSkey, expectedStatusSignature, skeyValid, statusSignatureValid } from "../../adapters/sms3116/verify.ts";

// The protocol parts of SMS to 3116 (PROTOCOLS.md §5): the skey and status signature, reading "aliance <account>
// <sum>", the per-operator commission and the answers. The Commands of this two-phase channel come later.

interface Vector {
  channel: string;
  secret: string;
  expected: Record<string, string>;
}
const vectors = JSON.parse(readFileSync(new URL("../fixtures/protocol-vectors.json", import.meta.url), "utf8")) as Vector[];
const skeyVector = vectors.find((vector) => vector.channel === "sms3116");

const incoming = { skey: md5Hex("12345"), smsid: "8800123", num: "3116", operator: "mts", user_id: "79141234567", msg: "aliance 100080 100" };

describe("verifying SMS 3116 requests", () => {
  it("when the public skey vector is computed, then it reproduces", () => {
    expect(skeyVector).toBeDefined();
    expect(expectedSkey(skeyVector!.secret)).toBe(skeyVector!.expected.skey);
    expect(skeyValid(skeyVector!.expected.skey, [skeyVector!.secret])).toBe(true);
  });

  it("when the skey of any configured service key arrives, in either case, then it is accepted (rotation)", () => {
    const keys = ["old-service-key", "new-service-key"];
    expect(skeyValid(md5Hex("old-service-key"), keys)).toBe(true);
    expect(skeyValid(md5Hex("new-service-key"), keys)).toBe(true);
    expect(skeyValid(md5Hex("new-service-key").toUpperCase(), keys)).toBe(true);
  });

  it.each([
    ["a wrong key's skey", md5Hex("another-key")],
    ["the service key itself instead of its md5", "new-service-key"],
    ["one flipped hex digit", flipLastHexDigit(md5Hex("new-service-key"))],
    ["a truncated skey", md5Hex("new-service-key").slice(0, 31)],
    ["an empty skey", ""],
    ["no skey", undefined],
    ["a repeated skey", [md5Hex("new-service-key"), md5Hex("new-service-key")]],
  ])("when the request carries %s, then the skey is refused", (_what, skey) => {
    expect(skeyValid(skey, ["old-service-key", "new-service-key"])).toBe(false);
  });

  it("when no service key or only an empty one is configured, then nothing verifies, not even md5 of the empty string", () => {
    expect(skeyValid(md5Hex(""), [])).toBe(false);
    expect(skeyValid(md5Hex(""), [""])).toBe(false);
  });

  it("when a status callback is signed md5(payment_id + apiKey) with any configured key, then it verifies", () => {
    const signature = md5Hex("pay-778899" + "api-key-2");
    expect(expectedStatusSignature("pay-778899", "api-key-2")).toBe(signature);
    expect(statusSignatureValid({ payment_id: "pay-778899", signature }, ["api-key-1", "api-key-2"])).toBe(true);
    expect(statusSignatureValid({ payment_id: "pay-778899", signature: signature.toUpperCase() }, ["api-key-2"])).toBe(true);
  });

  it.each([
    ["a wrong key", { payment_id: "pay-778899", signature: md5Hex("pay-778899" + "other-key") }],
    ["another payment's signature", { payment_id: "pay-778899", signature: md5Hex("pay-778898" + "api-key-2") }],
    ["a flipped hex digit", { payment_id: "pay-778899", signature: flipLastHexDigit(md5Hex("pay-778899" + "api-key-2")) }],
    ["the key and id swapped", { payment_id: "pay-778899", signature: md5Hex("api-key-2" + "pay-778899") }],
    ["no signature", { payment_id: "pay-778899" }],
    ["an empty signature", { payment_id: "pay-778899", signature: "" }],
    ["a numeric payment_id", { payment_id: 778899, signature: md5Hex("778899" + "api-key-2") }],
    ["no payment_id", { signature: md5Hex("api-key-2") }],
  ])("when a status callback has %s, then it is refused", (_what, body) => {
    expect(statusSignatureValid(body, ["api-key-2"])).toBe(false);
  });
});

describe("SMS 3116 wire schemas", () => {
  it("when an incoming SMS forward is complete, then it parses as sent", () => {
    expect(Sms3116Incoming.parse(incoming)).toEqual(incoming);
  });

  it.each([
    ["smsid has a line break", { ...incoming, smsid: "1\nstatus: reply" }, "smsid"],
    ["smsid is missing", { ...incoming, smsid: undefined }, "smsid"],
    ["msg is repeated", { ...incoming, msg: ["a", "b"] }, "msg"],
    ["user_id is not a phone number", { ...incoming, user_id: "abc" }, "user_id"],
    ["operator is empty", { ...incoming, operator: "" }, "operator"],
  ])("when %s, then the forward is refused naming %s", (_what, params, field) => {
    const parsed = Sms3116Incoming.safeParse(params);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual([field]);
  });

  const status = {
    request: "payment_status",
    payment_id: "pay-778899",
    merchant_payment_id: "5001",
    status: "success",
    extended_status: "paid",
    amount: 11300,
    date_created: "2026-03-01 10:00:00",
    signature: md5Hex("pay-778899api-key"),
  };

  it("when a status callback is complete, then its amount is read as kopecks", () => {
    expect(Sms3116StatusCallback.parse(status)).toEqual({ ...status, amount: 11300n });
    expect(Sms3116StatusCallback.parse({ ...status, amount: "11300" }).amount).toBe(11300n);
  });

  it.each([
    ["the request kind is another", { ...status, request: "refund" }, "request"],
    ["the status is unknown", { ...status, status: "done" }, "status"],
    ["the amount is a fraction", { ...status, amount: 113.5 }, "amount"],
    ["the amount is negative", { ...status, amount: -1 }, "amount"],
    ["the amount is rubles with a point", { ...status, amount: "113.00" }, "amount"],
    ["the amount is missing", { ...status, amount: undefined }, "amount"],
    ["merchant_payment_id is missing", { ...status, merchant_payment_id: undefined }, "merchant_payment_id"],
  ])("when %s, then the status callback is refused naming it", (_what, body, field) => {
    const parsed = Sms3116StatusCallback.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual([field]);
  });
});

describe("reading the SMS text", () => {
  it.each([
    ["aliance 100080 100", "100080", 10000n],
    ["ALIANCE 100080 100", "100080", 10000n],
    ["Aliance 100080 100.50", "100080", 10050n],
    ["aliance 100080 100,50", "100080", 10050n],
    ["aliance 100080 100,5", "100080", 10050n],
    ["aliance 100080 0,99", "100080", 99n],
    ["  aliance   100080 \t 500  ", "100080", 50000n],
    ["aliance\n100080\n500\n", "100080", 50000n],
    ["aliance\r\n100080\u00A0500", "100080", 50000n],
    ["aliance100080 500", "100080", 50000n],
    ["aliance 100080 500р", "100080", 50000n],
    ["aliance 100080 500 руб.", "100080", 50000n],
    ["aliance 100080 500 RUB", "100080", 50000n],
    ["aliance 100080 500,50₽", "100080", 50050n],
    ["ali\u200Bance 100080 500", "100080", 50000n],
  ])("when the text is %j, then it pays account %s %s kopecks", (text, accountNumber, amountKopecks) => {
    expect(parseSmsText(text)).toEqual({ ok: true, accountNumber, amountKopecks });
  });

  it.each([
    ["Cyrillic а (U+0430) for a", "\u0430liance"],
    ["Cyrillic А (U+0410) for A", "\u0410LIANCE"],
    ["Cyrillic с (U+0441) for c", "alian\u0441e"],
    ["Cyrillic С (U+0421) for C", "ALIAN\u0421E"],
    ["Cyrillic е (U+0435) for e", "alianc\u0435"],
    ["Cyrillic Е (U+0415) for E", "ALIANC\u0415"],
    ["Cyrillic і (U+0456) for i", "al\u0456ance"],
    ["Cyrillic І (U+0406) for I", "AL\u0406ANCE"],
    ["Cyrillic Ӏ (U+04C0) for I", "AL\u04C0ANCE"],
    ["Cyrillic ӏ (U+04CF) for l", "a\u04CFiance"],
    ["Cyrillic Ӏ (U+04C0) for l", "a\u04C0iance"],
    ["Cyrillic І (U+0406) for l", "a\u0406iance"],
    ["every look-alike at once", "\u0430\u04CF\u0456\u0430n\u0441\u0435"],
    ["a phone that switched layout mid-word", "ali\u0430n\u0441\u0435"],
  ])("when the prefix has %s, then it is read as aliance", (_what, prefix) => {
    expect(parseSmsText(`${prefix} 100080 100`)).toEqual({ ok: true, accountNumber: "100080", amountKopecks: 10000n });
  });

  it("when the look-alike table is asked about o, p, x, s, then the Cyrillic о, р, х, ѕ stand for them and nothing else does", () => {
    expect(isLookalikeOf("\u043E", "o")).toBe(true);
    expect(isLookalikeOf("\u041E", "o")).toBe(true);
    expect(isLookalikeOf("\u0440", "p")).toBe(true);
    expect(isLookalikeOf("\u0445", "x")).toBe(true);
    expect(isLookalikeOf("\u0455", "s")).toBe(true);
    expect(isLookalikeOf("\u0440", "r")).toBe(false);
    expect(isLookalikeOf("\u043E", "a")).toBe(false);
    expect(isLookalikeOf("0", "o")).toBe(false);
  });

  it.each([
    ["dotted і (U+0456) in place of l", "a\u0456iance"],
    ["small palochka ӏ (U+04CF) in place of i", "al\u04CFance"],
    ["Latin I in place of l", "aIiance"],
    ["Latin l in place of i", "allance"],
    ["Cyrillic п (U+043F) in place of n", "alia\u043Fce"],
    ["Cyrillic ё (U+0451) in place of e", "alianc\u0451"],
    ["Greek α (U+03B1) in place of a", "\u03B1liance"],
    ["the Turkish dotted İ", "al\u0130ance"],
    ["the double-l spelling", "alliance"],
    ["a missing letter", "alance"],
    ["the name in Cyrillic", "альянс"],
    ["a letter after the prefix", "aliances"],
  ])("when the prefix has %s, then the text has no prefix", (_what, prefix) => {
    expect(parseSmsText(`${prefix} 100080 100`)).toMatchObject({ ok: false, problem: "no-prefix" });
  });

  it.each<[string, string, SmsTextProblem]>([
    ["", "an empty text", "empty"],
    [" \n\t ", "only spaces", "empty"],
    ["100080 100", "no prefix", "no-prefix"],
    ["pay 100080 100", "another word first", "no-prefix"],
    ["aliance", "only the prefix", "no-account"],
    ["aliance  \n", "the prefix and spaces", "no-account"],
    ["aliance 100080", "no sum", "no-sum"],
    ["aliance100080", "a glued account and no sum", "no-sum"],
    ["aliance 1OO080 100", "letters O in the account", "bad-account"],
    ["aliance 10008О 100", "a Cyrillic О in the account", "bad-account"],
    ["aliance ١٠٠٠٨٠ 100", "Arabic-Indic digits in the account", "bad-account"],
    ["aliance 1234567890123 100", "a 13-digit account", "bad-account"],
    ["aliance л/с100080 100", "a word before the account", "bad-account"],
    ["aliance 100080 1e3", "an exponent", "bad-sum"],
    ["aliance 100080 -5", "a negative sum", "bad-sum"],
    ["aliance 100080 +5", "a plus sign", "bad-sum"],
    ["aliance 100080 10,456", "three decimals with a comma", "bad-sum"],
    ["aliance 100080 10.456", "three decimals with a point", "bad-sum"],
    ["aliance 100080 10.", "a dangling point", "bad-sum"],
    ["aliance 100080 ,50", "no rubles", "bad-sum"],
    ["aliance 100080 0", "a zero sum", "bad-sum"],
    ["aliance 100080 0,00", "a zero sum with kopecks", "bad-sum"],
    ["aliance 100080 0100", "a leading zero", "bad-sum"],
    ["aliance 100080 10.5,0", "two separators", "bad-sum"],
    ["aliance 100080 сто", "a sum in words", "bad-sum"],
    ["aliance 100080 100рр", "a doubled ruble sign", "bad-sum"],
    ["aliance 100080 1 000", "a thousands space", "extra-words"],
    ["aliance 100080 100 спасибо", "a word after the sum", "extra-words"],
    ["aliance 100080 100 руб спасибо", "a word after the ruble word", "extra-words"],
    ["aliance 100080 100 200", "two sums", "extra-words"],
    ["aliance 100080 100\nОтправлено с iPhone", "a phone's signature", "extra-words"],
  ])("when the text is %j (%s), then the problem is %s", (text, _what, problem) => {
    const parsed = parseSmsText(text);
    expect(parsed).toMatchObject({ ok: false, problem });
    expect(parsed.ok || parsed.detail.length > 0).toBe(true);
  });
});

describe("SMS commission", () => {
  it("when the handbook default applies, then MTS pays 3 % plus 10 rubles and every other operator 3 %", () => {
    expect(smsCommissionKopecks(10_000n, "mts")).toBe(1_300n);
    expect(smsCommissionKopecks(10_000n, "МТС")).toBe(1_300n);
    expect(smsCommissionKopecks(10_000n, "beeline")).toBe(300n);
    expect(smsCommissionKopecks(10_000n, "megafon")).toBe(300n);
    expect(smsCommissionKopecks(10_000n, "tele2")).toBe(300n);
    expect(smsCommissionKopecks(10_000n, "some-new-operator")).toBe(300n);
    expect(smsCommissionKopecks(SMS3116_LIMITS.maxKopecks, "mts")).toBe(16_000n);
  });

  it("when 3 % falls on half a kopeck or more, then it is rounded up; below half, down", () => {
    expect(smsCommissionKopecks(1_050n, "beeline")).toBe(32n); // 31.5 → 32
    expect(smsCommissionKopecks(1_049n, "beeline")).toBe(31n); // 31.47 → 31
    expect(smsCommissionKopecks(1_017n, "beeline")).toBe(31n); // 30.51 → 31
    expect(smsCommissionKopecks(1_016n, "beeline")).toBe(30n); // 30.48 → 30
    expect(smsCommissionKopecks(1_050n, "mts")).toBe(1_032n);
  });

  it.each([
    ["mts", "mts"],
    ["MTS", "mts"],
    [" Mts ", "mts"],
    ["МТС", "mts"],
    ["mts-ru", "mts"],
    ["Beeline", "beeline"],
    ["Билайн", "beeline"],
    ["VimpelCom", "beeline"],
    ["MegaFon", "megafon"],
    ["Мегафон", "megafon"],
    ["megafon_dv", "megafon"],
    ["Tele2", "tele2"],
    ["TELE 2", "tele2"],
    ["Теле2", "tele2"],
    ["T2", "tele2"],
    ["Yota", "yota"],
    ["Motiv", "motiv"],
  ])("when the operator is named %j, then it is %s", (name, normalised) => {
    expect(normaliseOperator(name)).toBe(normalised);
  });

  it("when the documented configuration string is read, then it gives the handbook's rules", () => {
    const parsed = parseSmsCommissionConfig("mts:3+10.00,beeline:3,megafon:3,tele2:3,*:3");
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.table.otherwise).toEqual(DEFAULT_SMS_COMMISSION.otherwise);
    expect(smsCommissionRuleFor("MTS", parsed.table)).toEqual({ percentBasisPoints: 300n, fixedKopecks: 1_000n });
    expect(smsCommissionRuleFor("beeline", parsed.table)).toEqual({ percentBasisPoints: 300n, fixedKopecks: 0n });
    for (const operator of ["mts", "beeline", "megafon", "tele2", "other"]) {
      expect(smsCommissionKopecks(12_345n, operator, parsed.table)).toBe(smsCommissionKopecks(12_345n, operator));
    }
  });

  it("when a configuration uses fractions of a percent, Cyrillic names and spaces around entries, then they are read exactly", () => {
    const parsed = parseSmsCommissionConfig(" МТС:2.75+9.5 , t2:0 , *:3.25+0 ");
    expect(parsed.ok && [...parsed.table.operators]).toEqual([
      ["mts", { percentBasisPoints: 275n, fixedKopecks: 950n }],
      ["tele2", { percentBasisPoints: 0n, fixedKopecks: 0n }],
    ]);
    expect(parsed.ok && parsed.table.otherwise).toEqual({ percentBasisPoints: 325n, fixedKopecks: 0n });
  });

  it.each([
    ["", /is empty/],
    ["mts:3+10", /no "\*" entry/],
    ["mts:3,*:3,", /entry 3 "" is not <operator>:<percent>/],
    ["mts 3,*:3", /entry 1 "mts 3" is not/],
    ["mts: 3,*:3", /entry 1 "mts: 3": percent " 3"/],
    ["mts:3%,*:3", /percent "3%"/],
    ["mts:3.255,*:3", /percent "3.255" must be a number from 0 to 100/],
    ["mts:101,*:3", /percent "101"/],
    ["mts:-1,*:3", /percent "-1"/],
    ["mts:3+10,5,*:3", /entry 2 "5" is not/],
    ["mts:3+10.001,*:3", /fixed fee "10.001"/],
    ["mts:3+,*:3", /entry 1 "mts:3\+" is not/],
    ["mts:3,MTS:4,*:3", /operator "mts" is given twice/],
    ["mts:3,*:3,*:4", /"\*" is given twice/],
    ["m*s:3,*:3", /operator "m\*s"/],
  ])("when the configuration is %j, then it is refused with an error naming the mistake", (text, error) => {
    const parsed = parseSmsCommissionConfig(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.errors.join("\n")).toMatch(error);
  });

  it("when several entries are wrong, then every mistake is reported at once", () => {
    const parsed = parseSmsCommissionConfig("mts:x,beeline:3+y");
    expect(parsed.ok ? [] : parsed.errors).toHaveLength(3);
  });
});

describe("answering SMS 3116", () => {
  it("when an incoming SMS is answered, then the body is the documented reply format as text/plain", () => {
    const reply = replySms3116Incoming("8800123", "Текст ответа");
    expect(reply).toEqual({
      status: 200,
      contentType: "text/plain; charset=utf-8",
      body: "smsid: 8800123\nstatus: reply\ncontent-type: text/plain\n\nТекст ответа",
    });
    expect(replySms3116Incoming("1\r\nstatus: x", "t").body.split("\n")[0]).toBe("smsid: 1status: x");
  });

  it("when a pending payment is opened, then the reply states the sum, the commission, the total and asks to confirm", () => {
    const text = smsReplyText({ kind: "pendingOpened", accountNumber: "100080", amountKopecks: 10_000n, commissionKopecks: smsCommissionKopecks(10_000n, "mts") });
    expect(text).toBe("Оплата л/с 100080: 100 руб. + комиссия 13 руб. = 113 руб. Для подтверждения ответьте на это SMS.");
    const withKopecks = smsReplyText({ kind: "pendingOpened", accountNumber: "100080", amountKopecks: 10_050n, commissionKopecks: 302n });
    expect(withKopecks).toContain("100,50 руб. + комиссия 3,02 руб. = 103,52 руб.");
  });

  it("when the account is unknown or closed, then the reply names it and opens nothing", () => {
    expect(smsReplyText({ kind: "accountNotFound", accountNumber: "100080" })).toBe(
      "Лицевой счёт 100080 не найден. Формат: aliance <лицевой счёт> <сумма>, например aliance 100080 500",
    );
    expect(smsReplyText({ kind: "accountClosed", accountNumber: "100080" })).toBe("Лицевой счёт 100080 закрыт, оплата не принята.");
  });

  it("when the text is malformed, then the reply says what is missing and explains the format", () => {
    const text = smsReplyText({ kind: "malformedText", problem: "no-sum" });
    expect(text).toBe("Не указана сумма. Формат: aliance <лицевой счёт> <сумма>, например aliance 100080 500");
    for (const problem of ["empty", "no-prefix", "no-account", "bad-account", "no-sum", "bad-sum", "extra-words"] as const) {
      expect(smsReplyText({ kind: "malformedText", problem })).toContain("aliance <лицевой счёт> <сумма>");
    }
  });

  it("when the sum is out of limits, then the reply names the limits of 10 to 5000 rubles", () => {
    expect(smsReplyText({ kind: "amountOutOfLimits", amountKopecks: 500n, ...SMS3116_LIMITS })).toBe(
      "Сумма 5 руб. вне лимита: от 10 до 5000 руб. за платёж.",
    );
  });

  it("when every reply is written with the longest account and sums, then it fits two SMS parts of Cyrillic text", () => {
    const longest: Sms3116ReplyText[] = [
      { kind: "pendingOpened", accountNumber: "123456789012", amountKopecks: 499_999n, commissionKopecks: smsCommissionKopecks(499_999n, "mts") },
      { kind: "accountNotFound", accountNumber: "123456789012" },
      { kind: "accountClosed", accountNumber: "123456789012" },
      ...(["empty", "no-prefix", "no-account", "bad-account", "no-sum", "bad-sum", "extra-words"] as const).map((problem) => ({ kind: "malformedText" as const, problem })),
      { kind: "amountOutOfLimits", amountKopecks: 9_999_999_99n, ...SMS3116_LIMITS },
    ];
    for (const reply of longest) expect(smsReplyText(reply).length, smsReplyText(reply)).toBeLessThanOrEqual(SMS_REPLY_MAX_CHARS);
    expect(SMS_REPLY_MAX_CHARS).toBe(2 * 67);
  });

  it("when sums are written for an SMS, then whole rubles have no kopecks and a comma separates them otherwise", () => {
    expect(formatSmsRubles(50_000n)).toBe("500");
    expect(formatSmsRubles(1_050n)).toBe("10,50");
    expect(formatSmsRubles(1n)).toBe("0,01");
  });

  it.each([
    [Sms3116StatusResult.ok, 200],
    [Sms3116StatusResult.invalidRequest, 400],
    [Sms3116StatusResult.badSignature, 403],
    [Sms3116StatusResult.notFound, 404],
  ])("when a status callback is answered %s, then the JSON body carries it with HTTP %d", (result, status) => {
    expect(replySms3116Status(result)).toEqual({ status, contentType: "application/json; charset=utf-8", body: `{"result":"${result}"}` });
  });

  it("when the status results are listed, then they are the ones PROTOCOLS.md documents", () => {
    expect(Object.values(Sms3116StatusResult).sort()).toEqual(["error_invalid_request", "error_not_found", "error_signature", "ok"]);
  });
});

function flipLastHexDigit(hex: string): string {
  const last = hex.slice(-1);
  return hex.slice(0, -1) + (last === "0" ? "1" : "0");
}
