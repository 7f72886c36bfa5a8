import { formatRubles } from "../../../lib/money.ts";
import type { ParseOptions, ParseResult, RegistryFormat, RegistryLine } from "../format.ts";
import { datedFileName, field, parseAmount, parseHeaderCsv, readLines, totalsFrom, type TotalsLabels, preview } from "./common.ts";
import { splitDateTime, type RegistryEncoding } from "./text.ts";

/**
 * ArsenalPay's daily registry: the merchant cabinet's export (REGISTRIES.md §4, payhub's profile): UTF-8, `;`, `.`,
 * header `RRN;DATETIME;ACCOUNT;FUNCTION;AMOUNT;AMOUNT_FULL;COMMISSION;PAYER` (matched by name), last line
 * `TOTAL;<count>;<amount>;<commission>;<transfer>`. The key is RRN. FUNCTION `payment` is a payment; `refund`,
 * `reverse` and `reversal` (PROTOCOLS.md §3: reversal acts as reverse) are `operation: "refund"` with their positive
 * AMOUNT, and as for the card report the footer's amount is Σ payments − Σ refunds, transfer = amount − commission.
 * Any other FUNCTION (check, hold, cancel…) moves no money and has no place in a registry: malformed.
 * AMOUNT is what the hub credits (after the payer's fee when MERCH_TYPE=1); AMOUNT_FULL, what the payer paid, is kept
 * in references.amountFull. DATETIME is `yyyy-mm-dd hh:mm:ss` (the status API's form; `dd.mm.yyyy hh:mm:ss` and an
 * ISO offset are read too), its day as written.
 *
 * File name (payhub's rule, the cabinet's export is saved under it): `arsenalpay_<YYYYMMDD>.csv`, or
 * `arsenalpay_<YYYYMMDD>_<n>.csv` for a further file of the same day (sequence n, else 1); case-insensitive.
 */

export interface ArsenalpayCsvProfile {
  /** Default UTF-8. */
  encoding?: RegistryEncoding;
  /** Default ";". */
  separator?: string;
  /** Default ".". */
  decimal?: "." | ",";
}

export const ARSENALPAY_CSV_NAME = /^arsenalpay_(\d{8})(?:_(\d{1,4}))?\.csv$/i;

const REQUIRED = ["RRN", "DATETIME", "ACCOUNT", "FUNCTION", "AMOUNT", "COMMISSION"] as const;
const OPTIONAL = ["AMOUNT_FULL", "PAYER"] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

const LABELS: TotalsLabels = { amount: "amount", commission: "commission", transfer: "transfer" };
/** The hub's RRN rule (adapters/arsenalpay/schema.ts). */
const RRN = /^[0-9A-Za-z_-]{1,64}$/;
const REFUND_FUNCTIONS = new Set(["refund", "reverse", "reversal"]);

export function parseArsenalpayCsv(bytes: Buffer, options: ParseOptions, profile: ArsenalpayCsvProfile = {}): ParseResult {
  const decimal = profile.decimal ?? ".";
  const named = datedFileName(ARSENALPAY_CSV_NAME, options.fileName, "arsenalpay_<YYYYMMDD>.csv or arsenalpay_<YYYYMMDD>_<n>.csv");
  if ("ok" in named) return named;
  const { day, sequence } = named;
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
      const externalId = field(fields, c.RRN);
      if (!RRN.test(externalId)) return `RRN "${preview(externalId)}" is not 1 to 64 letters, digits, _ or -`;
      const when = field(fields, c.DATETIME);
      const at = splitDateTime(when);
      if (!at) return `DATETIME "${preview(when)}" is not yyyy-mm-dd hh:mm:ss with a real date`;
      const functionText = field(fields, c.FUNCTION).toLowerCase();
      const refund = REFUND_FUNCTIONS.has(functionText);
      if (!refund && functionText !== "payment") return `FUNCTION "${preview(field(fields, c.FUNCTION))}" is not payment, refund, reverse or reversal`;
      const amount = parseAmount(field(fields, c.AMOUNT), "AMOUNT", decimal);
      if (typeof amount === "string") return amount;
      const commission = parseAmount(field(fields, c.COMMISSION), "COMMISSION", decimal, true);
      if (typeof commission === "string") return commission;
      const references: Record<string, string> = {};
      const amountFullText = field(fields, c.AMOUNT_FULL);
      if (amountFullText !== "") {
        const amountFull = parseAmount(amountFullText, "AMOUNT_FULL", decimal);
        if (typeof amountFull === "string") return amountFull;
        references.amountFull = formatRubles(amountFull);
      }
      if (refund) references.function = functionText;
      const payer = field(fields, c.PAYER);
      return {
        line,
        externalId,
        account: field(fields, c.ACCOUNT),
        amountKopecks: amount,
        commissionKopecks: commission,
        operation: refund ? "refund" : "payment",
        date: at.date,
        time: at.time,
        ...(Object.keys(references).length > 0 ? { references } : {}),
        ...(payer !== "" ? { payer } : {}),
      };
    },
  });
  if (!parsed.ok) return parsed;
  return { ok: true, registry: { day, sequence, lines: parsed.lines, totals: totalsFrom(parsed.stated), encoding: read.encoding } };
}

export function createArsenalpayCsvFormat(profile: ArsenalpayCsvProfile = {}): RegistryFormat {
  return { name: "arsenalpay-csv", parse: (bytes, options) => parseArsenalpayCsv(bytes, options, profile) };
}

export const arsenalpayCsvFormat: RegistryFormat = createArsenalpayCsvFormat();
