import type { ParseOptions, ParseResult, RegistryFormat, RegistryLine } from "../format.ts";
import { checkTotals, computeTotals, EMPTY_LINE, LineFields, malformed, parseAmount, parseCount, readLines, reject, preview } from "./common.ts";
import { baseName, dmyToIso, isBlank, isTimeHms, yyyymmddToIso, type RegistryEncoding } from "./text.ts";

/**
 * The OSMP networks' registry: QIWI's standard file (REGISTRIES.md §2, PROTOCOLS.md §1), used by qiwi, and by
 * office-terminals, vladik and epos in the same layout. `QIWI_<service_id>_<YYYYMMDD><n>.csv`; one successful payment
 * per line, `<txn_id> <dd.mm.yyyy> <hh:mm:ss> <account> <sum>` tab-separated, `.` decimals; last line
 * `Total: <count> <amount>` (tab or spaces after "Total:" and between the two). No commission: the settlement check
 * takes it from the profile's rule. UTF-8 by default; a profile may set `;` and windows-1251.
 */

export interface QiwiTabProfile {
  /** Default UTF-8 (a UTF-8 BOM always means UTF-8). */
  encoding?: RegistryEncoding;
  /** Default tab; a network may send ";". */
  separator?: "\t" | ";";
  /** Default ".". */
  decimal?: "." | ",";
  /** When set, the file name must carry this service id (a file of another service is a bad_file_name). */
  serviceId?: string;
}

/** `n` is the file's number within the day: the digits after the 8 of the date. */
export const QIWI_TAB_NAME = /^QIWI_([0-9A-Za-z]{1,32})_(\d{8})(\d{1,4})\.csv$/i;

/** The hub's txn_id (adapters/osmp/schema.ts): 1 to 20 digits. */
const TXN_ID = /^[0-9]{1,20}$/;
const FOOTER = /^total:/i;

export function parseQiwiTab(bytes: Buffer, options: ParseOptions, profile: QiwiTabProfile = {}): ParseResult {
  const separator = profile.separator ?? "\t";
  const decimal = profile.decimal ?? ".";
  const footerGap = separator === "\t" ? /[\t ]+/ : /[\t ;]+/;
  const fileName = baseName(options.fileName);
  const name = QIWI_TAB_NAME.exec(fileName);
  const day = name ? yyyymmddToIso(name[2]!) : undefined;
  if (!name || !day) {
    return reject("bad_file_name", undefined, `file name "${options.fileName}" is not QIWI_<service_id>_<YYYYMMDD><n>.csv with a real date (e.g. QIWI_12345_202611231.csv)`);
  }
  if (profile.serviceId !== undefined && name[1] !== profile.serviceId) {
    return reject("bad_file_name", undefined, `file name "${options.fileName}" is for service ${name[1]}, this channel's service is ${profile.serviceId}`);
  }
  const read = readLines(bytes, options, profile.encoding ?? "utf-8");
  if (!read.ok) return read;
  const text = read.lines;
  const lines: RegistryLine[] = [];
  const fields = new LineFields();
  const last = text.length - 1;
  for (let i = 0; i < text.length; i++) {
    const lineNo = i + 1;
    const raw = text[i]!;
    if (isBlank(raw)) return malformed(lineNo, EMPTY_LINE);
    if (FOOTER.test(raw)) {
      if (i !== last) return malformed(lineNo, `the footer "Total:" is followed by ${last - i} more line${last - i === 1 ? "" : "s"}: it must be the last line`);
      const parts = raw.slice("total:".length).split(footerGap).filter((part) => part !== "");
      if (parts.length !== 2) return malformed(lineNo, `the footer is not "Total: <count> <amount>"`);
      const count = parseCount(parts[0]!, "the footer's count");
      if (typeof count === "string") return malformed(lineNo, count);
      const amount = parseAmount(parts[1]!, "the footer's amount", decimal, true);
      if (typeof amount === "string") return malformed(lineNo, amount);
      const mismatch = checkTotals(lineNo, { count, amount }, computeTotals(lines));
      if (mismatch) return mismatch;
      return { ok: true, registry: { day, sequence: Number(name[3]), lines, totals: { count, amountKopecks: amount }, encoding: read.encoding } };
    }
    fields.read(raw, separator, false);
    if (fields.count !== 5) return malformed(lineNo, `has ${fields.count} fields, expected 5: txn_id, date, time, account, sum`);
    const externalId = fields.get(0);
    if (!TXN_ID.test(externalId)) return malformed(lineNo, `txn_id "${preview(externalId)}" is not 1 to 20 digits`);
    const dateText = fields.get(1);
    const date = dmyToIso(dateText, ".");
    if (!date) return malformed(lineNo, `date "${preview(dateText)}" is not a real dd.mm.yyyy date`);
    const time = fields.get(2);
    if (!isTimeHms(time)) return malformed(lineNo, `time "${preview(time)}" is not hh:mm:ss`);
    const amount = parseAmount(fields.get(4), "sum", decimal);
    if (typeof amount === "string") return malformed(lineNo, amount);
    lines.push({ line: lineNo, externalId, account: fields.get(3), amountKopecks: amount, operation: "payment", date, time });
  }
  return malformed(text.length, `the file ends at line ${text.length} without its footer "Total: <count> <amount>"`);
}

export function createQiwiTabFormat(profile: QiwiTabProfile = {}): RegistryFormat {
  return { name: "qiwi-tab", parse: (bytes, options) => parseQiwiTab(bytes, options, profile) };
}

export const qiwiTabFormat: RegistryFormat = createQiwiTabFormat();
