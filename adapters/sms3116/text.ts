import { ACCOUNT_NUMBER_FORMAT } from "../contract/index.ts";
import { parseRubles } from "../../lib/money.ts";

/**
 * Reading the text of an SMS to 3116: "aliance <account> <sum>" (PROTOCOLS.md §5). Tolerant where a subscriber's
 * phone gets in the way (keyboard layouts, autocorrect, extra spaces and line breaks), strict wherever money is
 * decided: the account and the sum are never guessed.
 */

/** The prefix every SMS to 3116 starts with, as the subscriber handbook spells it (one "l"). */
export const SMS_PREFIX = "aliance";


/**
 * Characters drawn like a Latin letter in ordinary fonts, accepted in its place in the prefix: phones switch to the
 * Cyrillic layout mid-word and autocorrect swaps letters, so "аliance" with a Cyrillic "а" must still pay. Both cases
 * are listed and matched as they are, never case-folded: folding Cyrillic "І" gives dotted "і", which is no "l".
 * The capital I-shaped strokes (І, Ӏ) stand for "i" and for "l" alike, as Latin "I" and "l" look alike; dotted "і"
 * stands only for "i", the small palochka "ӏ" only for "l". Cyrillic "п" and "и" are not "n", "ё" is not "e".
 */
export const LATIN_LOOKALIKES: Readonly<Record<string, string>> = {
  a: "\u0430\u0410", // а А
  c: "\u0441\u0421", // с С
  e: "\u0435\u0415", // е Е
  i: "\u0456\u0406\u04C0", // і І Ӏ
  l: "\u04CF\u04C0\u0406", // ӏ Ӏ І
  o: "\u043E\u041E", // о О
  p: "\u0440\u0420", // р Р
  s: "\u0455\u0405", // ѕ Ѕ
  x: "\u0445\u0425", // х Х
};

/** Is `char` the Latin letter `latin` (either case) or one of its look-alikes? `latin` is one lower-case letter. */
export function isLookalikeOf(char: string, latin: string): boolean {
  if (/^[A-Za-z]$/.test(char)) return char.toLowerCase() === latin;
  return Array.from(LATIN_LOOKALIKES[latin] ?? "").includes(char);
}

/** Does `word` spell the lower-case Latin `latin` letter by letter, look-alikes allowed? */
export function matchesLatinWord(word: string, latin: string): boolean {
  const chars = Array.from(word);
  const letters = Array.from(latin);
  return chars.length === letters.length && chars.every((char, at) => isLookalikeOf(char, letters[at]!));
}

/** Why a text is not a payment request; `reply.ts` has the subscriber's answer for each. */
export type SmsTextProblem =
  /** Nothing but spaces. */
  | "empty"
  /** The first word is not "aliance". */
  | "no-prefix"
  /** "aliance" and nothing after it. */
  | "no-account"
  /** The word after the prefix is not an account number. */
  | "bad-account"
  /** The account but no sum. */
  | "no-sum"
  /** The sum is not rubles with at most two decimals after "," or "." (or is zero). */
  | "bad-sum"
  /** Words after the sum. */
  | "extra-words";

export type SmsTextParse =
  | { ok: true; accountNumber: string; amountKopecks: bigint }
  /** `detail` says what was wrong, in English, for the log. */
  | { ok: false; problem: SmsTextProblem; detail: string };

/**
 * Invisible format characters (zero-width spaces and joiners, soft hyphens, direction marks, a byte-order mark) that
 * phones and copy-paste leave inside words; removed before reading.
 */
const INVISIBLE = /\p{Cf}/gu;

/** A ruble sign or word after the sum ("100р", "100 руб.", "100 rub", "100₽"): the sum is in rubles anyway. */
const RUBLES_WORD = /^(?:р|p|руб|рубль|рубля|рублей|rub|₽)\.?$/iu;
const RUBLES_SUFFIX = /(?<=[0-9])(?:р|p|руб|рубль|рубля|рублей|rub|₽)\.?$/iu;

/**
 * Reads "aliance <account> <sum>". The prefix is case-insensitive with Cyrillic look-alikes and may be glued to the
 * account ("aliance100080 500": the boundary between letters and digits is unambiguous); words are separated by any
 * run of spaces or line breaks; the sum takes "," or "." before kopecks and may end in a ruble sign or word. Anything
 * else after the sum is refused: "aliance 100080 1 000" must not pay 1 ruble.
 */
export function parseSmsText(text: string): SmsTextParse {
  const words = text.replace(INVISIBLE, "").split(/\s+/u).filter((word) => word !== "");
  const [first, ...rest] = words;
  if (first === undefined) return failed("empty", "the message is empty");

  const firstChars = Array.from(first);
  const prefix = firstChars.slice(0, SMS_PREFIX.length).join("");
  const glued = firstChars.slice(SMS_PREFIX.length).join("");
  if (!matchesLatinWord(prefix, SMS_PREFIX) || (glued !== "" && !/^[0-9]/.test(glued))) {
    return failed("no-prefix", `the message does not start with "${SMS_PREFIX}"`);
  }
  const [accountWord, sumWord, ...extra] = glued === "" ? rest : [glued, ...rest];

  if (accountWord === undefined) return failed("no-account", "the account number is missing");
  if (!ACCOUNT_NUMBER_FORMAT.test(accountWord)) return failed("bad-account", "the account number must be 1 to 12 digits");
  if (sumWord === undefined) return failed("no-sum", "the sum is missing");

  const amount = parseRubles(sumWord.replace(RUBLES_SUFFIX, ""), { separators: [".", ","] });
  if (!amount.ok) return failed("bad-sum", amount.reason);
  const [rublesWord, ...garbage] = extra;
  if (garbage.length > 0 || (rublesWord !== undefined && !RUBLES_WORD.test(rublesWord))) {
    return failed("extra-words", "the message has words after the sum");
  }
  return { ok: true, accountNumber: accountWord, amountKopecks: amount.kopecks };
}

function failed(problem: SmsTextProblem, detail: string): SmsTextParse {
  return { ok: false, problem, detail };
}
