import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseBankStatement1C, type BankStatement, type StatementDocument, type StatementParseResult } from "../../src/registries/bank-statement-1c.ts";
import type { RegistryTotals } from "../../src/registries/format.ts";
import {
  DEFAULT_SETTLEMENT_RULES,
  documentKey,
  expectedTransfer,
  findSettlement,
  mentionsDay,
  type SettlementRules,
} from "../../src/registries/settlement.ts";

// The bank side of the three-way reconciliation (REGISTRIES.md §5): the 1C client-bank statement, read exactly in its
// cp1251 bytes, and the registry's transfer found in it by payment order or by payer and purpose.

const fixture = (name: string) => readFileSync(new URL(`../fixtures/registries/statements/${name}`, import.meta.url));

/** cp1251 has no encoder in Node: the table is built from the decoder, so mutated fixtures stay real cp1251 bytes. */
const cp1251 = (() => {
  const decoder = new TextDecoder("windows-1251");
  const table = new Map<string, number>();
  for (let byte = 0; byte < 256; byte += 1) table.set(decoder.decode(Uint8Array.of(byte)), byte);
  return (text: string) => Buffer.from([...text].map((char) => table.get(char) ?? 0x3f));
})();
const day1Text = new TextDecoder("windows-1251").decode(fixture("1c-2026-11-24.txt"));

function parsed(result: StatementParseResult): BankStatement {
  if (!result.ok) throw new Error(`refused: ${result.reason} at line ${result.line}: ${result.message}`);
  return result.statement;
}

const day1 = parsed(parseBankStatement1C(fixture("1c-2026-11-24.txt")));
const day2 = parsed(parseBankStatement1C(fixture("1c-2026-11-25.txt")));
const allDocuments = [...day1.documents, ...day2.documents];

const OWN = "40702810650000004217";
const ALLIANCE = 'ООО "АЛЬЯНС ТЕЛЕКОМ"';

describe("parsing a 1C client-bank statement", () => {
  it("when the cp1251 statement of 24.11.2026 is read, then its header, balances and every document come out exactly, Cyrillic included", () => {
    expect(day1).toEqual({
      account: OWN,
      accounts: [OWN],
      from: "2026-11-24",
      to: "2026-11-24",
      createdAt: "2026-11-25T08:12:40",
      formatVersion: "1.03",
      sender: "СберБизнес",
      encoding: "windows-1251",
      declaredEncoding: "Windows",
      balances: [
        { line: 13, account: OWN, from: "2026-11-24", to: "2026-11-24", openingKopecks: 25000000n, receivedKopecks: 1523249n, debitedKopecks: 4500000n, closingKopecks: 22023249n },
      ],
      documents: [
        {
          line: 22,
          kind: "Платежное поручение",
          number: "2291",
          date: "2026-11-24",
          amountKopecks: 153499n,
          payerName: "ПАО СБЕРБАНК",
          payerInn: "7707083893",
          payerAccount: "30232810870000000052",
          payeeName: ALLIANCE,
          payeeInn: "2536000017",
          payeeAccount: OWN,
          purpose:
            "Перечисление денежных средств по реестру № 1 за 23.11.2026 по договору № 52/1001 от 15.03.2021. Принято 2 платежа на сумму 1550.50, комиссия 15.51. НДС не облагается",
          paymentKind: "01",
          received: "2026-11-24",
          direction: "in",
          account: OWN,
        },
        {
          line: 52,
          kind: "Платежное поручение",
          number: "118",
          date: "2026-11-24",
          amountKopecks: 1200000n,
          payerName: "ООО «Ромашка ДВ»",
          payerInn: "2540000033",
          payerAccount: "40702810400000000815",
          payeeName: ALLIANCE,
          payeeInn: "2536000017",
          payeeAccount: OWN,
          purpose: "Оплата по счету № 4471 от 20.11.2026 за услуги доступа в интернет за декабрь 2026 г. НДС не облагается",
          paymentKind: "01",
          received: "2026-11-24",
          direction: "in",
          account: OWN,
        },
        {
          line: 80,
          kind: "Платежное поручение",
          number: "905",
          date: "2026-11-24",
          amountKopecks: 4500000n,
          payerName: ALLIANCE,
          payerInn: "2536000017",
          payerAccount: OWN,
          payeeName: "ООО «Магистраль ДВ»",
          payeeInn: "2537000041",
          payeeAccount: "40702810700000000423",
          purpose: "Оплата по счету № 77 от 18.11.2026 за аренду каналов связи за ноябрь 2026 г. В т.ч. НДС 20% 7500.00",
          paymentKind: "01",
          debited: "2026-11-24",
          direction: "out",
          account: OWN,
        },
        {
          line: 107,
          kind: "Платежное поручение",
          number: "61734",
          date: "2026-11-24",
          amountKopecks: 169750n,
          payerName: "ООО «Агент приёма платежей»",
          payerInn: "7700000019",
          payerAccount: "40702810000000000190",
          payeeName: ALLIANCE,
          payeeInn: "2536000017",
          payeeAccount: OWN,
          purpose: "Перечисление денежных средств по реестру платежей за 23.11.2026 по агентскому договору № 45-АП от 01.06.2024. Без НДС",
          paymentKind: "01",
          received: "2026-11-24",
          direction: "in",
          account: OWN,
        },
      ],
      warnings: [],
    });
  });

  it("when the statement of 25.11.2026 is read, then a purpose given only as НазначениеПлатежа1..2 is joined, a payer without an INN is kept, and the bank's order debiting the account is outgoing", () => {
    expect(day2.from).toBe("2026-11-25");
    expect(day2.balances).toEqual([
      { line: 13, account: OWN, from: "2026-11-25", to: "2026-11-25", openingKopecks: 22023249n, receivedKopecks: 673930n, debitedKopecks: 150000n, closingKopecks: 22547179n },
    ]);
    expect(day2.documents.map((document) => [document.kind, document.number, document.date, document.amountKopecks, document.direction, document.received ?? document.debited])).toEqual([
      ["Платежное поручение", "2307", "2026-11-25", 295530n, "in", "2026-11-25"],
      ["Платежное поручение", "4410", "2026-11-25", 78400n, "in", "2026-11-25"],
      ["Платежное поручение", "15", "2026-11-24", 300000n, "in", "2026-11-25"],
      ["Банковский ордер", "880112", "2026-11-25", 150000n, "out", "2026-11-25"],
    ]);
    const subscriber = day2.documents[2]!;
    expect(subscriber.purpose).toBe("Оплата услуг связи по лицевому счету 100010 Ким А.С. НДС не облагается");
    expect(subscriber.payerName).toBe("Ким Анна Сергеевна");
    expect(subscriber.payerInn).toBe("");
    const commission = day2.documents[3]!;
    expect([commission.payeeName, commission.payeeInn, commission.paymentKind, commission.purpose]).toEqual([
      "ПАО СБЕРБАНК",
      "7707083893",
      "17",
      "Комиссия за ведение счета за ноябрь 2026 г. Без НДС",
    ]);
    expect(day2.warnings).toEqual([]);
  });

  it("when the same statement comes in DOS (cp866) or as UTF-8 with a BOM under Кодировка=Windows, then the documents are the same", () => {
    const dos = parsed(parseBankStatement1C(fixture("1c-2026-11-24-dos.txt")));
    expect([dos.encoding, dos.declaredEncoding]).toEqual(["ibm866", "DOS"]);
    const withoutGuillemets = day1.documents.map((document) => ({
      ...document,
      payerName: document.payerName.replace(/[«»]/g, '"'),
      payeeName: document.payeeName.replace(/[«»]/g, '"'),
    }));
    expect(dos.documents).toEqual(withoutGuillemets);

    const utf8 = parsed(parseBankStatement1C(fixture("1c-2026-11-24-utf8-bom.txt")));
    expect([utf8.encoding, utf8.declaredEncoding]).toEqual(["utf-8", "Windows"]);
    expect(utf8.documents).toEqual(day1.documents);
    expect(utf8.warnings).toEqual(["Кодировка=Windows but the bytes are UTF-8 with a BOM: read as UTF-8"]);
  });

  it("when a header says Кодировка=UTF-8 and the bytes are UTF-8, then it is read so without a warning", () => {
    const statement = parsed(parseBankStatement1C(Buffer.from(day1Text.replace("Кодировка=Windows", "Кодировка=UTF-8"), "utf8")));
    expect(statement.encoding).toBe("utf-8");
    expect(statement.warnings).toEqual([]);
    expect(statement.documents).toEqual(day1.documents);
  });

  it("when a purpose was broken over two lines by hand, then the malformed statement is refused with that line", () => {
    const result = parseBankStatement1C(fixture("1c-malformed.txt"));
    expect(result).toEqual({
      ok: false,
      reason: "malformed_line",
      line: 79,
      message: 'line 79: "за услуги доступа в интернет за декабрь 2026 г. НДС не облаг…" is neither Key=Value nor a section mark',
    });
  });

  const refusals: [string, (text: string) => string, { reason: string; line: number }][] = [
    ["the file is cut before КонецФайла", (text) => text.replace(/КонецФайла\r\n$/, ""), { reason: "missing_end", line: 134 }],
    ["the file is cut inside a document", (text) => text.slice(0, text.indexOf("Номер=61734")), { reason: "missing_end", line: 107 }],
    ["a sum is written with a comma and a space", (text) => text.replace("Сумма=1534.99", "Сумма=1 534,99"), { reason: "bad_amount", line: 25 }],
    ["a sum has three decimals", (text) => text.replace("Сумма=1697.50", "Сумма=1697.505"), { reason: "bad_amount", line: 110 }],
    ["the encoding is one the format does not have", (text) => text.replace("Кодировка=Windows", "Кодировка=KOI8-R"), { reason: "bad_encoding", line: 3 }],
    ["a date is not on the calendar", (text) => text.replace("Дата=24.11.2026\r\nСумма=12000", "Дата=31.11.2026\r\nСумма=12000"), { reason: "bad_date", line: 54 }],
    ["a document repeats its sum", (text) => text.replace("Сумма=12000\r\n", "Сумма=12000\r\nСумма=1200\r\n"), { reason: "malformed_line", line: 56 }],
    ["a document opens inside another", (text) => text.replace("КонецДокумента\r\nСекцияДокумент=Платежное поручение\r\nНомер=118", "СекцияДокумент=Платежное поручение\r\nНомер=118"), { reason: "malformed_line", line: 51 }],
    ["the balances do not add up", (text) => text.replace("КонечныйОстаток=220232.49", "КонечныйОстаток=220232.50"), { reason: "totals_mismatch", line: 21 }],
    ["the header has no account", (text) => text.replace(`РасчСчет=${OWN}\r\nДокумент`, "Документ"), { reason: "missing_field", line: 12 }],
    ["a document touches none of the statement's accounts and has no dates", (text) => text.replace(`ПолучательСчет=${OWN}\r\nПолучатель=ИНН 2536000017 ООО "АЛЬЯНС ТЕЛЕКОМ"\r\nПолучательИНН=2536000017\r\nПолучатель1=ООО "АЛЬЯНС ТЕЛЕКОМ"\r\nПолучательРасчСчет=${OWN}`, "ПолучательСчет=40702810999999999999").replace("ДатаПоступило=24.11.2026\r\nВидПлатежа", "ВидПлатежа"), { reason: "unknown_direction", line: 22 }],
    ["a line follows КонецФайла", (text) => `${text}Сумма=1\r\n`, { reason: "malformed_line", line: 136 }],
    ["the first line is not 1CClientBankExchange", (text) => text.replace("1CClientBankExchange", "1CClientBank"), { reason: "not_a_statement", line: 1 }],
  ];
  it.each(refusals)("when %s, then the statement is refused with the reason and line", (_case, mutate, expected) => {
    const result = parseBankStatement1C(cp1251(mutate(day1Text)));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect({ reason: result.reason, line: result.line }).toEqual(expected);
    expect(result.message).not.toBe("");
  });

  it("when the header names DOS but the bytes are cp1251, then it is refused as a bad encoding instead of garbling every name", () => {
    const result = parseBankStatement1C(cp1251(day1Text.replace("Кодировка=Windows", "Кодировка=DOS")));
    expect(result).toMatchObject({ ok: false, reason: "bad_encoding", line: 3 });
  });

  it("when the encoding is forced by the caller, then the header's Кодировка is not consulted", () => {
    const statement = parsed(parseBankStatement1C(cp1251(day1Text.replace("Кодировка=Windows", "Кодировка=DOS")), { encoding: "windows-1251" }));
    expect([statement.encoding, statement.declaredEncoding]).toEqual(["windows-1251", "DOS"]);
    expect(statement.documents).toEqual(day1.documents);
  });

  it("when the file is empty or only a BOM and blank lines, then it is refused as empty", () => {
    expect(parseBankStatement1C(Buffer.alloc(0))).toMatchObject({ ok: false, reason: "empty_file" });
    expect(parseBankStatement1C(Buffer.from("\ufeff\r\n\r\n", "utf8"))).toMatchObject({ ok: false, reason: "empty_file" });
  });

  it("when a statement carries fewer documents than its turnover, then it is read with a warning naming the difference", () => {
    const start = day1Text.indexOf("СекцияДокумент=Платежное поручение\r\nНомер=118");
    const end = day1Text.indexOf("КонецДокумента\r\n", start) + "КонецДокумента\r\n".length;
    const statement = parsed(parseBankStatement1C(cp1251(day1Text.slice(0, start) + day1Text.slice(end))));
    expect(statement.documents).toHaveLength(3);
    expect(statement.warnings).toEqual([`account ${OWN}: ВсегоПоступило 15232.49 but its documents sum to 3232.49`]);
  });

  it("when lines end in bare LF and a DOS end-of-file mark follows КонецФайла, then the statement reads the same", () => {
    const statement = parsed(parseBankStatement1C(cp1251(`${day1Text.replace(/\r\n/g, "\n")}\u001a`)));
    expect(statement.documents).toEqual(day1.documents);
  });
});

// ---- settlement -------------------------------------------------------------------------------------------------

/** Test configuration: which payer pays which channel is per contract (DEFAULT_SETTLEMENT_RULES has placeholders). */
const rules: SettlementRules = {
  ...DEFAULT_SETTLEMENT_RULES,
  payers: {
    ...DEFAULT_SETTLEMENT_RULES.payers,
    "bank:sberbank": { inns: ["7707083893"], purpose: /реестр/i },
    "osmp:qiwi": { inns: ["7700000019"] },
    card: { inns: ["7707083893"], purpose: /эквайринг/i },
  },
};

/** The §1 example registry: =2;1550.50;15.51;1534.99;2291;24/11/2026. */
const sberbank23: { channel: string; day: string; totals: RegistryTotals } = {
  channel: "bank:sberbank",
  day: "2026-11-23",
  totals: { count: 2, amountKopecks: 155050n, commissionKopecks: 1551n, transferKopecks: 153499n, paymentOrder: { number: "2291", date: "2026-11-24" } },
};
const sberbank24 = {
  channel: "bank:sberbank",
  day: "2026-11-24",
  totals: { count: 3, amountKopecks: 298530n, commissionKopecks: 1500n, transferKopecks: 297030n, paymentOrder: { number: "2307", date: "2026-11-25" } },
};
/** The §2 QIWI example: Total: 2 1750.00, no commission in the file. */
const qiwi23 = { channel: "osmp:qiwi", day: "2026-11-23", totals: { count: 2, amountKopecks: 175000n } };
/** The §3 card example: TOTAL;1;800,00;16,00;784,00, no payment order. */
const card23 = { channel: "card", day: "2026-11-23", totals: { count: 1, amountKopecks: 80000n, commissionKopecks: 1600n, transferKopecks: 78400n } };

describe("finding a registry's transfer in the bank statement", () => {
  it("when the §1 registry names п/п 2291 of 24.11.2026 and the statement has it for 1534.99, then it is matched by the payment order", () => {
    const result = findSettlement(sberbank23, {}, allDocuments, rules);
    expect(result).toMatchObject({
      status: "matched",
      foundBy: "payment_order",
      expectedKopecks: 153499n,
      foundKopecks: 153499n,
      differenceKopecks: 0n,
      commissionKopecks: 1551n,
      commissionSource: "file",
    });
    if (result.status === "matched") expect([result.document.number, result.document.line]).toEqual(["2291", 22]);
  });

  it("when the payment order's date is written dd/mm/yyyy as in the footer, or its number with leading zeros, then it is the same order; and no payer configuration is needed", () => {
    const asWritten = { ...sberbank23, totals: { ...sberbank23.totals, paymentOrder: { number: "002291", date: "24/11/2026" } } };
    expect(findSettlement(asWritten, {}, allDocuments, DEFAULT_SETTLEMENT_RULES)).toMatchObject({ status: "matched", foundBy: "payment_order", differenceKopecks: 0n });
  });

  it("when Sberbank's transfer for 24.11 (п/п 2307) is 15.00 short of total − commission, then it is a mismatch with the difference", () => {
    expect(findSettlement(sberbank24, {}, allDocuments, rules)).toMatchObject({
      status: "mismatch",
      foundBy: "payment_order",
      expectedKopecks: 297030n,
      foundKopecks: 295530n,
      differenceKopecks: -1500n,
      document: { number: "2307", date: "2026-11-25", payerInn: "7707083893" },
    });
  });

  it("when the QIWI registry has no commission and no payment order, then the profile's commission sets the expected sum and the agent's transfer naming 23.11.2026 is found by payer and purpose, 17.50 short", () => {
    expect(findSettlement(qiwi23, { commissionKopecks: 3500n }, allDocuments, rules)).toMatchObject({
      status: "mismatch",
      foundBy: "payer_and_purpose",
      expectedKopecks: 171500n,
      commissionKopecks: 3500n,
      commissionSource: "profile",
      foundKopecks: 169750n,
      differenceKopecks: -1750n,
      document: { number: "61734", payerInn: "7700000019" },
    });
  });

  it("when the card acquirer's report names no payment order, then its settlement is found by payer and purpose (23.11.26) and not confused with the same bank's registry transfer", () => {
    expect(findSettlement(card23, {}, allDocuments, rules)).toMatchObject({
      status: "matched",
      foundBy: "payer_and_purpose",
      expectedKopecks: 78400n,
      foundKopecks: 78400n,
      differenceKopecks: 0n,
      document: { number: "4410" },
    });
  });

  it("when two transfers from the payer name the day and neither is the expected sum, then nothing is chosen and both are shown", () => {
    const vague = { ...rules, payers: { ...rules.payers, card: { inns: ["7707083893"] } } };
    const result = findSettlement({ ...card23, totals: { count: 1, amountKopecks: 70000n } }, {}, allDocuments, vague);
    expect(result.status).toBe("not_found");
    if (result.status === "not_found") expect(result.candidates.map((document) => document.number)).toEqual(["2291", "4410"]);
  });

  it("when no transfer for the registry is in the statement, then it is not found, saying what was searched", () => {
    const qiwi22 = { ...qiwi23, day: "2026-11-22" };
    const result = findSettlement(qiwi22, { commissionKopecks: 3500n }, allDocuments, rules);
    expect(result).toMatchObject({ status: "not_found", expectedKopecks: 171500n, candidates: [] });
    if (result.status === "not_found") expect(result.reason).toContain("2026-11-22");

    const unknownOrder = { ...sberbank23, day: "2026-11-25", totals: { ...sberbank23.totals, paymentOrder: { number: "9999", date: "2026-11-26" } } };
    const missing = findSettlement(unknownOrder, {}, allDocuments, rules);
    expect(missing.status).toBe("not_found");
    if (missing.status === "not_found") expect(missing.reason).toBe("no incoming payment order № 9999 of 2026-11-26; no incoming transfer from the payer naming 2026-11-25 in its purpose between 2026-11-25 and 2026-12-02");
  });

  it("when the payment order's number and date belong to another payer's document, then it is not taken for the channel's transfer", () => {
    const impostor: StatementDocument = { ...day1.documents[1]!, number: "2291", date: "2026-11-24", amountKopecks: 153499n };
    const result = findSettlement(sberbank23, {}, [impostor], rules);
    expect(result.status).toBe("not_found");
    if (result.status === "not_found") expect(result.reason).toContain("from another payer (ООО «Ромашка ДВ» ИНН 2540000033)");
  });

  it("when only an outgoing document carries the number, or the transfer is already taken by another registry, then nothing is found", () => {
    const outgoing: StatementDocument = { ...day1.documents[0]!, direction: "out" };
    expect(findSettlement(sberbank23, {}, [outgoing], rules).status).toBe("not_found");
    expect(findSettlement(sberbank23, {}, allDocuments, rules, { exclude: new Set([documentKey(day1.documents[0]!)]) }).status).toBe("not_found");
  });

  it("when the transfer is credited after the search window, then payer and purpose do not find it", () => {
    expect(findSettlement(qiwi23, { commissionKopecks: 3500n }, allDocuments, { ...rules, windowDays: 0 }).status).toBe("not_found");
    expect(findSettlement(qiwi23, { commissionKopecks: 3500n }, allDocuments, { ...rules, windowDays: 1 }).status).toBe("mismatch");
  });

  it("when the channel is a wallet (YooMoney, WebMoney), then the settlement check does not apply", () => {
    expect(findSettlement({ channel: "yoomoney", day: "2026-11-23" }, {}, allDocuments, rules)).toMatchObject({ status: "not_applicable" });
    expect(findSettlement({ channel: "webmoney", day: "2026-11-23", totals: { count: 1, amountKopecks: 100n } }, {}, allDocuments, rules)).toMatchObject({ status: "not_applicable" });
  });
});

describe("the expected transfer and the registry day in a purpose", () => {
  it("when the file states a commission it is used, else the profile's, else none", () => {
    expect(expectedTransfer(sberbank23.totals, { commissionKopecks: 99n })).toEqual({ expectedKopecks: 153499n, commissionKopecks: 1551n, commissionSource: "file" });
    expect(expectedTransfer({ count: 1, amountKopecks: 100000n }, { commissionKopecks: 0n })).toEqual({ expectedKopecks: 100000n, commissionKopecks: 0n, commissionSource: "profile" });
    expect(expectedTransfer({ count: 1, amountKopecks: 100000n })).toEqual({ expectedKopecks: 100000n, commissionKopecks: 0n, commissionSource: "none" });
  });

  it.each([
    ["Перечисление по реестру за 23.11.2026", true],
    ["реестр № 5 от 23.11.26, без НДС", true],
    ["за 23/11/2026", true],
    ["операции 2026-11-23", true],
    ["за 3.11.2026", false],
    ["за 123.11.2026", false],
    ["за 23.11.20265", false],
    ["за 23.11.2025", false],
    ["за 23.11/2026", false],
  ])("when the purpose is %j, then it mentions 2026-11-23: %s", (purpose, expected) => {
    expect(mentionsDay(purpose, "2026-11-23")).toBe(expected);
  });

  it("when the day has a one-digit day and month, then both spellings count", () => {
    expect(mentionsDay("реестр за 05.01.2027", "2027-01-05")).toBe(true);
    expect(mentionsDay("реестр за 5.1.2027", "2027-01-05")).toBe(true);
  });
});
