import { formatRubles, parseRubles } from "../../../lib/money.ts";
import type { ParseOptions, ParseResult, RegistryLine, RegistryRejection } from "../format.ts";
import { baseName, decodeRegistry, isBlank, splitLines, yyyymmddToIso, type RegistryEncoding } from "./text.ts";

/**
 * What the registry parsers share beyond text: the rejection shape, strict amounts with the column named in the
 * message, `;`-separated fields (with optional double-quoting), header lines matched by column name, the
 * `TOTAL;<count>;<amount>;<commission>;<transfer>` footer and the footer-against-lines check (REGISTRIES.md rule 2).
 */

export type Rejected = Extract<ParseResult, { ok: false }>;

export function reject(reason: RegistryRejection, line: number | undefined, message: string): Rejected {
  return line === undefined ? { ok: false, reason, message } : { ok: false, reason, line, message };
}

export const EMPTY_LINE = "the line is empty (only empty lines at the end of the file are ignored)";

export function malformed(line: number, message: string): Rejected {
  return reject("malformed_line", line, `line ${line}: ${message}`);
}

/** The file decoded and cut into lines, or why not (bad_encoding, empty_file). */
/**
 * The registry day and sequence of a `<prefix>_<YYYYMMDD>[_<n>].csv` name (the pattern's groups: 1 the date, 2 the
 * optional sequence, 1 when absent), or bad_file_name saying which names are expected.
 */
export function datedFileName(pattern: RegExp, fileName: string, expected: string): { day: string; sequence: number } | Rejected {
  const name = pattern.exec(baseName(fileName));
  const day = name ? yyyymmddToIso(name[1]!) : undefined;
  if (!name || !day) return reject("bad_file_name", undefined, `file name "${fileName}" is not ${expected} with a real date`);
  return { day, sequence: name[2] === undefined ? 1 : Number(name[2]) };
}

export function readLines(bytes: Uint8Array, options: ParseOptions, profileEncoding: RegistryEncoding): { ok: true; lines: string[]; encoding: RegistryEncoding } | Rejected {
  if (bytes.length === 0) return reject("empty_file", undefined, "the file is empty");
  const decoded = decodeRegistry(bytes, options.encoding ?? profileEncoding, options.encoding !== undefined);
  if (!decoded.ok) return reject("bad_encoding", decoded.line, decoded.message);
  const lines = splitLines(decoded.text);
  if (lines.length === 0) return reject("empty_file", undefined, "the file has no lines (only blanks or line ends)");
  return { ok: true, lines, encoding: decoded.encoding };
}

/**
 * A strictly parsed amount in kopecks (lib/money.ts: the decimal mark given, at most 2 decimals, no signs, spaces or
 * thousands separators; "1530" = 1530.00), or the message naming the column: `AMOUNT "12,5x" is not a plain decimal
 * number of rubles`.
 */
export function parseAmount(text: string, label: string, decimal: string, allowZero = false): bigint | string {
  if (text === "") return `${label} is empty`;
  // Anything but digits and one decimal mark is "not a number" (lib/money would call "12,5x" a fraction too long).
  if (!isDigitsAndMark(text, decimal)) return `${label} "${preview(text)}" is not a plain decimal number of rubles`;
  const parsed = parseRubles(text, { separators: [decimal], allowZero });
  if (parsed.ok) return parsed.kopecks;
  return parsed.reason.startsWith("amount") ? `${label}${parsed.reason.slice("amount".length)}` : `${label}: ${parsed.reason}`;
}

function isDigitsAndMark(text: string, decimal: string): boolean {
  const mark = decimal.charCodeAt(0);
  let marks = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === mark) marks++;
    else if (c < 0x30 || c > 0x39) return false;
  }
  return marks <= 1;
}

/** As parseAmount, zero allowed and a leading "-" taken as a sign (footers: refunds can exceed payments). */
export function parseSignedAmount(text: string, label: string, decimal: string): bigint | string {
  if (text.startsWith("-")) {
    const magnitude = parseAmount(text.slice(1), label, decimal, true);
    return typeof magnitude === "bigint" ? -magnitude : magnitude.replace(`"${text.slice(1)}`, `"${text}`);
  }
  return parseAmount(text, label, decimal, true);
}

const COUNT = /^(0|[1-9][0-9]{0,9})$/;

export function parseCount(text: string, label: string): number | string {
  return COUNT.test(text) ? Number(text) : `${label} "${preview(text)}" is not a whole number`;
}

export function preview(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * The fields of one line. Without quoting (the bank's file says "no quoting") a `"` is an ordinary character. With
 * quoting, a field that starts with `"` runs to the closing `"` (`""` inside is one quote) and must be followed by the
 * separator or the end of the line; a quoted field cannot span lines (a provider's registry never needs that), so an
 * unclosed quote is malformed. Returns the fields or what is wrong.
 */
export function splitFields(line: string, separator: string, quoting: boolean): string[] | string {
  if (!quoting || line.indexOf('"') === -1) return line.split(separator);
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    if (line.startsWith('"', at)) {
      let value = "";
      let from = at + 1;
      for (;;) {
        const close = line.indexOf('"', from);
        if (close === -1) return `field ${fields.length + 1} opens a quote that is not closed on this line`;
        value += line.slice(from, close);
        if (line[close + 1] === '"') {
          value += '"';
          from = close + 2;
          continue;
        }
        at = close + 1;
        break;
      }
      fields.push(value);
      if (at === line.length) return fields;
      if (!line.startsWith(separator, at)) return `field ${fields.length} has text after its closing quote`;
      at += separator.length;
    } else {
      const next = line.indexOf(separator, at);
      if (next === -1) {
        fields.push(line.slice(at));
        return fields;
      }
      fields.push(line.slice(at, next));
      at = next + separator.length;
    }
  }
}

/**
 * The fields of the line being read, without an array of strings per line: the separators' positions are kept and a
 * field is cut (trimmed) only when a parser asks for it, so a 22-column report costs the few strings the hub uses.
 * A line with a `"` under quoting goes through splitFields. One instance serves a whole file, line after line.
 */
export class LineFields {
  count = 0;
  private line = "";
  private bounds = new Int32Array(64);
  private quoted: string[] | undefined;

  /** Takes the next line; returns what is wrong with its quoting, if anything. */
  read(line: string, separator: string, quoting: boolean): string | undefined {
    this.line = line;
    if (quoting && line.indexOf('"') !== -1) {
      const fields = splitFields(line, separator, true);
      if (typeof fields === "string") return fields;
      this.quoted = fields;
      this.count = fields.length;
      return undefined;
    }
    this.quoted = undefined;
    let count = 0;
    let at = 0;
    for (;;) {
      const next = line.indexOf(separator, at);
      const end = next === -1 ? line.length : next;
      if (2 * count + 1 >= this.bounds.length) {
        const grown = new Int32Array(this.bounds.length * 2);
        grown.set(this.bounds);
        this.bounds = grown;
      }
      this.bounds[2 * count] = at;
      this.bounds[2 * count + 1] = end;
      count++;
      if (next === -1) break;
      at = next + separator.length;
    }
    this.count = count;
    return undefined;
  }

  /** Field `index` trimmed of blanks; "" for -1 or beyond the line (an optional column the header lacks). */
  get(index: number): string {
    if (index < 0 || index >= this.count) return "";
    if (this.quoted) return this.quoted[index]!.trim();
    let from = this.bounds[2 * index]!;
    let to = this.bounds[2 * index + 1]!;
    const line = this.line;
    while (from < to && isTrimmable(line.charCodeAt(from))) from++;
    while (to > from && isTrimmable(line.charCodeAt(to - 1))) to--;
    return line.slice(from, to);
  }

  /** Every field, trimmed (the header, the footer). */
  all(): string[] {
    const fields: string[] = [];
    for (let i = 0; i < this.count; i++) fields.push(this.get(i));
    return fields;
  }
}

/** What String.prototype.trim would strip, for the characters a registry holds (space, tab, NBSP, BOM, line ends). */
function isTrimmable(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0xa0 || code === 0xfeff || code === 0x0d || code === 0x0a || code === 0x0b || code === 0x0c;
}

/**
 * Column indexes from a header line matched by name (trimmed, case-insensitive); columns the format does not use are
 * ignored, so a provider adding one breaks nothing. Optional columns absent from the header get -1.
 */
export function readHeader<C extends string>(fields: readonly string[], required: readonly C[], optional: readonly C[]): Record<C, number> | string {
  const columns = {} as Record<C, number>;
  for (const name of optional) columns[name] = -1;
  for (const name of required) columns[name] = -1;
  const known = new Set<string>([...required, ...optional]);
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i]!.trim().toUpperCase();
    if (!known.has(name)) continue;
    if (columns[name as C] !== -1) return `the header names column ${name} twice`;
    columns[name as C] = i;
  }
  const missing = required.filter((name) => columns[name] === -1);
  if (missing.length > 0) return `the header lacks column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`;
  return columns;
}

export interface StatedTotals {
  count: number;
  amount: bigint;
  commission?: bigint;
  transfer?: bigint;
}

export interface ComputedTotals {
  count: number;
  /** Payments minus refunds. */
  amount: bigint;
  commission: bigint;
}

export function computeTotals(lines: readonly RegistryLine[]): ComputedTotals {
  let amount = 0n;
  let commission = 0n;
  for (const line of lines) {
    amount += line.operation === "refund" ? -line.amountKopecks : line.amountKopecks;
    if (line.commissionKopecks !== undefined) commission += line.commissionKopecks;
  }
  return { count: lines.length, amount, commission };
}

export interface TotalsLabels {
  amount: string;
  commission: string;
  transfer: string;
}

const DEFAULT_LABELS: TotalsLabels = { amount: "amount", commission: "commission", transfer: "transfer" };

/**
 * The footer checked against the lines (REGISTRIES.md rule 2): count = lines, amount = Σ payments − Σ refunds,
 * commission = Σ commissions, transfer = amount − commission (of the lines). Every total that differs is named with
 * both values in rubles; `totals_mismatch` on the footer's line.
 */
export function checkTotals(footerLine: number, stated: StatedTotals, computed: ComputedTotals, labels: TotalsLabels = DEFAULT_LABELS): Rejected | undefined {
  const differences: string[] = [];
  if (stated.count !== computed.count) differences.push(`count ${stated.count} in the footer, ${computed.count} line${computed.count === 1 ? "" : "s"} in the file`);
  if (stated.amount !== computed.amount) {
    differences.push(`${labels.amount} ${formatRubles(stated.amount)} in the footer, ${formatRubles(computed.amount)} by the lines`);
  }
  if (stated.commission !== undefined && stated.commission !== computed.commission) {
    differences.push(`${labels.commission} ${formatRubles(stated.commission)} in the footer, ${formatRubles(computed.commission)} by the lines`);
  }
  if (stated.transfer !== undefined && stated.transfer !== computed.amount - computed.commission) {
    differences.push(
      `${labels.transfer} ${formatRubles(stated.transfer)} in the footer, ${formatRubles(computed.amount - computed.commission)} by the lines (${labels.amount} − ${labels.commission})`,
    );
  }
  if (differences.length === 0) return undefined;
  return reject("totals_mismatch", footerLine, `line ${footerLine}: the footer disagrees with the lines: ${differences.join("; ")}`);
}

/**
 * The `TOTAL;<count>;<amount>;<commission>;<transfer>` footer of the CSV profiles (card, ArsenalPay, SMS 3116): exactly
 * five fields; the amount and the transfer may be negative (a day of refunds), the commission is written as a sum.
 */
/** `fields`: the footer's fields, trimmed. */
export function parseTotalFooter(fields: readonly string[], decimal: string, labels: TotalsLabels): StatedTotals | string {
  if (fields.length !== 5) return `the footer has ${fields.length} fields, expected 5: TOTAL;<count>;<${labels.amount}>;<${labels.commission}>;<${labels.transfer}>`;
  const count = parseCount(fields[1]!, "the footer's count");
  if (typeof count === "string") return count;
  const amount = parseSignedAmount(fields[2]!, `the footer's ${labels.amount}`, decimal);
  if (typeof amount === "string") return amount;
  const commission = parseSignedAmount(fields[3]!, `the footer's ${labels.commission}`, decimal);
  if (typeof commission === "string") return commission;
  const transfer = parseSignedAmount(fields[4]!, `the footer's ${labels.transfer}`, decimal);
  if (typeof transfer === "string") return transfer;
  return { count, amount, commission, transfer };
}

/** Whether the line read is the `TOTAL` footer (cheap for the lines that are not: their first character is looked at). */
export function isTotalFooter(raw: string, fields: LineFields): boolean {
  const first = raw.charCodeAt(0);
  if (first !== 0x54 && first !== 0x74 && first !== 0x20 && first !== 0x09 && first !== 0x22) return false;
  return fields.get(0).toUpperCase() === "TOTAL";
}

/**
 * The driver of the header + `TOTAL` footer CSV profiles (card, ArsenalPay, SMS 3116): first line the header, last line
 * the footer, every line between a data line of exactly the header's field count, read by `readRow`. The whole file
 * is checked before an answer: the first defect is the answer.
 */
export interface HeaderCsvSpec<C extends string> {
  separator: string;
  decimal: string;
  quoting: boolean;
  required: readonly C[];
  optional: readonly C[];
  labels: TotalsLabels;
  /** The fields of one data line (1-based `line`): the line, or what is wrong with it (no "line N: " prefix). */
  readRow(fields: LineFields, columns: Record<C, number>, line: number): RegistryLine | string;
}

export type HeaderCsvResult = { ok: true; lines: RegistryLine[]; stated: StatedTotals } | Rejected;

export function parseHeaderCsv<C extends string>(text: readonly string[], spec: HeaderCsvSpec<C>): HeaderCsvResult {
  const fields = new LineFields();
  const headerError = fields.read(text[0]!, spec.separator, spec.quoting);
  if (headerError !== undefined) return malformed(1, `header: ${headerError}`);
  const columns = readHeader(fields.all(), spec.required, spec.optional);
  if (typeof columns === "string") return malformed(1, columns);
  const width = fields.count;
  const lines: RegistryLine[] = [];
  const last = text.length - 1;
  for (let i = 1; i < text.length; i++) {
    const lineNo = i + 1;
    const raw = text[i]!;
    if (isBlank(raw)) return malformed(lineNo, EMPTY_LINE);
    const quoteError = fields.read(raw, spec.separator, spec.quoting);
    if (quoteError !== undefined) return malformed(lineNo, quoteError);
    if (isTotalFooter(raw, fields)) {
      if (i !== last) return malformed(lineNo, `the footer TOTAL is followed by ${last - i} more line${last - i === 1 ? "" : "s"}: it must be the last line`);
      const stated = parseTotalFooter(fields.all(), spec.decimal, spec.labels);
      if (typeof stated === "string") return malformed(lineNo, stated);
      const mismatch = checkTotals(lineNo, stated, computeTotals(lines), spec.labels);
      if (mismatch) return mismatch;
      return { ok: true, lines, stated };
    }
    if (fields.count !== width) return malformed(lineNo, `has ${fields.count} fields, the header ${width}`);
    const row = spec.readRow(fields, columns, lineNo);
    if (typeof row === "string") return malformed(lineNo, row);
    lines.push(row);
  }
  return malformed(text.length, `the file ends at line ${text.length} without its footer TOTAL;<count>;<${spec.labels.amount}>;<${spec.labels.commission}>;<${spec.labels.transfer}>`);
}

/** The registry's totals from a checked `TOTAL` footer. */
export function totalsFrom(stated: StatedTotals): { count: number; amountKopecks: bigint; commissionKopecks?: bigint; transferKopecks?: bigint } {
  return {
    count: stated.count,
    amountKopecks: stated.amount,
    ...(stated.commission !== undefined ? { commissionKopecks: stated.commission } : {}),
    ...(stated.transfer !== undefined ? { transferKopecks: stated.transfer } : {}),
  };
}

/** The trimmed field at a column index (-1 or beyond the line: ""). */
export function field(fields: LineFields, index: number): string {
  return fields.get(index);
}

/** Printable ASCII of 1..max characters (the hub's own id rules for the channel, adapters/<channel>/schema.ts). */
export function printableAscii(max: number): RegExp {
  return new RegExp(`^[\\x21-\\x7E]{1,${max}}$`);
}
