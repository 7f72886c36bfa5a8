/**
 * The bank statement in the 1C client-bank exchange format (`1CClientBankExchange`): the standard export of Russian
 * banks' client-bank systems, which the settlement check (REGISTRIES.md §5, `settlement.ts`) reads to find the
 * transfer that pays for each registry. Pure: bytes in, a checked statement or the reason it is refused with its line.
 *
 * The layout, as 1C's "Стандарт обмена с системами «Клиент банка»" (v8.1c.ru, versions 1.02/1.03) and public parsers
 * describe it:
 * - the first line is `1CClientBankExchange`; then the header's `Key=Value` lines: `ВерсияФормата`, `Кодировка`
 *   (`Windows` or `DOS`), `Отправитель`, `Получатель`, `ДатаСоздания`, `ВремяСоздания`, `ДатаНачала`, `ДатаКонца`,
 *   `РасчСчет` (may repeat, one per account), `Документ` (may repeat, the kinds of documents transferred);
 * - `СекцияРасчСчет` … `КонецРасчСчет`: an account's balances for an interval (`ДатаНачала`, `ДатаКонца`, `РасчСчет`,
 *   `НачальныйОстаток`, `ВсегоПоступило`, `ВсегоСписано`, `КонечныйОстаток`);
 * - `СекцияДокумент=<kind>` … `КонецДокумента`: one document (`Платежное поручение`, `Банковский ордер`, …) with
 *   `Номер`, `Дата`, `Сумма`, the payer's `ПлательщикСчет`, `Плательщик` (often "ИНН … name"), `Плательщик1` (name),
 *   `ПлательщикИНН`, `ДатаСписано` (debited from the account), the payee's `ПолучательСчет`, `Получатель`,
 *   `Получатель1`, `ПолучательИНН`, `ДатаПоступило` (credited to the account), `ВидОплаты`, `НазначениеПлатежа` and its
 *   lines `НазначениеПлатежа1..6`;
 * - the last line is `КонецФайла`.
 * Dates are `дд.мм.гггг`; sums use `.` for kopecks (whole rubles allowed). Unknown keys are kept out of the result but
 * are not an error: banks add their own (КПП, БИК, tax fields, `Код`).
 */
import { formatRubles as rubles, parseRubles } from "../../lib/money.ts";

export type StatementEncoding = "windows-1251" | "utf-8" | "ibm866";

export type StatementRejection =
  | "empty_file"
  | "not_a_statement"
  | "bad_encoding"
  | "malformed_line"
  | "missing_end"
  | "missing_field"
  | "bad_amount"
  | "bad_date"
  | "unknown_direction"
  | "totals_mismatch";

export interface StatementDocument {
  /** 1-based line of the document's `СекцияДокумент=` line. */
  line: number;
  /** The section's kind as written: `Платежное поручение`, `Банковский ордер`, … */
  kind: string;
  /** `Номер` as written (payment order numbers are set by the payer; not always digits). */
  number: string;
  /** `Дата`: the document's date, YYYY-MM-DD. */
  date: string;
  amountKopecks: bigint;
  /** `Плательщик1`, else `Плательщик` without a leading "ИНН <digits>". */
  payerName: string;
  payerInn: string;
  /** `ПлательщикСчет`, else `ПлательщикРасчСчет`. */
  payerAccount: string;
  payeeName: string;
  payeeInn: string;
  payeeAccount: string;
  /** `НазначениеПлатежа`, else its lines `НазначениеПлатежа1..6` joined by a space. */
  purpose: string;
  /** `ВидОплаты` when present (01 = платёжное поручение, 17 = банковский ордер, …). */
  paymentKind?: string;
  /** `ДатаПоступило`: credited to the statement's account, YYYY-MM-DD. */
  received?: string;
  /** `ДатаСписано`: debited from the statement's account, YYYY-MM-DD. */
  debited?: string;
  /** Relative to the statement's own account(s): `in` = the account is the payee. */
  direction: "in" | "out";
  /** The statement's own account the document moves money on. */
  account: string;
}

export interface StatementBalance {
  /** 1-based line of `СекцияРасчСчет`. */
  line: number;
  account: string;
  from: string;
  to: string;
  openingKopecks: bigint;
  receivedKopecks?: bigint;
  debitedKopecks?: bigint;
  closingKopecks?: bigint;
}

export interface BankStatement {
  /** The header's (first) `РасчСчет`. */
  account: string;
  /** Every own account the file names (header and balance sections), the first being `account`. */
  accounts: string[];
  /** `ДатаНачала` / `ДатаКонца` of the header, YYYY-MM-DD. */
  from: string;
  to: string;
  /** `ДатаСоздания` (+ `ВремяСоздания`) when present: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS. */
  createdAt?: string;
  formatVersion: string;
  sender?: string;
  /** The encoding the bytes were decoded with (the header's `Кодировка`, or UTF-8 when the bytes say so). */
  encoding: StatementEncoding;
  /** What the header's `Кодировка` says, as written. */
  declaredEncoding: string;
  balances: StatementBalance[];
  documents: StatementDocument[];
  /**
   * Facts the parser noticed without refusing the file: a declared encoding the bytes contradict, an account's
   * turnover (`ВсегоПоступило`/`ВсегоСписано`) different from the sum of its documents (a statement may carry only
   * some kinds of documents).
   */
  warnings: string[];
}

export type StatementParseResult =
  | { ok: true; statement: BankStatement }
  | { ok: false; reason: StatementRejection; line: number; message: string };

export interface StatementParseOptions {
  /** Forces the decoding instead of the header's `Кодировка` (and the UTF-8 BOM). */
  encoding?: StatementEncoding;
}

const FILE_MARK = "1CClientBankExchange";
const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/** Header keys that legitimately repeat: one per account, one per kind of document transferred. */
const REPEATABLE_HEADER_KEYS = new Set(["РасчСчет", "Документ"]);

class Refusal extends Error {
  constructor(
    readonly reason: StatementRejection,
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parses a whole 1C client-bank exchange file; nothing partial is returned. */
export function parseBankStatement1C(bytes: Uint8Array, options: StatementParseOptions = {}): StatementParseResult {
  try {
    return { ok: true, statement: parse(bytes, options) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, reason: error.reason, line: error.line, message: error.message };
    throw error;
  }
}

function parse(bytes: Uint8Array, options: StatementParseOptions): BankStatement {
  const { text, encoding, declaredEncoding, warnings } = decode(bytes, options);
  const lines = text.split(/\r\n|\n|\r/);

  type Attributes = Map<string, { value: string; line: number }>;
  type Open = { type: "header" } | { type: "account"; line: number } | { type: "document"; line: number; kind: string };

  const header: Attributes = new Map();
  const headerAccounts: { value: string; line: number }[] = [];
  const accountSections: { line: number; end: number; attributes: Attributes }[] = [];
  const documentSections: { line: number; end: number; kind: string; attributes: Attributes }[] = [];
  let open: Open | undefined;
  let attributes: Attributes = header;
  let started = false;
  let finished = 0;
  let lastContent = 1;

  for (let index = 0; index < lines.length; index += 1) {
    const number = index + 1;
    const raw = lines[index] ?? "";
    // A DOS end-of-file mark (Ctrl-Z) some exports still append is not content.
    const line = raw.replace(/\u001a+$/, "").trim();
    if (line === "") continue;
    lastContent = number;
    if (finished > 0) throw new Refusal("malformed_line", number, `line ${number}: "${preview(line)}" after КонецФайла`);
    if (!started) {
      if (line !== FILE_MARK) {
        throw new Refusal("not_a_statement", number, `line ${number}: a 1C client-bank file starts with ${FILE_MARK}, not "${preview(line)}"`);
      }
      started = true;
      open = { type: "header" };
      continue;
    }

    const marker = sectionMarker(line);
    if (marker !== undefined) {
      const where = open === undefined ? "between sections" : describe(open);
      switch (marker.type) {
        case "account":
        case "document":
          if (open !== undefined && open.type !== "header") {
            throw new Refusal("malformed_line", number, `line ${number}: ${line} inside ${where} (opened at line ${open.line}) that was not closed`);
          }
          if (marker.type === "account") {
            open = { type: "account", line: number };
            attributes = new Map();
            accountSections.push({ line: number, end: number, attributes });
          } else {
            if (marker.kind === "") throw new Refusal("malformed_line", number, `line ${number}: СекцияДокумент without the document's kind`);
            open = { type: "document", line: number, kind: marker.kind };
            attributes = new Map();
            documentSections.push({ line: number, end: number, kind: marker.kind, attributes });
          }
          break;
        case "end-account":
          if (open?.type !== "account") throw new Refusal("malformed_line", number, `line ${number}: КонецРасчСчет ${where}, without СекцияРасчСчет`);
          accountSections[accountSections.length - 1]!.end = number;
          open = undefined;
          break;
        case "end-document":
          if (open?.type !== "document") throw new Refusal("malformed_line", number, `line ${number}: КонецДокумента ${where}, without СекцияДокумент`);
          documentSections[documentSections.length - 1]!.end = number;
          open = undefined;
          break;
        case "end-file":
          if (open !== undefined && open.type !== "header") {
            throw new Refusal("missing_end", number, `line ${number}: КонецФайла inside ${where} opened at line ${open.line}`);
          }
          finished = number;
          open = undefined;
          break;
      }
      continue;
    }

    const equals = line.indexOf("=");
    if (equals <= 0) throw new Refusal("malformed_line", number, `line ${number}: "${preview(line)}" is neither Key=Value nor a section mark`);
    const key = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    if (open === undefined) throw new Refusal("malformed_line", number, `line ${number}: ${key}= outside any section`);
    if (open.type === "header" && key === "РасчСчет") headerAccounts.push({ value, line: number });
    const earlier = attributes.get(key);
    if (earlier !== undefined && !(open.type === "header" && REPEATABLE_HEADER_KEYS.has(key))) {
      throw new Refusal("malformed_line", number, `line ${number}: ${key} repeats in ${describe(open)} (first at line ${earlier.line})`);
    }
    if (earlier === undefined) attributes.set(key, { value, line: number });
  }

  if (!started) throw new Refusal("empty_file", 1, "the file is empty");
  if (finished === 0) {
    const last = lastContent;
    if (open !== undefined && open.type !== "header") {
      throw new Refusal("missing_end", last, `the file ends inside ${describe(open)} opened at line ${open.line}, without КонецФайла`);
    }
    throw new Refusal("missing_end", last, "the file ends without КонецФайла (cut short?)");
  }

  // The header.
  const firstSection = Math.min(accountSections[0]?.line ?? finished, documentSections[0]?.line ?? finished);
  const required = (map: Attributes, key: string, where: string, line: number): { value: string; line: number } => {
    const entry = map.get(key);
    if (entry === undefined || entry.value === "") throw new Refusal("missing_field", entry?.line ?? line, `${where}: ${key} is missing`);
    return entry;
  };
  const formatVersion = required(header, "ВерсияФормата", "header", firstSection).value;
  const from = dateOf(required(header, "ДатаНачала", "header", firstSection), "ДатаНачала");
  const to = dateOf(required(header, "ДатаКонца", "header", firstSection), "ДатаКонца");
  if (to < from) throw new Refusal("bad_date", header.get("ДатаКонца")!.line, `header: ДатаКонца ${to} is before ДатаНачала ${from}`);
  const account = required(header, "РасчСчет", "header", firstSection).value;
  const created = header.get("ДатаСоздания");
  let createdAt: string | undefined;
  if (created !== undefined && created.value !== "") {
    createdAt = dateOf(created, "ДатаСоздания");
    const time = header.get("ВремяСоздания")?.value;
    if (time !== undefined && /^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$/.test(time)) createdAt = `${createdAt}T${time}`;
  }
  const accounts: string[] = [];
  const addAccount = (value: string) => {
    if (value !== "" && !accounts.includes(value)) accounts.push(value);
  };
  for (const entry of headerAccounts) addAccount(entry.value);

  // The balance sections.
  const balances: StatementBalance[] = accountSections.map((section) => {
    const where = `СекцияРасчСчет at line ${section.line}`;
    const balanceAccount = required(section.attributes, "РасчСчет", where, section.line).value;
    addAccount(balanceAccount);
    const balance: StatementBalance = {
      line: section.line,
      account: balanceAccount,
      from: dateOf(required(section.attributes, "ДатаНачала", where, section.line), "ДатаНачала"),
      to: dateOf(required(section.attributes, "ДатаКонца", where, section.line), "ДатаКонца"),
      openingKopecks: signedAmountOf(required(section.attributes, "НачальныйОстаток", where, section.line), "НачальныйОстаток"),
    };
    const optional = (key: string) => {
      const entry = section.attributes.get(key);
      return entry === undefined || entry.value === "" ? undefined : signedAmountOf(entry, key);
    };
    const received = optional("ВсегоПоступило");
    const debited = optional("ВсегоСписано");
    const closing = optional("КонечныйОстаток");
    if (received !== undefined) balance.receivedKopecks = received;
    if (debited !== undefined) balance.debitedKopecks = debited;
    if (closing !== undefined) balance.closingKopecks = closing;
    if (received !== undefined && debited !== undefined && closing !== undefined && balance.openingKopecks + received - debited !== closing) {
      throw new Refusal(
        "totals_mismatch",
        section.end,
        `${where}: НачальныйОстаток ${rubles(balance.openingKopecks)} + ВсегоПоступило ${rubles(received)} − ВсегоСписано ${rubles(debited)} ≠ КонечныйОстаток ${rubles(closing)}`,
      );
    }
    return balance;
  });

  // The documents.
  const documents: StatementDocument[] = documentSections.map((section) => {
    const where = `СекцияДокумент at line ${section.line}`;
    const get = (key: string) => section.attributes.get(key)?.value ?? "";
    const optionalDate = (key: string) => {
      const entry = section.attributes.get(key);
      return entry === undefined || entry.value === "" ? undefined : dateOf(entry, key);
    };
    const amountEntry = required(section.attributes, "Сумма", where, section.line);
    const amount = parseRubles(amountEntry.value);
    if (!amount.ok) throw new Refusal("bad_amount", amountEntry.line, `line ${amountEntry.line}: Сумма: ${amount.reason}`);

    const payerAccounts = [get("ПлательщикСчет"), get("ПлательщикРасчСчет")].filter((value) => value !== "");
    const payeeAccounts = [get("ПолучательСчет"), get("ПолучательРасчСчет")].filter((value) => value !== "");
    const received = optionalDate("ДатаПоступило");
    const debited = optionalDate("ДатаСписано");
    const ownPayee = payeeAccounts.find((value) => accounts.includes(value));
    const ownPayer = payerAccounts.find((value) => accounts.includes(value));
    let direction: "in" | "out";
    let own: string;
    if (ownPayee !== undefined && ownPayer === undefined) [direction, own] = ["in", ownPayee];
    else if (ownPayer !== undefined && ownPayee === undefined) [direction, own] = ["out", ownPayer];
    else if (received !== undefined && debited === undefined) [direction, own] = ["in", ownPayee ?? account];
    else if (debited !== undefined && received === undefined) [direction, own] = ["out", ownPayer ?? account];
    else {
      throw new Refusal(
        "unknown_direction",
        section.line,
        `${where}: neither the payer's nor the payee's account alone is the statement's (${accounts.join(", ")}), and ДатаПоступило/ДатаСписано do not tell`,
      );
    }

    const document: StatementDocument = {
      line: section.line,
      kind: section.kind,
      number: required(section.attributes, "Номер", where, section.line).value,
      date: dateOf(required(section.attributes, "Дата", where, section.line), "Дата"),
      amountKopecks: amount.kopecks,
      payerName: partyName(get("Плательщик1"), get("Плательщик")),
      payerInn: get("ПлательщикИНН"),
      payerAccount: payerAccounts[0] ?? "",
      payeeName: partyName(get("Получатель1"), get("Получатель")),
      payeeInn: get("ПолучательИНН"),
      payeeAccount: payeeAccounts[0] ?? "",
      purpose: purposeOf(section.attributes),
      direction,
      account: own,
    };
    const paymentKind = get("ВидОплаты");
    if (paymentKind !== "") document.paymentKind = paymentKind;
    if (received !== undefined) document.received = received;
    if (debited !== undefined) document.debited = debited;
    return document;
  });

  // Turnover against documents, per account: a warning, never a refusal (a statement may carry some kinds only).
  for (const ownAccount of accounts) {
    const sections = balances.filter((balance) => balance.account === ownAccount);
    if (sections.length === 0) continue;
    const compare = (label: string, stated: (bigint | undefined)[], direction: "in" | "out") => {
      if (stated.some((value) => value === undefined)) return;
      const total = stated.reduce<bigint>((sum, value) => sum + (value ?? 0n), 0n);
      const documented = documents
        .filter((document) => document.account === ownAccount && document.direction === direction)
        .reduce((sum, document) => sum + document.amountKopecks, 0n);
      if (total !== documented) {
        warnings.push(`account ${ownAccount}: ${label} ${rubles(total)} but its documents sum to ${rubles(documented)}`);
      }
    };
    compare("ВсегоПоступило", sections.map((balance) => balance.receivedKopecks), "in");
    compare("ВсегоСписано", sections.map((balance) => balance.debitedKopecks), "out");
  }

  const statement: BankStatement = {
    account,
    accounts,
    from,
    to,
    formatVersion,
    encoding,
    declaredEncoding,
    balances,
    documents,
    warnings,
  };
  if (createdAt !== undefined) statement.createdAt = createdAt;
  const sender = header.get("Отправитель")?.value;
  if (sender !== undefined && sender !== "") statement.sender = sender;
  return statement;
}

type Marker =
  | { type: "account" }
  | { type: "end-account" }
  | { type: "document"; kind: string }
  | { type: "end-document" }
  | { type: "end-file" };

function sectionMarker(line: string): Marker | undefined {
  switch (line) {
    case "СекцияРасчСчет":
      return { type: "account" };
    case "КонецРасчСчет":
      return { type: "end-account" };
    case "КонецДокумента":
      return { type: "end-document" };
    case "КонецФайла":
      return { type: "end-file" };
  }
  const equals = line.indexOf("=");
  if (equals > 0 && line.slice(0, equals).trim() === "СекцияДокумент") return { type: "document", kind: line.slice(equals + 1).trim() };
  if (line === "СекцияДокумент") return { type: "document", kind: "" };
  return undefined;
}

function describe(open: { type: "header" } | { type: "account" } | { type: "document"; kind: string }): string {
  if (open.type === "header") return "the header";
  if (open.type === "account") return "СекцияРасчСчет";
  return `СекцияДокумент=${open.kind}`;
}

/** `дд.мм.гггг` → `гггг-мм-дд`, a real calendar date or a refusal naming the line. */
function dateOf(entry: { value: string; line: number }, key: string): string {
  const iso = isoDate(entry.value);
  if (iso === undefined) throw new Refusal("bad_date", entry.line, `line ${entry.line}: ${key} "${preview(entry.value)}" is not a date дд.мм.гггг`);
  return iso;
}

/** `дд.мм.гггг` → `гггг-мм-дд` when it is a real calendar date. */
export function isoDate(text: string): string | undefined {
  const match = /^([0-9]{2})\.([0-9]{2})\.([0-9]{4})$/.exec(text);
  if (match === null) return undefined;
  const [, day, month, year] = match as unknown as [string, string, string, string];
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (date.getUTCFullYear() !== Number(year) || date.getUTCMonth() !== Number(month) - 1 || date.getUTCDate() !== Number(day)) return undefined;
  return `${year}-${month}-${day}`;
}

/** Balances may be zero or (an overdraft) negative; turnovers zero. Otherwise the same strict rubles as everywhere. */
function signedAmountOf(entry: { value: string; line: number }, key: string): bigint {
  const negative = entry.value.startsWith("-");
  const parsed = parseRubles(negative ? entry.value.slice(1) : entry.value, { allowZero: true });
  if (!parsed.ok) throw new Refusal("bad_amount", entry.line, `line ${entry.line}: ${key}: ${parsed.reason}`);
  return negative ? -parsed.kopecks : parsed.kopecks;
}

/** `Плательщик1` is the name; `Плательщик` is often "ИНН 7719617469 ОАО Крокус". */
function partyName(nameLine: string, full: string): string {
  if (nameLine !== "") return nameLine;
  return full.replace(/^ИНН\s+[0-9]*\s*/u, "").trim();
}

function purposeOf(attributes: Map<string, { value: string; line: number }>): string {
  const whole = attributes.get("НазначениеПлатежа")?.value ?? "";
  if (whole !== "") return whole;
  const parts: string[] = [];
  for (let index = 1; index <= 6; index += 1) {
    const part = attributes.get(`НазначениеПлатежа${index}`)?.value ?? "";
    if (part !== "") parts.push(part);
  }
  return parts.join(" ");
}

// ---- decoding ---------------------------------------------------------------------------------------------------

interface Decoded {
  text: string;
  encoding: StatementEncoding;
  declaredEncoding: string;
  warnings: string[];
}

/**
 * The header's `Кодировка` decides (`Windows` = cp1251, `DOS` = cp866, `UTF-8` where a bank writes it), except that a
 * UTF-8 BOM, or bytes that are valid UTF-8 with non-ASCII text, are UTF-8 whatever the header says: Cyrillic in
 * cp1251 or cp866 is never valid UTF-8 (Tochka's public parser, odin_palace, likewise skips a UTF-8 BOM, noting that
 * exports from 1C often start with one, and reads UTF-8 before cp1251). A header naming the other single-byte code
 * page than the bytes use is refused, not read garbled.
 */
function decode(bytes: Uint8Array, options: StatementParseOptions): Decoded {
  const warnings: string[] = [];
  const hasBom = UTF8_BOM.every((byte, index) => bytes[index] === byte);
  const body = hasBom ? bytes.subarray(3) : bytes;
  if (body.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d)) {
    throw new Refusal("empty_file", 1, "the file is empty");
  }

  if (options.encoding !== undefined) {
    const text = decodeStrict(body, options.encoding);
    return { text, encoding: options.encoding, declaredEncoding: declaredIn(text)?.value ?? "", warnings };
  }

  const utf8 = tryUtf8(body);
  if (hasBom && utf8 === undefined) decodeStrict(body, "utf-8"); // throws with the line of the first bad byte
  if (utf8 !== undefined) {
    const declared = declaredIn(utf8);
    if (declared === undefined) throw missingEncoding(utf8);
    const named = encodingNamed(declared.value);
    if (named === undefined) throw unknownEncoding(declared);
    const ascii = !/[^\u0000-\u007f]/.test(utf8);
    if (!ascii && named !== "utf-8") {
      warnings.push(`Кодировка=${declared.value} but the bytes are ${hasBom ? "UTF-8 with a BOM" : "UTF-8"}: read as UTF-8`);
    }
    return { text: utf8, encoding: ascii ? named : "utf-8", declaredEncoding: declared.value, warnings };
  }

  // Not UTF-8: find `Кодировка=` as cp1251 or cp866 would spell it, then decode as it says.
  for (const candidate of ["windows-1251", "ibm866"] as const) {
    const text = new TextDecoder(candidate).decode(body);
    const declared = declaredIn(text);
    if (declared === undefined) continue;
    const named = encodingNamed(declared.value);
    if (named === undefined) throw unknownEncoding(declared);
    if (named === "utf-8") {
      decodeStrict(body, "utf-8");
    }
    if (named !== candidate) {
      // The key decoded under one single-byte code page while the header names the other: the bytes and the header
      // disagree, and reading on would garble every Cyrillic field.
      throw new Refusal("bad_encoding", declared.line, `line ${declared.line}: Кодировка=${declared.value} but the header is written in ${candidate}`);
    }
    return { text, encoding: named, declaredEncoding: declared.value, warnings };
  }
  throw missingEncoding(new TextDecoder("windows-1251").decode(body));
}

const ENCODING_NAMES: Record<string, StatementEncoding> = {
  windows: "windows-1251",
  "windows-1251": "windows-1251",
  win: "windows-1251",
  cp1251: "windows-1251",
  dos: "ibm866",
  cp866: "ibm866",
  "ibm866": "ibm866",
  "utf-8": "utf-8",
  utf8: "utf-8",
};

function encodingNamed(value: string): StatementEncoding | undefined {
  return ENCODING_NAMES[value.trim().toLowerCase()];
}

/** The header's `Кодировка=` line (before the first section), with its 1-based line number. */
function declaredIn(text: string): { value: string; line: number } | undefined {
  const lines = text.split(/\r\n|\n|\r/);
  for (let index = 0; index < lines.length; index += 1) {
    const line = (lines[index] ?? "").trim();
    if (line.startsWith("СекцияРасчСчет") || line.startsWith("СекцияДокумент") || line === "КонецФайла") return undefined;
    const match = /^Кодировка\s*=(.*)$/u.exec(line);
    if (match !== null) return { value: (match[1] ?? "").trim(), line: index + 1 };
  }
  return undefined;
}

function missingEncoding(text: string): Refusal {
  const firstLine = text.split(/\r\n|\n|\r/)[0]?.trim();
  if (firstLine !== FILE_MARK) {
    return new Refusal("not_a_statement", 1, `line 1: a 1C client-bank file starts with ${FILE_MARK}, not "${preview(firstLine ?? "")}"`);
  }
  return new Refusal("bad_encoding", 1, "the header has no Кодировка= (Windows or DOS), or it is in an encoding other than cp1251, cp866 or UTF-8");
}

function unknownEncoding(declared: { value: string; line: number }): Refusal {
  return new Refusal(
    "bad_encoding",
    declared.line,
    `line ${declared.line}: Кодировка=${declared.value} is not supported (Windows = cp1251, DOS = cp866, UTF-8)`,
  );
}

function tryUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Decodes with the given encoding; a UTF-8 decoding error is refused with the line of the first bad byte. */
function decodeStrict(bytes: Uint8Array, encoding: StatementEncoding): string {
  if (encoding !== "utf-8") return new TextDecoder(encoding).decode(bytes);
  const text = tryUtf8(bytes);
  if (text !== undefined) return text;
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let line = 1;
  let start = 0;
  for (let index = 0; index <= bytes.length; index += 1) {
    if (index === bytes.length || bytes[index] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, index));
      } catch {
        break;
      }
      line += 1;
      start = index + 1;
    }
  }
  throw new Refusal("bad_encoding", line, `line ${line}: the bytes are not valid UTF-8`);
}

function preview(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
