import type { ParseOptions, ParseResult, RegistryFormat, RegistryLine } from "../format.ts";
import { checkTotals, computeTotals, EMPTY_LINE, field, LineFields, malformed, parseAmount, parseCount, readLines, reject, type TotalsLabels, preview } from "./common.ts";
import { baseName, ddmmyyToIso, dmyToIso, isBlank, isTimeHms, type RegistryEncoding } from "./text.ts";

/**
 * Sberbank's and Bank "Primorye"'s registry (REGISTRIES.md §1, payhub's profile): cp1251, `;` without quoting and
 * without a header, `.` decimals, one payment per line, and a last line
 * `=<count>;<sum>;<commission>;<transfer>;<п/п number>;<п/п date>`. Named `<ИНН>_<р/с>_<ДДММГГ>_<NNN>.txt`: the
 * registry day is ДДММГГ (20ГГ), the sequence NNN.
 *
 * The column map is the profile's (primorye uses its own); the default is the documented one.
 */

/** 0-based column indexes of the fields the hub reads (the table in REGISTRIES.md §1 counts from 1). */
export interface BankSemicolonColumns {
  date: number;
  time: number;
  /** Operation number = the hub's PAY_ID: the key. */
  externalId: number;
  account: number;
  payer: number;
  amount: number;
  /** The bank's commission withheld from the merchant. */
  commission: number;
  /** Payer's address: shown only (references.address); omit when the layout has none. */
  address?: number;
}

/** REGISTRIES.md §1: date, time, ОСБ, ВСП, operation number, account, payer, address, sum, commission. */
export const BANK_SEMICOLON_COLUMNS: Readonly<BankSemicolonColumns> = Object.freeze({
  date: 0,
  time: 1,
  externalId: 4,
  account: 5,
  payer: 6,
  address: 7,
  amount: 8,
  commission: 9,
});

export interface BankSemicolonProfile {
  /** Default BANK_SEMICOLON_COLUMNS. */
  columns?: BankSemicolonColumns;
  /** Fields on every payment line; default 10 (with a custom map: at least the highest index + 1). */
  fieldCount?: number;
  /** Default windows-1251 (a UTF-8 BOM always means UTF-8). */
  encoding?: RegistryEncoding;
  /** Default ";". */
  separator?: string;
  /** Default ".". */
  decimal?: "." | ",";
  /** Of the payment dates and the footer's payment order date; default "dd/mm/yyyy". */
  dateFormat?: "dd/mm/yyyy" | "dd.mm.yyyy";
}

export const BANK_SEMICOLON_NAME = /^(\d{10}|\d{12})_(\d{20})_(\d{6})_(\d{3})\.txt$/i;

/** The hub's PAY_ID (adapters/bank-xml/parse.ts): 1 to 20 digits. */
const OPERATION_NUMBER = /^[0-9]{1,20}$/;
const PAYMENT_ORDER_NUMBER = /^[0-9A-Za-zА-Яа-яЁё/-]{1,32}$/;

const LABELS: TotalsLabels = { amount: "sum", commission: "commission", transfer: "transfer" };

interface Resolved {
  columns: BankSemicolonColumns;
  fieldCount: number;
  encoding: RegistryEncoding;
  separator: string;
  decimal: "." | ",";
  dateSeparator: "/" | ".";
}

function resolve(profile: BankSemicolonProfile): Resolved {
  const columns = profile.columns ?? BANK_SEMICOLON_COLUMNS;
  const indexes = Object.entries(columns).filter(([, index]) => index !== undefined) as [string, number][];
  const highest = Math.max(...indexes.map(([, index]) => index));
  const fieldCount = profile.fieldCount ?? (profile.columns ? highest + 1 : 10);
  for (const [name, index] of indexes) {
    if (!Number.isInteger(index) || index < 0 || index >= fieldCount) throw new Error(`bank-semicolon profile: column ${name} = ${index} is not an index below ${fieldCount}`);
  }
  if (new Set(indexes.map(([, index]) => index)).size !== indexes.length) throw new Error("bank-semicolon profile: two fields share a column");
  return {
    columns,
    fieldCount,
    encoding: profile.encoding ?? "windows-1251",
    separator: profile.separator ?? ";",
    decimal: profile.decimal ?? ".",
    dateSeparator: profile.dateFormat === "dd.mm.yyyy" ? "." : "/",
  };
}

export function parseBankSemicolon(bytes: Buffer, options: ParseOptions, profile: BankSemicolonProfile = {}): ParseResult {
  return parseResolved(bytes, options, resolve(profile));
}

function parseResolved(bytes: Buffer, options: ParseOptions, p: Resolved): ParseResult {
  const name = BANK_SEMICOLON_NAME.exec(baseName(options.fileName));
  const day = name ? ddmmyyToIso(name[3]!) : undefined;
  if (!name || !day) {
    return reject("bad_file_name", undefined, `file name "${options.fileName}" is not <ИНН>_<р/с>_<ДДММГГ>_<NNN>.txt with a real date (e.g. 2536012345_40702810950000012345_231126_001.txt)`);
  }
  const read = readLines(bytes, options, p.encoding);
  if (!read.ok) return read;
  const text = read.lines;
  const c = p.columns;
  const dateFormat = p.dateSeparator === "/" ? "dd/mm/yyyy" : "dd.mm.yyyy";
  const lines: RegistryLine[] = [];
  const fields = new LineFields();
  const last = text.length - 1;
  for (let i = 0; i < text.length; i++) {
    const lineNo = i + 1;
    const raw = text[i]!;
    if (isBlank(raw)) return malformed(lineNo, EMPTY_LINE);
    fields.read(raw, p.separator, false);
    if (raw.startsWith("=")) {
      if (i !== last) return malformed(lineNo, `the footer "=…" is followed by ${last - i} more line${last - i === 1 ? "" : "s"}: it must be the last line`);
      if (fields.count !== 6) return malformed(lineNo, `the footer has ${fields.count} fields, expected 6: =<count>;<sum>;<commission>;<transfer>;<п/п number>;<п/п date>`);
      const count = parseCount(fields.get(0).slice(1).trim(), "the footer's count");
      if (typeof count === "string") return malformed(lineNo, count);
      const amount = parseAmount(fields.get(1), "the footer's sum", p.decimal, true);
      if (typeof amount === "string") return malformed(lineNo, amount);
      const commission = parseAmount(fields.get(2), "the footer's commission", p.decimal, true);
      if (typeof commission === "string") return malformed(lineNo, commission);
      const transfer = parseAmount(fields.get(3), "the footer's transfer", p.decimal, true);
      if (typeof transfer === "string") return malformed(lineNo, transfer);
      const orderNumber = fields.get(4);
      const orderDateText = fields.get(5);
      let paymentOrder: { number: string; date: string } | undefined;
      if (orderNumber !== "" || orderDateText !== "") {
        if (!PAYMENT_ORDER_NUMBER.test(orderNumber)) return malformed(lineNo, `the footer's payment order number "${preview(orderNumber)}" is not 1 to 32 letters, digits, / or -`);
        const orderDate = dmyToIso(orderDateText, p.dateSeparator);
        if (!orderDate) return malformed(lineNo, `the footer's payment order date "${preview(orderDateText)}" is not a real ${dateFormat} date`);
        paymentOrder = { number: orderNumber, date: orderDate };
      }
      const mismatch = checkTotals(lineNo, { count, amount, commission, transfer }, computeTotals(lines), LABELS);
      if (mismatch) return mismatch;
      return {
        ok: true,
        registry: {
          day,
          sequence: Number(name[4]),
          lines,
          totals: { count, amountKopecks: amount, commissionKopecks: commission, transferKopecks: transfer, ...(paymentOrder ? { paymentOrder } : {}) },
          encoding: read.encoding,
        },
      };
    }
    if (fields.count !== p.fieldCount) return malformed(lineNo, `has ${fields.count} fields, expected ${p.fieldCount}`);
    const dateText = field(fields, c.date);
    const date = dmyToIso(dateText, p.dateSeparator);
    if (!date) return malformed(lineNo, `payment date "${preview(dateText)}" is not a real ${dateFormat} date`);
    const time = field(fields, c.time);
    if (!isTimeHms(time)) return malformed(lineNo, `payment time "${preview(time)}" is not hh:mm:ss`);
    const externalId = field(fields, c.externalId);
    if (!OPERATION_NUMBER.test(externalId)) return malformed(lineNo, `operation number "${preview(externalId)}" is not 1 to 20 digits`);
    const amount = parseAmount(field(fields, c.amount), "sum", p.decimal);
    if (typeof amount === "string") return malformed(lineNo, amount);
    const commission = parseAmount(field(fields, c.commission), "commission", p.decimal, true);
    if (typeof commission === "string") return malformed(lineNo, commission);
    const payer = field(fields, c.payer);
    const address = c.address === undefined ? "" : field(fields, c.address);
    lines.push({
      line: lineNo,
      externalId,
      account: field(fields, c.account),
      amountKopecks: amount,
      commissionKopecks: commission,
      operation: "payment",
      date,
      time,
      ...(payer !== "" ? { payer } : {}),
      ...(address !== "" ? { references: { address } } : {}),
    });
  }
  return malformed(text.length, `the file ends at line ${text.length} without its footer =<count>;<sum>;<commission>;<transfer>;<п/п number>;<п/п date>`);
}

/** The format with a profile (column map, encoding, separator, decimal mark, date form) fixed. */
export function createBankSemicolonFormat(profile: BankSemicolonProfile = {}): RegistryFormat {
  const resolved = resolve(profile);
  return { name: "bank-semicolon", parse: (bytes, options) => parseResolved(bytes, options, resolved) };
}

export const bankSemicolonFormat: RegistryFormat = createBankSemicolonFormat();
