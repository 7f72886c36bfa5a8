/**
 * What every registry parser produces (../shared/protocols/REGISTRIES.md): a file checked whole, or the reason it is
 * rejected with its line number. Parsers are pure (bytes and file name in, this out); matching, recording and the
 * settlement check work only on these shapes, whatever the provider's format.
 */

/** One payment (or refund) line of a registry, as the provider reported it. */
export interface RegistryLine {
  /** 1-based line number in the file (header and footer lines count), for messages and the operator's view. */
  line: number;
  /** The provider's payment id = the hub's external id in the channel's namespace (REGISTRIES.md rule 7). */
  externalId: string;
  /** The account as the line names it, trimmed. */
  account: string;
  /** Positive kopecks; a refund or reversal line is `operation: "refund"` with its positive amount. */
  amountKopecks: bigint;
  /** The provider's commission on this line, when the file has one. */
  commissionKopecks?: bigint;
  operation: "payment" | "refund";
  /** The line's operating day in the registry's time zone: YYYY-MM-DD. */
  date: string;
  /** The provider's time of the line as written (for the operator), when the file has one. */
  time?: string;
  /** Other references the matching may check or show (card: mdOrder, rrn; SMS: paymentId; QIWI: transactionId). */
  references?: Record<string, string>;
  /** Payer's name or other descriptive text, shown only. */
  payer?: string;
}

/** The footer's (or the API's) totals, as the provider stated them. */
export interface RegistryTotals {
  count: number;
  /** Payments minus refunds. */
  amountKopecks: bigint;
  commissionKopecks?: bigint;
  /** What the provider will transfer: amount − commission. */
  transferKopecks?: bigint;
  /** The payment order (платёжное поручение) the registry names for its transfer. */
  paymentOrder?: { number: string; date: string };
}

export interface ParsedRegistry {
  /** The registry day: YYYY-MM-DD, from the file name (or the API query), never from the import date. */
  day: string;
  /** The sequence number within the day (QIWI's `n`, the bank's NNN); 1 when the format has none. */
  sequence: number;
  lines: RegistryLine[];
  /** Absent for API-sourced registries without totals (wallets). */
  totals?: RegistryTotals;
  /** The encoding the bytes were decoded with. */
  encoding: "utf-8" | "windows-1251";
}

/** Why a file is rejected whole (nothing is recorded). */
export type RegistryRejection =
  | "totals_mismatch"
  | "malformed_line"
  | "bad_encoding"
  | "bad_file_name"
  | "empty_file"
  | "already_imported"
  | "conflicting_import"
  | "unknown_channel";

export type ParseResult = { ok: true; registry: ParsedRegistry } | { ok: false; reason: RegistryRejection; line?: number; message: string };

export interface ParseOptions {
  fileName: string;
  /** Forces the encoding; otherwise the profile's, with a UTF-8 BOM always recognised. */
  encoding?: "utf-8" | "windows-1251";
}

/** A registry format: the parser of one provider family's file. */
export interface RegistryFormat {
  /** e.g. "bank-semicolon", "qiwi-tab", "card-csv", "qiwi-kassa", "arsenalpay-csv", "sms-csv". */
  name: string;
  parse(bytes: Buffer, options: ParseOptions): ParseResult;
}
