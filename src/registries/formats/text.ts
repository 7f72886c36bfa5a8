/**
 * Text helpers shared by the registry parsers (REGISTRIES.md, "Rules for every registry" 3): decoding the bytes with
 * the profile's encoding (a UTF-8 BOM is always recognised and skipped), splitting lines on CRLF, LF and bare CR with
 * trailing empty lines ignored, and the providers' date forms turned into calendar-checked YYYY-MM-DD.
 */

export type RegistryEncoding = "utf-8" | "windows-1251";

export type Decoded = { ok: true; text: string; encoding: RegistryEncoding } | { ok: false; line?: number; message: string };

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

export function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
}

/**
 * Decodes a registry's bytes. `encoding` is the one to use: the caller's forced encoding, else the profile's. A UTF-8
 * BOM means UTF-8 whatever the profile says (a windows-1251 file cannot sensibly start with "п»ї"), and is skipped;
 * only when the caller *forces* windows-1251 does a BOM contradict it, and the file is refused rather than decoded
 * into garbage. UTF-8 is decoded strictly: an invalid sequence is `bad_encoding` with the line it is on. windows-1251
 * maps every byte, so it never fails.
 */
export function decodeRegistry(bytes: Uint8Array, encoding: RegistryEncoding, forced: boolean): Decoded {
  const bom = hasUtf8Bom(bytes);
  if (bom && forced && encoding === "windows-1251") {
    return { ok: false, line: 1, message: "the file starts with a UTF-8 byte order mark but windows-1251 was required" };
  }
  const effective: RegistryEncoding = bom ? "utf-8" : forced ? encoding : detectEncoding(bytes, encoding);
  const body = bom ? bytes.subarray(3) : bytes;
  if (effective === "windows-1251") return { ok: true, text: new TextDecoder("windows-1251").decode(body), encoding: effective };
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body), encoding: effective };
  } catch {
    const at = firstInvalidUtf8(body);
    let line = 1;
    for (let i = 0; i < at; i++) {
      const byte = body[i];
      if (byte === 0x0a || (byte === 0x0d && body[i + 1] !== 0x0a)) line++;
    }
    const hint = encoding === "utf-8" && !forced ? " (if the provider sends windows-1251, the profile must say so)" : "";
    return { ok: false, line, message: `line ${line}: byte ${at + (bom ? 3 : 0)} of the file is not valid UTF-8${hint}` };
  }
}

/**
 * The encoding of a file whose caller did not force one, starting from the profile's: providers send cp1251 or UTF-8,
 * and the bytes tell them apart. Cyrillic in cp1251 is almost never valid UTF-8 (its letters are 0xC0-0xFF, which
 * UTF-8 never continues with), and valid UTF-8 with multibyte characters is never what a cp1251 provider meant. So:
 * a cp1251 profile's file that is valid UTF-8 with non-ASCII characters is UTF-8; a UTF-8 profile's file that is not
 * valid UTF-8 and has no valid multibyte character at all is cp1251. A file mixing both stays with the profile's
 * encoding and is refused as bad_encoding on its first line that does not decode (never decoded into garbage).
 */
function detectEncoding(bytes: Uint8Array, profile: RegistryEncoding): RegistryEncoding {
  if (!bytes.some((byte) => byte >= 0x80)) return profile;
  const valid = firstInvalidUtf8(bytes) === bytes.length;
  if (profile === "windows-1251") return valid ? "utf-8" : profile;
  if (valid) return profile;
  // Not valid UTF-8: cp1251 only if no part of it is UTF-8 (every non-ASCII character decodes to U+FFFD).
  const lenient = new TextDecoder("utf-8").decode(bytes);
  for (const char of lenient) if (char.charCodeAt(0) >= 0x80 && char !== "\uFFFD") return profile;
  return "windows-1251";
}

/** The offset of the first byte that does not begin a well-formed UTF-8 sequence (RFC 3629), or the length. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const length = bytes.length;
  let i = 0;
  while (i < length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = b === 0xe0 ? 0xa0 : 0x80;
      if (b === 0xed) max = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = b === 0xf0 ? 0x90 : 0x80;
      if (b === 0xf4) max = 0x8f;
    } else {
      return i;
    }
    if (i + need >= length) return i;
    const second = bytes[i + 1];
    if (second === undefined || second < min || second > max) return i;
    for (let k = 2; k <= need; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < 0x80 || next > 0xbf) return i;
    }
    i += need + 1;
  }
  return length;
}

/**
 * The file's lines: CRLF, LF and bare CR each end one (QIWI allows bare CR). Trailing lines that are empty or only
 * blanks are dropped; an empty line before the last non-empty one stays (the parsers refuse it as malformed).
 * Line i of the result is line i + 1 of the file.
 */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  let end = lines.length;
  while (end > 0 && isBlank(lines[end - 1]!)) end--;
  lines.length = end;
  return lines;
}

export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** The last component of a path: the CLI may pass one, and providers' names never contain a slash. */
export function baseName(fileName: string): string {
  const at = Math.max(fileName.lastIndexOf("/"), fileName.lastIndexOf("\\"));
  return at === -1 ? fileName : fileName.slice(at + 1);
}

/** YYYY-MM-DD if the year, month and day make a real Gregorian date (years 1900-2999), else undefined. */
export function isoDate(year: number, month: number, day: number): string | undefined {
  if (!Number.isInteger(year) || year < 1900 || year > 2999) return undefined;
  if (!Number.isInteger(month) || month < 1 || month > 12) return undefined;
  if (!Number.isInteger(day) || day < 1 || day > daysInMonth(year, month)) return undefined;
  return `${year}-${month < 10 ? "0" : ""}${month}-${day < 10 ? "0" : ""}${day}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const DMY_SLASH = /^(\d{2})\/(\d{2})\/(\d{4})$/;
const DMY_DOT = /^(\d{2})\.(\d{2})\.(\d{4})$/;

// A registry's lines share a handful of days: the last conversion is remembered (transparent: same input, same
// answer), which spares a regular expression, three numbers and a string per line.
let lastDmyText = "";
let lastDmySeparator = "";
let lastDmyIso: string | undefined;

/** "23/11/2026" (separator "/") or "23.11.2026" (separator ".") → "2026-11-23"; undefined if not a real date. */
export function dmyToIso(text: string, separator: "/" | "."): string | undefined {
  if (text === lastDmyText && separator === lastDmySeparator) return lastDmyIso;
  const match = (separator === "/" ? DMY_SLASH : DMY_DOT).exec(text);
  const iso = match ? isoDate(Number(match[3]), Number(match[2]), Number(match[1])) : undefined;
  lastDmyText = text;
  lastDmySeparator = separator;
  lastDmyIso = iso;
  return iso;
}

/** "20261123" → "2026-11-23". */
export function yyyymmddToIso(text: string): string | undefined {
  if (!/^\d{8}$/.test(text)) return undefined;
  return isoDate(Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6, 8)));
}

/** "231126" (ДДММГГ, the bank's file name) → "2026-11-23": two-digit years are 20YY. */
export function ddmmyyToIso(text: string): string | undefined {
  if (!/^\d{6}$/.test(text)) return undefined;
  return isoDate(2000 + Number(text.slice(4, 6)), Number(text.slice(2, 4)), Number(text.slice(0, 2)));
}

let lastIsoText = "";
let lastIso: string | undefined;

/** "2026-11-23" → "2026-11-23" when it is a real date. */
export function isoToIso(text: string): string | undefined {
  if (text === lastIsoText) return lastIso;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  lastIsoText = text;
  lastIso = match ? isoDate(Number(match[1]), Number(match[2]), Number(match[3])) : undefined;
  return lastIso;
}

const TIME_HMS = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;
const TIME_HM_OPTIONAL_S = /^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;

/** "hh:mm:ss", 24-hour. */
export function isTimeHms(text: string): boolean {
  return TIME_HMS.test(text);
}

/** "h:mm", "hh:mm" or either with ":ss" (QIWI Kassa writes "9:41"). */
export function isTimeLoose(text: string): boolean {
  return TIME_HM_OPTIONAL_S.test(text);
}

/**
 * A date and time in one field, as the CSV profiles write it: "dd.mm.yyyy hh:mm:ss" or "yyyy-mm-dd hh:mm:ss" (also
 * with "T" and an ISO offset, which is kept as written: the line's day is the day written, never converted). Both
 * forms are unambiguous (the year's position tells them apart), unlike dd/mm against mm/dd. `looseTime` also takes
 * "h:mm". Returns the day and the time as written.
 */
export function splitDateTime(text: string, options: { looseTime?: boolean } = {}): { date: string; time: string } | undefined {
  if (text.length >= 15 && text.charCodeAt(2) === 0x2e && text.charCodeAt(10) === 0x20) {
    // dd.mm.yyyy <time>
    const date = dmyToIso(text.slice(0, 10), ".");
    const time = text.slice(11);
    if (!date || !(options.looseTime ? isTimeLoose(time) : isTimeHms(time))) return undefined;
    return { date, time };
  }
  const iso = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d{1,6})?(?:Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (iso) {
    const time = iso[2]!;
    if (!isTimeHms(time)) return undefined;
    const date = isoToIso(iso[1]!);
    return date ? { date, time } : undefined;
  }
  return undefined;
}
