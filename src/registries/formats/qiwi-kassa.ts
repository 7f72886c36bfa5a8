import { formatRubles } from "../../../lib/money.ts";
import type { ParseOptions, ParseResult, RegistryFormat, RegistryLine, RegistryTotals } from "../format.ts";
import { computeTotals, EMPTY_LINE, field, LineFields, malformed, parseAmount, parseSignedAmount, printableAscii, readHeader, readLines, reject, preview } from "./common.ts";
import { baseName, dmyToIso, isBlank, splitDateTime, yyyymmddToIso, type RegistryEncoding } from "./text.ts";

/**
 * QIWI bills: the QIWI Kassa daily report (REGISTRIES.md §4, confirmed): CSV `;`, decimal comma, UTF-8 (BOM allowed),
 * a header line naming the columns (matched by name, the ones not used here ignored), no footer. Whole rubles are
 * allowed ("1200" = 1200.00, rule 4).
 *
 * - PURPOSE `payment` and `refund` rows are the registry's lines (case-insensitive): key BILL (= the hub's billId),
 *   amount SUM, commission COMMISSION (empty = none), the day and time of TRANS_DATE (`dd.mm.yyyy h:mm`), payer
 *   USER_INFO (masked card or phone), references transactionId (TRANSACTION_ID), paymentId (ID) and
 *   parentTransactionId when given. A refund's SUM may be written with or without a minus: the line carries its
 *   magnitude as `operation: "refund"`; its COMMISSION is taken as written (a negative one is commission returned),
 *   so the commission total is the report's own signed sum.
 * - The report names no subscriber account. The hub's billIds are `payhub-<account>-<16 hex>`
 *   (src/qiwi-bills/issue-bill.ts), so the account is read from BILL; a BILL of another form gives the account ""
 *   (the file names none).
 * - The `SETTLEMENT` row is not a line: it is the payment order that pays the merchant. Its SUM_BANK is negative and
 *   its magnitude is totals.transferKopecks; BANK_AGR_CODE and BANK_DATA_DOC are totals.paymentOrder's number and
 *   date (YYYY-MM-DD). Several SETTLEMENT rows: the transfer is their sum and no single payment order is named (the
 *   settlement check then finds the transfer by channel and day). No SETTLEMENT row: no transfer is stated.
 *   The transfer is not checked against the lines: QIWI's settlement follows its own schedule and need not cover
 *   exactly this report's operations; a difference is for the settlement check (settlement_mismatch), not a reason
 *   to refuse the file.
 * - Totals: count, amount (Σ payments − Σ refunds) and commission computed from the lines, plus the settlement.
 * - Other PURPOSE values (CHARGEBACK, REVERT_CHARGEBACK, OPERATION+, OPERATION-) refuse the file as malformed_line.
 *   Choice: they are not payments of a bill the hub issued (OPERATION± name no bill at all), and the registry's line
 *   shapes (payment/refund) cannot carry them without claiming what they are not: a chargeback is a dispute the
 *   operator must see, not a refund the hub made. Refusing says exactly which row needs a person, and nothing is
 *   recorded half-understood; the operator handles the dispute with QIWI and re-imports a report without it.
 *
 * The day: a `_<YYYYMMDD>_` (or `_<YYYYMMDD>.csv`) part of the file name, as in QIWI's
 * `report_<anything>_<YYYYMMDD>_…csv`; a name without one takes the single TRANS_DATE day of all its lines, and is a
 * bad_file_name when the lines span several days (or there are none). The name must end in `.csv`.
 */

export interface QiwiKassaProfile {
  /** Default UTF-8. */
  encoding?: RegistryEncoding;
  /** Default ";". */
  separator?: string;
  /** Default ",". */
  decimal?: "," | ".";
}

const REQUIRED = ["BANK_DATA_DOC", "BANK_AGR_CODE", "SUM_BANK", "TRANS_DATE", "TRANSACTION_ID", "SUM", "COMMISSION", "BILL", "PURPOSE"] as const;
const OPTIONAL = ["ID", "USER_INFO", "PARENT_TRANSACTION_ID"] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

/** QIWI's billId: up to 200 characters; payhub's are printable ASCII. */
const BILL = printableAscii(200);
const PAYHUB_BILL = /^payhub-(.+)-[0-9a-f]{16}$/;
const PAYMENT_ORDER_NUMBER = /^[0-9A-Za-z/-]{1,32}$/;

/** The day named by the file name, undefined when it names none, or an error when it is not a report name. */
export function qiwiKassaDayFromName(fileName: string): { ok: true; day?: string } | { ok: false; message: string } {
  const base = baseName(fileName);
  if (!/\.csv$/i.test(base)) return { ok: false, message: `file name "${fileName}" is not a .csv report (QIWI's are report_<anything>_<YYYYMMDD>_….csv)` };
  const days = new Set<string>();
  for (const part of base.slice(0, -4).split("_")) {
    const day = yyyymmddToIso(part);
    if (day) days.add(day);
  }
  if (days.size > 1) return { ok: false, message: `file name "${fileName}" names several days (${[...days].join(", ")}): which one is the registry's is not clear` };
  const [day] = days;
  return day ? { ok: true, day } : { ok: true };
}

export function parseQiwiKassa(bytes: Buffer, options: ParseOptions, profile: QiwiKassaProfile = {}): ParseResult {
  const separator = profile.separator ?? ";";
  const decimal = profile.decimal ?? ",";
  const named = qiwiKassaDayFromName(options.fileName);
  if (!named.ok) return reject("bad_file_name", undefined, named.message);
  const read = readLines(bytes, options, profile.encoding ?? "utf-8");
  if (!read.ok) return read;
  const text = read.lines;
  const fields = new LineFields();
  const headerError = fields.read(text[0]!, separator, true);
  if (headerError !== undefined) return malformed(1, `header: ${headerError}`);
  const c = readHeader<Column>(fields.all(), REQUIRED, OPTIONAL);
  if (typeof c === "string") return malformed(1, c);
  const width = fields.count;

  const lines: RegistryLine[] = [];
  let transfer: bigint | undefined;
  const orders: { number: string; date: string }[] = [];
  for (let i = 1; i < text.length; i++) {
    const lineNo = i + 1;
    const raw = text[i]!;
    if (isBlank(raw)) return malformed(lineNo, EMPTY_LINE);
    const quoteError = fields.read(raw, separator, true);
    if (quoteError !== undefined) return malformed(lineNo, quoteError);
    if (fields.count !== width) return malformed(lineNo, `has ${fields.count} fields, the header ${width}`);
    const purposeText = field(fields, c.PURPOSE);
    const purpose = purposeText.toLowerCase();

    if (purpose === "settlement") {
      const sum = parseSignedAmount(field(fields, c.SUM_BANK), "SUM_BANK", decimal);
      if (typeof sum === "string") return malformed(lineNo, sum);
      if (sum >= 0n) return malformed(lineNo, `SETTLEMENT row's SUM_BANK ${formatRubles(sum)} is not negative (the transfer to the merchant is written as a negative sum)`);
      const number = field(fields, c.BANK_AGR_CODE);
      if (!PAYMENT_ORDER_NUMBER.test(number)) return malformed(lineNo, `SETTLEMENT row's BANK_AGR_CODE "${preview(number)}" is not 1 to 32 letters, digits, / or -`);
      const dateText = field(fields, c.BANK_DATA_DOC);
      const date = dmyToIso(dateText, ".");
      if (!date) return malformed(lineNo, `SETTLEMENT row's BANK_DATA_DOC "${preview(dateText)}" is not a real dd.mm.yyyy date`);
      transfer = (transfer ?? 0n) - sum;
      orders.push({ number, date });
      continue;
    }
    if (purpose !== "payment" && purpose !== "refund") {
      return malformed(
        lineNo,
        `PURPOSE "${preview(purposeText)}" is not payment, refund or SETTLEMENT: payhub does not reconcile chargebacks and manual operations (CHARGEBACK, REVERT_CHARGEBACK, OPERATION+, OPERATION-) from the report; settle this row with QIWI and import the report without it`,
      );
    }
    const refund = purpose === "refund";
    const externalId = field(fields, c.BILL);
    if (!BILL.test(externalId)) return malformed(lineNo, `BILL "${preview(externalId)}" is not 1 to 200 printable ASCII characters`);
    const when = field(fields, c.TRANS_DATE);
    const at = splitDateTime(when, { looseTime: true });
    if (!at) return malformed(lineNo, `TRANS_DATE "${preview(when)}" is not dd.mm.yyyy h:mm with a real date`);
    const sumText = field(fields, c.SUM);
    const signed = refund && sumText.startsWith("-");
    const amount = parseAmount(signed ? sumText.slice(1) : sumText, "SUM", decimal);
    if (typeof amount === "string") return malformed(lineNo, signed ? amount.replace(`"${sumText.slice(1)}"`, `"${sumText}"`) : amount);
    const commissionText = field(fields, c.COMMISSION);
    let commission: bigint | undefined;
    if (commissionText !== "") {
      const parsed = refund ? parseSignedAmount(commissionText, "COMMISSION", decimal) : parseAmount(commissionText, "COMMISSION", decimal, true);
      if (typeof parsed === "string") return malformed(lineNo, parsed);
      commission = parsed;
    }
    const references: Record<string, string> = {};
    const transactionId = field(fields, c.TRANSACTION_ID);
    if (transactionId !== "") references.transactionId = transactionId;
    const paymentId = field(fields, c.ID);
    if (paymentId !== "") references.paymentId = paymentId;
    const parent = field(fields, c.PARENT_TRANSACTION_ID);
    if (parent !== "") references.parentTransactionId = parent;
    const payer = field(fields, c.USER_INFO);
    lines.push({
      line: lineNo,
      externalId,
      account: PAYHUB_BILL.exec(externalId)?.[1] ?? "",
      amountKopecks: amount,
      ...(commission !== undefined ? { commissionKopecks: commission } : {}),
      operation: refund ? "refund" : "payment",
      date: at.date,
      time: at.time,
      ...(Object.keys(references).length > 0 ? { references } : {}),
      ...(payer !== "" ? { payer } : {}),
    });
  }

  let day = named.day;
  if (day === undefined) {
    const days = new Set(lines.map((line) => line.date));
    if (days.size !== 1) {
      const why = days.size === 0 ? "the file has no payment or refund lines to take the day from" : `its lines span ${days.size} days (${[...days].sort().join(", ")})`;
      return reject("bad_file_name", undefined, `file name "${options.fileName}" names no day (report_<anything>_<YYYYMMDD>_….csv) and ${why}`);
    }
    day = days.values().next().value!;
  }
  const computed = computeTotals(lines);
  const totals: RegistryTotals = {
    count: computed.count,
    amountKopecks: computed.amount,
    commissionKopecks: computed.commission,
    ...(transfer !== undefined ? { transferKopecks: transfer } : {}),
    ...(orders.length === 1 ? { paymentOrder: orders[0]! } : {}),
  };
  return { ok: true, registry: { day: day!, sequence: 1, lines, totals, encoding: read.encoding } };
}

export function createQiwiKassaFormat(profile: QiwiKassaProfile = {}): RegistryFormat {
  return { name: "qiwi-kassa", parse: (bytes, options) => parseQiwiKassa(bytes, options, profile) };
}

export const qiwiKassaFormat: RegistryFormat = createQiwiKassaFormat();
