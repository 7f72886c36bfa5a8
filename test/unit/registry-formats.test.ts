import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import type { ParsedRegistry, ParseOptions, ParseResult, RegistryFormat, RegistryLine } from "../../src/registries/format.ts";
import { bankSemicolonFormat, createBankSemicolonFormat } from "../../src/registries/formats/bank-semicolon.ts";
import { cardCsvFormat } from "../../src/registries/formats/card-csv.ts";
import { arsenalpayCsvFormat } from "../../src/registries/formats/arsenalpay-csv.ts";
import { createRegistryFormat, isRegistryFormatName, REGISTRY_FORMAT_NAMES, REGISTRY_FORMATS } from "../../src/registries/formats/index.ts";
import { qiwiKassaFormat } from "../../src/registries/formats/qiwi-kassa.ts";
import { createQiwiTabFormat, qiwiTabFormat } from "../../src/registries/formats/qiwi-tab.ts";
import { smsCsvFormat } from "../../src/registries/formats/sms-csv.ts";
import { ddmmyyToIso, decodeRegistry, dmyToIso, firstInvalidUtf8, splitDateTime, splitLines, yyyymmddToIso } from "../../src/registries/formats/text.ts";

// The registry file parsers (REGISTRIES.md §1-4 and the rules for every registry): real files of every format in
// test/fixtures/registries (generate.py there documents how their bytes were made), each parsed to exactly its lines
// and totals, and every way a file is refused whole, with the reason and the line.

const FIXTURES = new URL("../fixtures/registries/", import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

function parseFixture(format: RegistryFormat, name: string, options: Partial<ParseOptions> = {}): ParseResult {
  return format.parse(fixture(name), { fileName: basename(name), ...options });
}

function accepted(result: ParseResult): ParsedRegistry {
  if (!result.ok) throw new Error(`expected the file to be accepted, got ${result.reason}: ${result.message}`);
  return result.registry;
}

function refused(result: ParseResult): Extract<ParseResult, { ok: false }> {
  if (result.ok) throw new Error(`expected the file to be refused, it parsed to ${result.registry.lines.length} lines`);
  return result;
}

const utf8 = (text: string) => Buffer.from(text, "utf8");
const ascii = (text: string) => Buffer.from(text, "ascii");

const SBER_FILE = "2536012345_40702810950000012345_231126_001.txt";

describe("bank-semicolon (§1: Sberbank, Primorye)", () => {
  it("when Sberbank's cp1251 registry is parsed, then every line comes out with its own date, Cyrillic payers and the footer's payment order", () => {
    const registry = accepted(parseFixture(bankSemicolonFormat, SBER_FILE));
    const payment = (line: number, externalId: string, account: string, amount: bigint, commission: bigint, date: string, time: string, extra: Partial<RegistryLine>): RegistryLine => ({
      line,
      externalId,
      account,
      amountKopecks: amount,
      commissionKopecks: commission,
      operation: "payment",
      date,
      time,
      ...extra,
    });
    expect(registry).toStrictEqual({
      day: "2026-11-23",
      sequence: 1,
      encoding: "windows-1251",
      lines: [
        payment(1, "5100070001", "100080", 150000n, 1500n, "2026-11-22", "23:59:59", { payer: "Иванов Иван Иванович", references: { address: "г. Владивосток, ул. Луговая, 21а" } }),
        payment(2, "5100070002", "100081", 35050n, 351n, "2026-11-23", "09:14:05", { payer: "Петрова Мария Сергеевна" }),
        payment(3, "5100070003", "100082", 120000n, 1200n, "2026-11-23", "12:40:17", { references: { address: "г. Уссурийск, ул. Некрасова, 81" } }),
        payment(4, "5100070004", "100083", 80000n, 800n, "2026-11-23", "15:02:44", { payer: 'ООО "Ромашка"', references: { address: "г. Артём, ул. Фрунзе, 34" } }),
        payment(5, "5100070005", "100084", 200000n, 2000n, "2026-11-23", "18:30:00", { payer: "Кузнецова Алёна" }),
        payment(6, "5100070006", "100080", 150000n, 1500n, "2026-11-23", "21:47:55", { payer: "Иванов Иван Иванович", references: { address: "г. Владивосток, ул. Луговая, 21а" } }),
      ],
      totals: { count: 6, amountKopecks: 735050n, commissionKopecks: 7351n, transferKopecks: 727699n, paymentOrder: { number: "2291", date: "2026-11-24" } },
    });
  });

  it("when the bank's file arrives as UTF-8 with a BOM, then the BOM wins over the cp1251 default and the name gives sequence 2", () => {
    const registry = accepted(parseFixture(bankSemicolonFormat, "2536012345_40702810950000012345_231126_002.txt"));
    expect(registry.encoding).toBe("utf-8");
    expect(registry.sequence).toBe(2);
    expect(registry.lines.map((line) => [line.line, line.payer, line.references?.address])).toStrictEqual([
      [1, "Петрова Мария Сергеевна", undefined],
      [2, "Сидоров Алексей Петрович", "г. Находка, ул. Ленинская, 1а"],
    ]);
    expect(registry.totals).toStrictEqual({ count: 2, amountKopecks: 220000n, commissionKopecks: 2200n, transferKopecks: 217800n, paymentOrder: { number: "2292", date: "2026-11-24" } });
  });

  it("when a profile gives its own column map and dd.mm.yyyy (primorye), then the same rules read its layout", () => {
    const primorye = createRegistryFormat("bank-semicolon", {
      columns: { externalId: 0, date: 1, time: 2, account: 3, amount: 4, commission: 5, payer: 6, address: 7 },
      dateFormat: "dd.mm.yyyy",
    });
    const registry = accepted(parseFixture(primorye, "2540001234_40702810400000054321_231126_001.txt"));
    expect(registry.lines[0]).toStrictEqual({
      line: 1,
      externalId: "900100001",
      account: "100080",
      amountKopecks: 150000n,
      commissionKopecks: 0n,
      operation: "payment",
      date: "2026-11-23",
      time: "08:00:01",
      payer: "Иванов Иван Иванович",
      references: { address: "г. Владивосток" },
    });
    expect(registry.lines[3]).toStrictEqual({ line: 4, externalId: "900100004", account: "100083", amountKopecks: 25000n, commissionKopecks: 0n, operation: "payment", date: "2026-11-23", time: "16:45:00" });
    expect(registry.lines.map((line) => line.externalId)).toStrictEqual(["900100001", "900100002", "900100003", "900100004", "900100005"]);
    expect(registry.totals).toStrictEqual({ count: 5, amountKopecks: 685000n, commissionKopecks: 0n, transferKopecks: 685000n, paymentOrder: { number: "118", date: "2026-11-24" } });
    // The default map does not read it: the date is not in column 1.
    expect(refused(parseFixture(bankSemicolonFormat, "2540001234_40702810400000054321_231126_001.txt"))).toMatchObject({ reason: "malformed_line", line: 1 });
  });

  it("when a profile's column map points past its lines or two fields share a column, then building the format throws", () => {
    expect(() => createBankSemicolonFormat({ columns: { date: 0, time: 1, externalId: 2, account: 3, payer: 4, amount: 5, commission: 12 }, fieldCount: 10 })).toThrow(/commission = 12/);
    expect(() => createBankSemicolonFormat({ columns: { date: 0, time: 1, externalId: 2, account: 3, payer: 4, amount: 5, commission: 5 } })).toThrow(/share a column/);
  });

  it("when the footer's sum disagrees with the lines, then totals_mismatch names the footer's line and both values in rubles", () => {
    const result = refused(parseFixture(bankSemicolonFormat, "bad/2536012345_40702810950000012345_241126_001.txt"));
    expect(result).toMatchObject({ reason: "totals_mismatch", line: 4 });
    expect(result.message).toBe(
      "line 4: the footer disagrees with the lines: sum 2400.50 in the footer, 2350.50 by the lines; transfer 2376.99 in the footer, 2326.99 by the lines (sum − commission)",
    );
  });

  it("when the count alone differs, then the message says count and nothing else", () => {
    const text = "23/11/2026;09:14:05;8635;9001;5100070002;100081;;;350.50;3.51\r\n=2;350.50;3.51;346.99;1;24/11/2026\r\n";
    const result = refused(bankSemicolonFormat.parse(ascii(text), { fileName: SBER_FILE }));
    expect(result).toMatchObject({ reason: "totals_mismatch", line: 2, message: "line 2: the footer disagrees with the lines: count 2 in the footer, 1 line in the file" });
  });

  it.each([
    ["a date that is not in the calendar", "31/11/2026;09:14:05;8635;9001;5100070002;100081;;;350.50;3.51", 'line 1: payment date "31/11/2026" is not a real dd/mm/yyyy date'],
    ["a time out of range", "23/11/2026;24:00:00;8635;9001;5100070002;100081;;;350.50;3.51", 'line 1: payment time "24:00:00" is not hh:mm:ss'],
    ["a comma where the profile has a point", "23/11/2026;09:14:05;8635;9001;5100070002;100081;;;350,50;3.51", 'line 1: sum "350,50" is not a plain decimal number of rubles'],
    ["three decimals", "23/11/2026;09:14:05;8635;9001;5100070002;100081;;;350.505;3.51", 'line 1: sum "350.505" must have at most two digits of kopecks'],
    ["a zero sum", "23/11/2026;09:14:05;8635;9001;5100070002;100081;;;0.00;0.00", "line 1: sum must be greater than zero"],
    ["a thousands separator", "23/11/2026;09:14:05;8635;9001;5100070002;100081;;;1 350.50;3.51", 'line 1: sum "1 350.50" is not a plain decimal number of rubles'],
    ["an operation number with letters", "23/11/2026;09:14:05;8635;9001;51000A0002;100081;;;350.50;3.51", 'line 1: operation number "51000A0002" is not 1 to 20 digits'],
    ["a missing field", "23/11/2026;09:14:05;8635;9001;5100070002;100081;;350.50;3.51", "line 1: has 9 fields, expected 10"],
  ])("when a payment line has %s, then the file is refused as malformed_line with the line and what is wrong", (_, line, message) => {
    const result = refused(bankSemicolonFormat.parse(ascii(`${line}\r\n=1;350.50;3.51;346.99;1;24/11/2026\r\n`), { fileName: SBER_FILE }));
    expect(result).toStrictEqual({ ok: false, reason: "malformed_line", line: 1, message });
  });

  it("when the footer is missing, is not last or is malformed, then the file is refused as malformed_line", () => {
    const line = "23/11/2026;09:14:05;8635;9001;5100070002;100081;;;350.50;3.51";
    const footer = "=1;350.50;3.51;346.99;1;24/11/2026";
    const parse = (text: string) => refused(bankSemicolonFormat.parse(ascii(text), { fileName: SBER_FILE }));
    expect(parse(`${line}\r\n${line}\r\n`)).toMatchObject({ reason: "malformed_line", line: 2, message: expect.stringContaining("without its footer") });
    expect(parse(`${footer}\r\n${line}\r\n`)).toMatchObject({ reason: "malformed_line", line: 1, message: expect.stringContaining("must be the last line") });
    expect(parse(`${line}\r\n=1;350.50;3.51;346.99;1\r\n`)).toMatchObject({ reason: "malformed_line", line: 2, message: expect.stringContaining("expected 6") });
    expect(parse(`${line}\r\n=1;350.50;3.51;346.99;1;31/02/2026\r\n`)).toMatchObject({ reason: "malformed_line", line: 2, message: expect.stringContaining('date "31/02/2026"') });
    expect(parse(`${line}\r\n=x;350.50;3.51;346.99;1;24/11/2026\r\n`)).toMatchObject({ reason: "malformed_line", line: 2, message: 'line 2: the footer\'s count "x" is not a whole number' });
  });

  it("when a day had no payments, then a footer alone with zeros and no payment order is an empty registry", () => {
    const registry = accepted(bankSemicolonFormat.parse(ascii("=0;0.00;0.00;0.00;;\r\n"), { fileName: SBER_FILE }));
    expect(registry.lines).toStrictEqual([]);
    expect(registry.totals).toStrictEqual({ count: 0, amountKopecks: 0n, commissionKopecks: 0n, transferKopecks: 0n });
  });

  it.each([
    ["2536012345_40702810950000012345_231126_001.csv"],
    ["2536012345_4070281095000001234_231126_001.txt"],
    ["2536012345_40702810950000012345_311126_001.txt"],
    ["2536012345_40702810950000012345_231126.txt"],
    ["реестр.txt"],
  ])("when the file is named %s, then it is refused as bad_file_name", (fileName) => {
    expect(refused(bankSemicolonFormat.parse(fixture(SBER_FILE), { fileName }))).toMatchObject({ reason: "bad_file_name" });
  });

  it("when the name comes with a directory, then only its last part counts", () => {
    expect(accepted(bankSemicolonFormat.parse(fixture(SBER_FILE), { fileName: `/var/spool/registries/${SBER_FILE}` })).day).toBe("2026-11-23");
  });
});

describe("qiwi-tab (§2: OSMP networks)", () => {
  it("when QIWI's standard file is parsed (tabs, bare CR line ends, whole rubles), then every line and the footer come out", () => {
    const registry = accepted(parseFixture(qiwiTabFormat, "QIWI_12345_202611231.csv"));
    const line = (n: number, externalId: string, time: string, account: string, amount: bigint): RegistryLine => ({
      line: n,
      externalId,
      account,
      amountKopecks: amount,
      operation: "payment",
      date: "2026-11-23",
      time,
    });
    expect(registry).toStrictEqual({
      day: "2026-11-23",
      sequence: 1,
      encoding: "utf-8",
      lines: [
        line(1, "7730010011", "08:15:02", "100080", 50000n),
        line(2, "7730010012", "09:01:40", "100081", 150000n),
        line(3, "7730010013", "12:00:00", "100082", 125000n),
        line(4, "7730010014", "17:45:10", "100083", 30000n),
        line(5, "7730010015", "21:47:55", "100084", 99999n),
        line(6, "7730010016", "23:59:59", "100080", 150000n),
      ],
      totals: { count: 6, amountKopecks: 604999n },
    });
  });

  it("when a network's profile sets ';' and cp1251, then its file (the day's second) is read with them", () => {
    const office = createRegistryFormat("qiwi-tab", { separator: ";", encoding: "windows-1251" });
    const registry = accepted(parseFixture(office, "QIWI_777_202611232.csv"));
    expect(registry.sequence).toBe(2);
    expect(registry.encoding).toBe("windows-1251");
    expect(registry.lines).toHaveLength(5);
    expect(registry.lines[2]).toStrictEqual({ line: 3, externalId: "8800000103", account: "100084", amountKopecks: 25050n, operation: "payment", date: "2026-11-23", time: "14:15:00" });
    expect(registry.totals).toStrictEqual({ count: 5, amountKopecks: 495050n });
    // The default (tab) profile refuses the same file: it has one field per line.
    expect(refused(parseFixture(qiwiTabFormat, "QIWI_777_202611232.csv"))).toMatchObject({ reason: "malformed_line", line: 1, message: "line 1: has 1 fields, expected 5: txn_id, date, time, account, sum" });
  });

  it("when the footer separates with spaces, tabs or both, then it is read", () => {
    for (const footer of ["Total: 1 500.00", "Total:\t1\t500.00", "Total:  1 \t 500.00", "TOTAL: 1 500.00"]) {
      const registry = accepted(qiwiTabFormat.parse(utf8(`7730010011\t23.11.2026\t08:15:02\t100080\t500.00\n${footer}\n`), { fileName: "QIWI_12345_202611231.csv" }));
      expect(registry.totals).toStrictEqual({ count: 1, amountKopecks: 50000n });
    }
  });

  it("when the footer's amount differs, then totals_mismatch on its line with both amounts", () => {
    const result = refused(qiwiTabFormat.parse(utf8("7730010011\t23.11.2026\t08:15:02\t100080\t500.00\nTotal: 1 500.01\n"), { fileName: "QIWI_12345_202611231.csv" }));
    expect(result).toStrictEqual({ ok: false, reason: "totals_mismatch", line: 2, message: "line 2: the footer disagrees with the lines: amount 500.01 in the footer, 500.00 by the lines" });
  });

  it("when the file stops without its footer, then it is refused as malformed_line on its last line", () => {
    expect(refused(parseFixture(qiwiTabFormat, "bad/QIWI_12345_202611241.csv"))).toStrictEqual({
      ok: false,
      reason: "malformed_line",
      line: 3,
      message: 'line 3: the file ends at line 3 without its footer "Total: <count> <amount>"',
    });
  });

  it("when the name is not QIWI_<service>_<YYYYMMDD><n>.csv, or names another service than the profile's, then bad_file_name", () => {
    const result = refused(parseFixture(qiwiTabFormat, "bad/QIWI_12345_2026-11-23.csv"));
    expect(result.reason).toBe("bad_file_name");
    expect(result.line).toBeUndefined();
    expect(result.message).toContain("QIWI_<service_id>_<YYYYMMDD><n>.csv");
    expect(refused(qiwiTabFormat.parse(fixture("QIWI_12345_202611231.csv"), { fileName: "QIWI_12345_20261123.csv" })).reason).toBe("bad_file_name");
    expect(refused(qiwiTabFormat.parse(fixture("QIWI_12345_202611231.csv"), { fileName: "QIWI_12345_202613011.csv" })).reason).toBe("bad_file_name");
    const qiwi = createQiwiTabFormat({ serviceId: "54321" });
    expect(refused(parseFixture(qiwi, "QIWI_12345_202611231.csv"))).toMatchObject({ reason: "bad_file_name", message: expect.stringContaining("service 12345") });
  });
});

describe("card-csv (§3: the card acquirer)", () => {
  const FILE = "alliance_20261123.csv";

  it("when the acquirer's report (BOM, CRLF, decimal comma, an extra column) is parsed, then deposits are payments and REFUND/REVERSAL refunds", () => {
    const registry = accepted(parseFixture(cardCsvFormat, FILE));
    expect(registry.day).toBe("2026-11-23");
    expect(registry.sequence).toBe(1);
    expect(registry.encoding).toBe("utf-8");
    expect(registry.lines[0]).toStrictEqual({
      line: 2,
      externalId: "AT-5501",
      account: "100080",
      amountKopecks: 150000n,
      commissionKopecks: 3000n,
      operation: "payment",
      date: "2026-11-23",
      time: "10:05:44",
      references: { mdOrder: "0b6a2f10-3c1d-4e55-9a21-6f0d2c4b8e01", rrn: "633210004512", authCode: "204918", pan: "427601******1234" },
    });
    expect(registry.lines[4]).toStrictEqual({
      line: 6,
      externalId: "AT-5480",
      account: "100084",
      amountKopecks: 50000n,
      commissionKopecks: 0n,
      operation: "refund",
      date: "2026-11-23",
      time: "16:00:00",
      references: { mdOrder: "4fae6354-7051-4299-9e65-ad4160802c05", rrn: "633210004516", pan: "427601******7890", operation: "REFUND" },
    });
    expect(registry.lines.map((line) => [line.line, line.externalId, line.operation, line.amountKopecks, line.commissionKopecks])).toStrictEqual([
      [2, "AT-5501", "payment", 150000n, 3000n],
      [3, "AT-5502", "payment", 80000n, 1600n],
      [4, "AT-5503", "payment", 200000n, 4000n],
      [5, "AT-5504", "payment", 35050n, 701n],
      [6, "AT-5480", "refund", 50000n, 0n],
      [7, "AT-5505", "payment", 120000n, 2400n],
      [8, "AT-5503", "refund", 200000n, 0n],
    ]);
    expect(registry.lines[6]!.references?.operation).toBe("REVERSAL");
    expect(registry.totals).toStrictEqual({ count: 7, amountKopecks: 335050n, commissionKopecks: 11701n, transferKopecks: 323349n });
  });

  it("when a line's amount is not a number, then malformed_line names the line, the column and the text", () => {
    expect(refused(parseFixture(cardCsvFormat, "bad/alliance_20261124.csv"))).toStrictEqual({
      ok: false,
      reason: "malformed_line",
      line: 3,
      message: 'line 3: AMOUNT "12,5x" is not a plain decimal number of rubles',
    });
  });

  const HEADER = "OPERATION_DATE;ORDER_NUMBER;MD_ORDER;OPERATION;AMOUNT;COMMISSION;ACCOUNT;RRN;AUTH_CODE;PAN";
  const parse = (text: string) => cardCsvFormat.parse(utf8(text), { fileName: FILE });

  it("when a day has only refunds, then the footer's amount and transfer are negative", () => {
    const registry = accepted(parse(`${HEADER}\n23.11.2026 16:00:00;AT-5480;md-1;REFUND;500,00;0,00;100084;;;\nTOTAL;1;-500,00;0,00;-500,00\n`));
    expect(registry.totals).toStrictEqual({ count: 1, amountKopecks: -50000n, commissionKopecks: 0n, transferKopecks: -50000n });
    expect(registry.lines[0]!.references).toStrictEqual({ mdOrder: "md-1", operation: "REFUND" });
  });

  it("when columns are in another order, then they are found by name", () => {
    const text = "ACCOUNT;AMOUNT;OPERATION;COMMISSION;ORDER_NUMBER;MD_ORDER;OPERATION_DATE\n100082;1500,00;DEPOSIT;30,00;AT-6001;md-6001;23.11.2026 12:00:00\nTOTAL;1;1500,00;30,00;1470,00\n";
    expect(accepted(parse(text)).lines[0]).toStrictEqual({
      line: 2,
      externalId: "AT-6001",
      account: "100082",
      amountKopecks: 150000n,
      commissionKopecks: 3000n,
      operation: "payment",
      date: "2026-11-23",
      time: "12:00:00",
      references: { mdOrder: "md-6001" },
    });
  });

  it.each([
    ["a header without COMMISSION", "OPERATION_DATE;ORDER_NUMBER;MD_ORDER;OPERATION;AMOUNT;ACCOUNT\nTOTAL;0;0,00;0,00;0,00\n", 1, "line 1: the header lacks column COMMISSION"],
    ["a column named twice", `${HEADER};AMOUNT\nTOTAL;0;0,00;0,00;0,00\n`, 1, "line 1: the header names column AMOUNT twice"],
    ["an unknown operation", `${HEADER}\n23.11.2026 16:00:00;AT-1;md-1;APPROVED;5,00;0,00;100084;;;\nTOTAL;1;5,00;0,00;5,00\n`, 2, 'line 2: OPERATION "APPROVED" is not DEPOSIT, REFUND or REVERSAL'],
    ["a line short of fields", `${HEADER}\n23.11.2026 16:00:00;AT-1;md-1;DEPOSIT;5,00;0,00;100084;;\nTOTAL;1;5,00;0,00;5,00\n`, 2, "line 2: has 9 fields, the header 10"],
    ["a date without time", `${HEADER}\n23.11.2026;AT-1;md-1;DEPOSIT;5,00;0,00;100084;;;\nTOTAL;1;5,00;0,00;5,00\n`, 2, 'line 2: OPERATION_DATE "23.11.2026" is not dd.mm.yyyy hh:mm:ss with a real date'],
    ["an order number with a space", `${HEADER}\n23.11.2026 16:00:00;AT 1;md-1;DEPOSIT;5,00;0,00;100084;;;\nTOTAL;1;5,00;0,00;5,00\n`, 2, 'line 2: ORDER_NUMBER "AT 1" is not 1 to 32 printable ASCII characters'],
    ["an unclosed quote", `${HEADER}\n23.11.2026 16:00:00;"AT-1;md-1;DEPOSIT;5,00;0,00;100084;;;\nTOTAL;1;5,00;0,00;5,00\n`, 2, "line 2: field 2 opens a quote that is not closed on this line"],
    ["an empty line inside", `${HEADER}\n\n23.11.2026 16:00:00;AT-1;md-1;DEPOSIT;5,00;0,00;100084;;;\nTOTAL;1;5,00;0,00;5,00\n`, 2, "line 2: the line is empty (only empty lines at the end of the file are ignored)"],
    ["a footer with four fields", `${HEADER}\nTOTAL;0;0,00;0,00\n`, 2, "line 2: the footer has 4 fields, expected 5: TOTAL;<count>;<amount>;<commission>;<transfer>"],
    ["a footer followed by a line", `${HEADER}\nTOTAL;0;0,00;0,00;0,00\n23.11.2026 16:00:00;AT-1;md-1;DEPOSIT;5,00;0,00;100084;;;\n`, 2, "line 2: the footer TOTAL is followed by 1 more line: it must be the last line"],
    ["only a header", `${HEADER}\n`, 1, "line 1: the file ends at line 1 without its footer TOTAL;<count>;<amount>;<commission>;<transfer>"],
  ])("when the report has %s, then malformed_line", (_, text, line, message) => {
    expect(refused(parse(text))).toStrictEqual({ ok: false, reason: "malformed_line", line, message });
  });

  it("when a field is quoted, then its ';' and doubled quotes are the field's", () => {
    const registry = accepted(parse(`${HEADER}\n23.11.2026 16:00:00;"AT-""7""";md-1;DEPOSIT;"5,00";0,00;" 100084 ";;;\nTOTAL;1;5,00;0,00;5,00\n`));
    expect(registry.lines[0]).toMatchObject({ externalId: 'AT-"7"', account: "100084", amountKopecks: 500n });
  });

  it("when the name is not <merchant>_<YYYYMMDD>.csv, or names another merchant than the profile's, then bad_file_name", () => {
    expect(refused(cardCsvFormat.parse(fixture(FILE), { fileName: "alliance-2026-11-23.csv" })).reason).toBe("bad_file_name");
    expect(refused(cardCsvFormat.parse(fixture(FILE), { fileName: "alliance_20261123.zip" })).reason).toBe("bad_file_name");
    expect(accepted(cardCsvFormat.parse(fixture(FILE), { fileName: "alliance_telecom_20261123.csv" })).day).toBe("2026-11-23");
    expect(refused(createRegistryFormat("card-csv", { merchantLogin: "other" }).parse(fixture(FILE), { fileName: FILE })).reason).toBe("bad_file_name");
  });
});

describe("qiwi-kassa (§4: QIWI bills daily report)", () => {
  const FILE = "report_alliance_20261123_merchant_at.csv";

  it("when QIWI Kassa's report is parsed, then payments and refunds are lines, the SETTLEMENT row is the transfer and its payment order", () => {
    const registry = accepted(parseFixture(qiwiKassaFormat, FILE));
    expect(registry.day).toBe("2026-11-23");
    expect(registry.sequence).toBe(1);
    expect(registry.lines).toStrictEqual([
      {
        line: 3,
        externalId: "payhub-100080-1a2b3c4d5e6f7081",
        account: "100080",
        amountKopecks: 150000n,
        commissionKopecks: 3750n,
        operation: "payment",
        date: "2026-11-23",
        time: "9:41",
        references: { transactionId: "771204", paymentId: "90011" },
        payer: "7924***4567",
      },
      {
        line: 4,
        externalId: "payhub-100081-2b3c4d5e6f708192",
        account: "100081",
        amountKopecks: 80000n,
        commissionKopecks: 2000n,
        operation: "payment",
        date: "2026-11-23",
        time: "10:05",
        references: { transactionId: "771205", paymentId: "90012" },
        payer: "427601******1234",
      },
      {
        line: 5,
        externalId: "payhub-100082-3c4d5e6f708192a3",
        account: "100082",
        amountKopecks: 200000n,
        commissionKopecks: 5000n,
        operation: "payment",
        date: "2026-11-23",
        time: "13:30",
        references: { transactionId: "771206", paymentId: "90013" },
        payer: "7914***1111",
      },
      {
        line: 6,
        externalId: "AT-B-4410",
        account: "",
        amountKopecks: 120000n,
        commissionKopecks: 3000n,
        operation: "payment",
        date: "2026-11-23",
        time: "16:45",
        references: { transactionId: "771207", paymentId: "90014" },
        payer: "7924***4567",
      },
      {
        line: 7,
        externalId: "payhub-100083-4d5e6f708192a3b4",
        account: "100083",
        amountKopecks: 35050n,
        commissionKopecks: 876n,
        operation: "payment",
        date: "2026-11-23",
        time: "18:00",
        references: { transactionId: "771208", paymentId: "90015" },
        payer: "7902***2222",
      },
      {
        line: 8,
        externalId: "payhub-100084-5e6f708192a3b4c5",
        account: "100084",
        amountKopecks: 50000n,
        operation: "refund",
        date: "2026-11-23",
        time: "20:10",
        references: { transactionId: "771209", paymentId: "90016", parentTransactionId: "771100" },
        payer: "7908***3333",
      },
    ]);
    expect(registry.totals).toStrictEqual({
      count: 6,
      amountKopecks: 535050n,
      commissionKopecks: 14626n,
      transferKopecks: 520424n,
      paymentOrder: { number: "5512001", date: "2026-11-24" },
    });
  });

  it("when the name has no date, then the day is the lines' single TRANS_DATE day; lines of several days then refuse the file", () => {
    expect(accepted(parseFixture(qiwiKassaFormat, FILE, { fileName: "qiwi-report.csv" })).day).toBe("2026-11-23");
    const text = fixture(FILE).toString("utf8").replace("23.11.2026 18:00", "22.11.2026 23:58");
    const result = refused(qiwiKassaFormat.parse(utf8(text), { fileName: "qiwi-report.csv" }));
    expect(result).toMatchObject({ reason: "bad_file_name", message: expect.stringContaining("span 2 days (2026-11-22, 2026-11-23)") });
    expect(accepted(qiwiKassaFormat.parse(utf8(text), { fileName: FILE })).day).toBe("2026-11-23");
  });

  it("when a row's PURPOSE is CHARGEBACK (or another operation), then the file is refused on that line", () => {
    const result = refused(parseFixture(qiwiKassaFormat, "bad/report_alliance_20261124_merchant_at.csv"));
    expect(result).toMatchObject({ reason: "malformed_line", line: 3 });
    expect(result.message).toMatch(/^line 3: PURPOSE "CHARGEBACK" is not payment, refund or SETTLEMENT/);
  });

  it("when there are two SETTLEMENT rows, then the transfer is their sum and no single payment order is named; with none, no transfer", () => {
    const lines = fixture(FILE).toString("utf8").split("\n");
    const second = "25.11.2026;25.11.2026;5512099;-100,00;;;100,00;;;;;;;;SETTLEMENT;;;null;;;;";
    const two = accepted(qiwiKassaFormat.parse(utf8([...lines, second].join("\n")), { fileName: FILE }));
    expect(two.totals).toStrictEqual({ count: 6, amountKopecks: 535050n, commissionKopecks: 14626n, transferKopecks: 530424n });
    const none = accepted(qiwiKassaFormat.parse(utf8(lines.filter((line) => !line.includes(";SETTLEMENT;")).join("\n")), { fileName: FILE }));
    expect(none.totals).toStrictEqual({ count: 6, amountKopecks: 535050n, commissionKopecks: 14626n });
  });

  it("when a SETTLEMENT's SUM_BANK is positive or a payment's SUM negative, then malformed_line", () => {
    const lines = fixture(FILE).toString("utf8").split("\n");
    const positive = [lines[0], lines[1]!.replace("-5204,24", "5204,24")].join("\n");
    expect(refused(qiwiKassaFormat.parse(utf8(positive), { fileName: FILE }))).toMatchObject({ reason: "malformed_line", line: 2, message: expect.stringContaining("is not negative") });
    const negative = [lines[0], lines[2]!.replace(";1500;37,50;", ";-1500;37,50;")].join("\n");
    expect(refused(qiwiKassaFormat.parse(utf8(negative), { fileName: FILE }))).toStrictEqual({ ok: false, reason: "malformed_line", line: 2, message: 'line 2: SUM "-1500" is not a plain decimal number of rubles' });
  });

  it("when the name names two days or is not .csv, then bad_file_name", () => {
    expect(refused(parseFixture(qiwiKassaFormat, FILE, { fileName: "report_20261122_20261123.csv" })).reason).toBe("bad_file_name");
    expect(refused(parseFixture(qiwiKassaFormat, FILE, { fileName: "report_alliance_20261123.zip" })).reason).toBe("bad_file_name");
  });
});

describe("arsenalpay-csv (§4: ArsenalPay cabinet export)", () => {
  it("when the export is parsed, then payment lines are payments, refund and reverse are refunds, AMOUNT_FULL is kept", () => {
    const registry = accepted(parseFixture(arsenalpayCsvFormat, "arsenalpay_20261123.csv"));
    expect(registry.day).toBe("2026-11-23");
    expect(registry.lines[0]).toStrictEqual({
      line: 2,
      externalId: "540000000101",
      account: "100080",
      amountKopecks: 150000n,
      commissionKopecks: 3000n,
      operation: "payment",
      date: "2026-11-23",
      time: "08:30:00",
      references: { amountFull: "1545.00" },
      payer: "9147894125",
    });
    expect(registry.lines[2]).toStrictEqual({ line: 4, externalId: "540000000103", account: "100082", amountKopecks: 150000n, commissionKopecks: 3000n, operation: "payment", date: "2026-11-23", time: "12:00:00", payer: "9241112233" });
    expect(registry.lines.map((line) => [line.line, line.externalId, line.operation, line.amountKopecks, line.references?.function])).toStrictEqual([
      [2, "540000000101", "payment", 150000n, undefined],
      [3, "540000000102", "payment", 50000n, undefined],
      [4, "540000000103", "payment", 150000n, undefined],
      [5, "540000000090", "refund", 20000n, "refund"],
      [6, "540000000104", "payment", 75050n, undefined],
      [7, "540000000104", "refund", 75050n, "reverse"],
    ]);
    expect(registry.totals).toStrictEqual({ count: 6, amountKopecks: 330000n, commissionKopecks: 8501n, transferKopecks: 321499n });
  });

  it("when only the footer's transfer is wrong, then totals_mismatch names the transfer alone", () => {
    expect(refused(parseFixture(arsenalpayCsvFormat, "bad/arsenalpay_20261124.csv"))).toStrictEqual({
      ok: false,
      reason: "totals_mismatch",
      line: 4,
      message: "line 4: the footer disagrees with the lines: transfer 2000.00 in the footer, 1960.00 by the lines (amount − commission)",
    });
  });

  it("when a line's FUNCTION moves no money (hold, check), then malformed_line", () => {
    const text = "RRN;DATETIME;ACCOUNT;FUNCTION;AMOUNT;AMOUNT_FULL;COMMISSION;PAYER\n1;2026-11-23 08:30:00;100080;hold;1500.00;;0.00;\nTOTAL;1;1500.00;0.00;1500.00\n";
    expect(refused(arsenalpayCsvFormat.parse(utf8(text), { fileName: "arsenalpay_20261123.csv" }))).toMatchObject({ reason: "malformed_line", line: 2, message: 'line 2: FUNCTION "hold" is not payment, refund, reverse or reversal' });
  });

  it("when the name is arsenalpay_<YYYYMMDD>_<n>.csv, then n is the sequence; other names are bad_file_name", () => {
    expect(accepted(parseFixture(arsenalpayCsvFormat, "arsenalpay_20261123.csv", { fileName: "ArsenalPay_20261123_2.CSV" })).sequence).toBe(2);
    expect(refused(parseFixture(arsenalpayCsvFormat, "arsenalpay_20261123.csv", { fileName: "arsenalpay-20261123.csv" })).reason).toBe("bad_file_name");
  });
});

describe("sms-csv (§4: SMS 3116 aggregator)", () => {
  it("when the aggregator's CSV is parsed, then SMS_ID is the key, PAYMENT_ID a reference and MERCHANT_FEE the commission", () => {
    const registry = accepted(parseFixture(smsCsvFormat, "sms3116_20261123.csv"));
    expect(registry.day).toBe("2026-11-23");
    expect(registry.lines[0]).toStrictEqual({
      line: 2,
      externalId: "sm-20261123-0001",
      account: "100080",
      amountKopecks: 10000n,
      commissionKopecks: 200n,
      operation: "payment",
      date: "2026-11-23",
      time: "09:00:05",
      references: { paymentId: "pay-7f3a0001", payerFee: "13.00", operator: "mts" },
      payer: "79141234567",
    });
    expect(registry.lines.map((line) => [line.externalId, line.account, line.amountKopecks, line.commissionKopecks])).toStrictEqual([
      ["sm-20261123-0001", "100080", 10000n, 200n],
      ["sm-20261123-0002", "100081", 50000n, 1000n],
      ["sm-20261123-0003", "100082", 150000n, 3000n],
      ["sm-20261123-0004", "100083", 25000n, 500n],
      ["sm-20261123-0005", "100084", 30000n, 600n],
    ]);
    expect(registry.totals).toStrictEqual({ count: 5, amountKopecks: 265000n, commissionKopecks: 5300n, transferKopecks: 259700n });
  });

  it("when the merchant fee in the footer differs, then the message calls it the merchant fee", () => {
    const text = "SMS_ID;PAYMENT_ID;DATE;OPERATOR;MSISDN;ACCOUNT;AMOUNT;PAYER_FEE;MERCHANT_FEE\ns1;p1;23.11.2026 09:00:05;mts;79141234567;100080;100.00;13.00;2.00\nTOTAL;1;100.00;3.00;97.00\n";
    expect(refused(smsCsvFormat.parse(utf8(text), { fileName: "sms3116_20261123.csv" })).message).toBe(
      "line 3: the footer disagrees with the lines: merchant fee 3.00 in the footer, 2.00 by the lines; transfer 97.00 in the footer, 98.00 by the lines (amount − merchant fee)",
    );
  });

  it("when a UTF-8 profile's file comes in windows-1251, it is read as windows-1251 (the bytes tell); forced to UTF-8, bad_encoding names the line", () => {
    const detected = accepted(parseFixture(smsCsvFormat, "bad/sms3116_20261124.csv"));
    expect(detected.encoding).toBe("windows-1251");
    const forced = refused(parseFixture(smsCsvFormat, "bad/sms3116_20261124.csv", { encoding: "utf-8" }));
    expect(forced.reason).toBe("bad_encoding");
    expect(forced.line).toBe(3);
    expect(forced.message).toMatch(/^line 3: byte \d+ of the file is not valid UTF-8/);
  });

  it("when a file mixes UTF-8 and windows-1251 lines, then bad_encoding names the first line that does not decode: never garbage", () => {
    const mixed = Buffer.concat([utf8("Кассир\n"), Buffer.from([0x41, 0x0a, 0xca, 0xe8, 0xec, 0x0a])]);
    expect(decodeRegistry(mixed, "utf-8", false)).toMatchObject({ ok: false, line: 3 });
    expect(decodeRegistry(mixed, "windows-1251", false)).toMatchObject({ ok: true, encoding: "windows-1251" });
  });
});

describe("every format: encodings, line endings, empty files", () => {
  it("when a file is empty, holds only line ends or only a BOM, then empty_file", () => {
    for (const bytes of [Buffer.alloc(0), utf8("\r\n\r\n"), utf8("\n  \n\t\n"), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xef, 0xbb, 0xbf, 0x0d, 0x0a])]) {
      expect(refused(qiwiTabFormat.parse(bytes, { fileName: "QIWI_12345_202611231.csv" })).reason).toBe("empty_file");
      expect(refused(cardCsvFormat.parse(bytes, { fileName: "alliance_20261123.csv" })).reason).toBe("empty_file");
      expect(refused(bankSemicolonFormat.parse(bytes, { fileName: SBER_FILE })).reason).toBe("empty_file");
    }
  });

  it("when the same file comes with CRLF, LF or bare CR, and with trailing empty lines, then it parses to the same registry", () => {
    const original = fixture("alliance_20261123.csv").toString("utf8");
    const lines = original.replace(/^\uFEFF/, "").split("\r\n").filter((line) => line !== "");
    const expected = accepted(cardCsvFormat.parse(fixture("alliance_20261123.csv"), { fileName: "alliance_20261123.csv" }));
    for (const text of [lines.join("\r\n"), lines.join("\n"), lines.join("\r"), `${lines.join("\n")}\n\n\r\n  \n`, `${lines.join("\r")}\r\r`]) {
      const registry = accepted(cardCsvFormat.parse(utf8(text), { fileName: "alliance_20261123.csv" }));
      expect(registry).toStrictEqual(expected);
    }
  });

  it("when a cp1251 file is forced to be read as UTF-8, then bad_encoding on its first Cyrillic line; forced cp1251 on a BOM'd file is refused too", () => {
    expect(refused(parseFixture(bankSemicolonFormat, SBER_FILE, { encoding: "utf-8" }))).toMatchObject({ reason: "bad_encoding", line: 1 });
    expect(refused(parseFixture(bankSemicolonFormat, "2536012345_40702810950000012345_231126_002.txt", { encoding: "windows-1251" }))).toMatchObject({
      reason: "bad_encoding",
      line: 1,
      message: "the file starts with a UTF-8 byte order mark but windows-1251 was required",
    });
    // A UTF-8 format forced to windows-1251 reads a plain ASCII file the same.
    expect(accepted(parseFixture(qiwiTabFormat, "QIWI_12345_202611231.csv", { encoding: "windows-1251" })).encoding).toBe("windows-1251");
  });

  it("when an id repeats within the file, then the parser keeps both lines (the matching classifies the repeat)", () => {
    const line = "7730010011\t23.11.2026\t08:15:02\t100080\t500.00";
    const registry = accepted(qiwiTabFormat.parse(utf8(`${line}\n${line}\nTotal: 2 1000.00\n`), { fileName: "QIWI_12345_202611231.csv" }));
    expect(registry.lines.map((l) => [l.line, l.externalId])).toStrictEqual([
      [1, "7730010011"],
      [2, "7730010011"],
    ]);
  });

  it("REGISTRY_FORMATS holds the six formats by the name each reports", () => {
    expect(REGISTRY_FORMAT_NAMES).toStrictEqual(["bank-semicolon", "qiwi-tab", "card-csv", "qiwi-kassa", "arsenalpay-csv", "sms-csv"]);
    for (const name of REGISTRY_FORMAT_NAMES) {
      expect(REGISTRY_FORMATS[name]!.name).toBe(name);
      expect(createRegistryFormat(name).name).toBe(name);
      expect(isRegistryFormatName(name)).toBe(true);
    }
    expect(REGISTRY_FORMATS["toString"]).toBeUndefined();
    expect(isRegistryFormatName("toString")).toBe(false);
  });
});

describe("text helpers", () => {
  it("dates convert only when they are in the calendar", () => {
    expect(dmyToIso("23/11/2026", "/")).toBe("2026-11-23");
    expect(dmyToIso("29/02/2028", "/")).toBe("2028-02-29");
    expect(dmyToIso("29/02/2026", "/")).toBeUndefined();
    expect(dmyToIso("29.02.2000", ".")).toBe("2000-02-29");
    expect(dmyToIso("29.02.2100", ".")).toBeUndefined();
    expect(dmyToIso("23.11.2026", "/")).toBeUndefined();
    expect(dmyToIso("3/11/2026", "/")).toBeUndefined();
    expect(dmyToIso("00.11.2026", ".")).toBeUndefined();
    expect(ddmmyyToIso("231126")).toBe("2026-11-23");
    expect(ddmmyyToIso("310426")).toBeUndefined();
    expect(yyyymmddToIso("20261123")).toBe("2026-11-23");
    expect(yyyymmddToIso("20261323")).toBeUndefined();
    expect(splitDateTime("23.11.2026 9:41", { looseTime: true })).toStrictEqual({ date: "2026-11-23", time: "9:41" });
    expect(splitDateTime("23.11.2026 9:41")).toBeUndefined();
    expect(splitDateTime("2026-11-23T23:59:59+10:00")).toStrictEqual({ date: "2026-11-23", time: "23:59:59" });
  });

  it("lines split on CRLF, LF and bare CR; trailing blank lines go, inner ones stay", () => {
    expect(splitLines("a\r\nb\nc\rd\r\n\r\n \n")).toStrictEqual(["a", "b", "c", "d"]);
    expect(splitLines("a\n\nb")).toStrictEqual(["a", "", "b"]);
    expect(splitLines("")).toStrictEqual([]);
  });

  it("decoding: the BOM is skipped, UTF-8 is strict, windows-1251 gives Cyrillic", () => {
    expect(decodeRegistry(Buffer.from([0xef, 0xbb, 0xbf, 0x41]), "windows-1251", false)).toStrictEqual({ ok: true, text: "A", encoding: "utf-8" });
    expect(decodeRegistry(Buffer.from([0xca, 0xe8, 0xec]), "windows-1251", false)).toStrictEqual({ ok: true, text: "Ким", encoding: "windows-1251" });
    expect(decodeRegistry(Buffer.from("a\nb\n\xca", "latin1"), "utf-8", true)).toMatchObject({ ok: false, line: 3 });
    // Not forced: the profile's UTF-8 gives way to windows-1251 when no byte of the file is UTF-8, and the reverse.
    expect(decodeRegistry(Buffer.from("a\nb\n\xca", "latin1"), "utf-8", false)).toStrictEqual({ ok: true, text: "a\nb\nК", encoding: "windows-1251" });
    expect(decodeRegistry(utf8("Ким"), "windows-1251", false)).toStrictEqual({ ok: true, text: "Ким", encoding: "utf-8" });
    expect(firstInvalidUtf8(utf8("Ким ✓ 😀"))).toBe(utf8("Ким ✓ 😀").length);
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xc0, 0x80]))).toBe(1); // overlong
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xed, 0xa0, 0x80]))).toBe(1); // surrogate
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xe2, 0x82]))).toBe(1); // truncated
  });
});
