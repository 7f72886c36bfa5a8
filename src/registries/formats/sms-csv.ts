import { formatRubles } from "../../../lib/money.ts";
import type { ParseOptions, ParseResult, RegistryFormat, RegistryLine } from "../format.ts";
import { datedFileName, field, parseAmount, parseHeaderCsv, printableAscii, readLines, totalsFrom, type TotalsLabels, preview } from "./common.ts";
import { splitDateTime, type RegistryEncoding } from "./text.ts";

/**
 * The SMS 3116 aggregator's daily CSV (REGISTRIES.md §4, payhub's profile): UTF-8, `;`, `.`, header
 * `SMS_ID;PAYMENT_ID;DATE;OPERATOR;MSISDN;ACCOUNT;AMOUNT;PAYER_FEE;MERCHANT_FEE` (matched by name), last line
 * `TOTAL;<count>;<amount>;<merchant fee>;<transfer>`. The key is SMS_ID (= smsid); PAYMENT_ID (the status callback's
 * payment_id) is references.paymentId. AMOUNT is the credited sum, MERCHANT_FEE what the aggregator withholds (the
 * line's commission); PAYER_FEE, the operator's commission paid on top, is shown only (references.payerFee), and the
 * MSISDN is the line's payer. SMS payments have no refunds: every line is a payment. DATE is
 * `dd.mm.yyyy hh:mm:ss` or `yyyy-mm-dd hh:mm:ss`, its day as written.
 *
 * File name (payhub's rule, the e-mailed attachment is saved under it): `sms3116_<YYYYMMDD>.csv`, or
 * `sms3116_<YYYYMMDD>_<n>.csv` for a further file of the same day (sequence n, else 1); case-insensitive.
 */

export interface SmsCsvProfile {
  /** Default UTF-8. */
  encoding?: RegistryEncoding;
  /** Default ";". */
  separator?: string;
  /** Default ".". */
  decimal?: "." | ",";
}

export const SMS_CSV_NAME = /^sms3116_(\d{8})(?:_(\d{1,4}))?\.csv$/i;

const REQUIRED = ["SMS_ID", "PAYMENT_ID", "DATE", "ACCOUNT", "AMOUNT", "MERCHANT_FEE"] as const;
const OPTIONAL = ["OPERATOR", "MSISDN", "PAYER_FEE"] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

const LABELS: TotalsLabels = { amount: "amount", commission: "merchant fee", transfer: "transfer" };
/** The hub's smsid and payment_id rules (adapters/sms3116/schema.ts). */
const SMS_ID = /^[0-9A-Za-z_.:-]{1,64}$/;
const PAYMENT_ID = printableAscii(128);

export function parseSmsCsv(bytes: Buffer, options: ParseOptions, profile: SmsCsvProfile = {}): ParseResult {
  const decimal = profile.decimal ?? ".";
  const named = datedFileName(SMS_CSV_NAME, options.fileName, "sms3116_<YYYYMMDD>.csv or sms3116_<YYYYMMDD>_<n>.csv");
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
      const externalId = field(fields, c.SMS_ID);
      if (!SMS_ID.test(externalId)) return `SMS_ID "${preview(externalId)}" is not 1 to 64 letters, digits or _ . : -`;
      const paymentId = field(fields, c.PAYMENT_ID);
      if (!PAYMENT_ID.test(paymentId)) return `PAYMENT_ID "${preview(paymentId)}" is not 1 to 128 printable ASCII characters`;
      const when = field(fields, c.DATE);
      const at = splitDateTime(when);
      if (!at) return `DATE "${preview(when)}" is not dd.mm.yyyy hh:mm:ss (or yyyy-mm-dd hh:mm:ss) with a real date`;
      const amount = parseAmount(field(fields, c.AMOUNT), "AMOUNT", decimal);
      if (typeof amount === "string") return amount;
      const merchantFee = parseAmount(field(fields, c.MERCHANT_FEE), "MERCHANT_FEE", decimal, true);
      if (typeof merchantFee === "string") return merchantFee;
      const references: Record<string, string> = { paymentId };
      const payerFeeText = field(fields, c.PAYER_FEE);
      if (payerFeeText !== "") {
        const payerFee = parseAmount(payerFeeText, "PAYER_FEE", decimal, true);
        if (typeof payerFee === "string") return payerFee;
        references.payerFee = formatRubles(payerFee);
      }
      const operator = field(fields, c.OPERATOR);
      if (operator !== "") references.operator = operator;
      const msisdn = field(fields, c.MSISDN);
      return {
        line,
        externalId,
        account: field(fields, c.ACCOUNT),
        amountKopecks: amount,
        commissionKopecks: merchantFee,
        operation: "payment",
        date: at.date,
        time: at.time,
        references,
        ...(msisdn !== "" ? { payer: msisdn } : {}),
      };
    },
  });
  if (!parsed.ok) return parsed;
  return { ok: true, registry: { day, sequence, lines: parsed.lines, totals: totalsFrom(parsed.stated), encoding: read.encoding } };
}

export function createSmsCsvFormat(profile: SmsCsvProfile = {}): RegistryFormat {
  return { name: "sms-csv", parse: (bytes, options) => parseSmsCsv(bytes, options, profile) };
}

export const smsCsvFormat: RegistryFormat = createSmsCsvFormat();
