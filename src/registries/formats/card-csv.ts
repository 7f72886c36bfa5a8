import type { ParseOptions, ParseResult, RegistryFormat, RegistryLine } from "../format.ts";
import { field, parseAmount, parseHeaderCsv, printableAscii, readLines, reject, totalsFrom, type TotalsLabels, preview } from "./common.ts";
import { baseName, splitDateTime, yyyymmddToIso, type RegistryEncoding } from "./text.ts";

/**
 * The card acquirer's operations report (REGISTRIES.md §3, payhub's profile in the RBS/Tochka family):
 * `<merchant login>_<YYYYMMDD>.csv`, UTF-8 (BOM allowed), `;`, decimal comma, a header line (columns matched by
 * name, others ignored), one operation per line, last line `TOTAL;<count>;<amount>;<commission>;<transfer>` where
 * amount = Σ DEPOSIT − Σ REFUND/REVERSAL, commission = Σ, transfer = amount − commission. The key is ORDER_NUMBER
 * (the hub's orderNumber); REFUND and REVERSAL lines are `operation: "refund"` with their positive amount.
 * References: mdOrder (must equal the hub's), and rrn, authCode, pan when given.
 */

export interface CardCsvProfile {
  /** Default UTF-8. */
  encoding?: RegistryEncoding;
  /** Default ";". */
  separator?: string;
  /** Default ",". */
  decimal?: "," | ".";
  /** When set, the file name must start with this merchant login. */
  merchantLogin?: string;
}

/** `<merchant login>_<YYYYMMDD>.csv`; the login may itself contain "_" (the date is the last part). */
export const CARD_CSV_NAME = /^([0-9A-Za-z._-]{1,64})_(\d{8})\.csv$/i;

const REQUIRED = ["OPERATION_DATE", "ORDER_NUMBER", "MD_ORDER", "OPERATION", "AMOUNT", "COMMISSION", "ACCOUNT"] as const;
const OPTIONAL = ["RRN", "AUTH_CODE", "PAN"] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

const LABELS: TotalsLabels = { amount: "amount", commission: "commission", transfer: "transfer" };
/** The hub's orderNumber and the acquirer's mdOrder (adapters/card/schema.ts). */
const ORDER_NUMBER = printableAscii(32);
const MD_ORDER = printableAscii(64);

export function parseCardCsv(bytes: Buffer, options: ParseOptions, profile: CardCsvProfile = {}): ParseResult {
  const decimal = profile.decimal ?? ",";
  const name = CARD_CSV_NAME.exec(baseName(options.fileName));
  const day = name ? yyyymmddToIso(name[2]!) : undefined;
  if (!name || !day) return reject("bad_file_name", undefined, `file name "${options.fileName}" is not <merchant login>_<YYYYMMDD>.csv with a real date (e.g. alliance_20261123.csv)`);
  if (profile.merchantLogin !== undefined && name[1] !== profile.merchantLogin) {
    return reject("bad_file_name", undefined, `file name "${options.fileName}" is for merchant ${name[1]}, this channel's merchant is ${profile.merchantLogin}`);
  }
  const read = readLines(bytes, options, profile.encoding ?? "utf-8");
  if (!read.ok) return read;
  const parsed = parseHeaderCsv<Column>(read.lines, {
    separator: profile.separator ?? ";",
    decimal,
    quoting: true,
    required: REQUIRED,
    optional: OPTIONAL,
    labels: LABELS,
    readRow(fields, c, line): RegistryLine | string {
      const when = field(fields, c.OPERATION_DATE);
      const at = splitDateTime(when);
      if (!at) return `OPERATION_DATE "${preview(when)}" is not dd.mm.yyyy hh:mm:ss with a real date`;
      const externalId = field(fields, c.ORDER_NUMBER);
      if (!ORDER_NUMBER.test(externalId)) return `ORDER_NUMBER "${preview(externalId)}" is not 1 to 32 printable ASCII characters`;
      const mdOrder = field(fields, c.MD_ORDER);
      if (!MD_ORDER.test(mdOrder)) return `MD_ORDER "${preview(mdOrder)}" is not 1 to 64 printable ASCII characters`;
      const operationText = field(fields, c.OPERATION).toUpperCase();
      if (operationText !== "DEPOSIT" && operationText !== "REFUND" && operationText !== "REVERSAL") {
        return `OPERATION "${preview(field(fields, c.OPERATION))}" is not DEPOSIT, REFUND or REVERSAL`;
      }
      const amount = parseAmount(field(fields, c.AMOUNT), "AMOUNT", decimal);
      if (typeof amount === "string") return amount;
      const commission = parseAmount(field(fields, c.COMMISSION), "COMMISSION", decimal, true);
      if (typeof commission === "string") return commission;
      const references: Record<string, string> = { mdOrder };
      const rrn = field(fields, c.RRN);
      if (rrn !== "") references.rrn = rrn;
      const authCode = field(fields, c.AUTH_CODE);
      if (authCode !== "") references.authCode = authCode;
      const pan = field(fields, c.PAN);
      if (pan !== "") references.pan = pan;
      // The report's own word for a refund line (REFUND or REVERSAL), for the operator.
      if (operationText !== "DEPOSIT") references.operation = operationText;
      return {
        line,
        externalId,
        account: field(fields, c.ACCOUNT),
        amountKopecks: amount,
        commissionKopecks: commission,
        operation: operationText === "DEPOSIT" ? "payment" : "refund",
        date: at.date,
        time: at.time,
        references,
      };
    },
  });
  if (!parsed.ok) return parsed;
  return { ok: true, registry: { day, sequence: 1, lines: parsed.lines, totals: totalsFrom(parsed.stated), encoding: read.encoding } };
}

export function createCardCsvFormat(profile: CardCsvProfile = {}): RegistryFormat {
  return { name: "card-csv", parse: (bytes, options) => parseCardCsv(bytes, options, profile) };
}

export const cardCsvFormat: RegistryFormat = createCardCsvFormat();
