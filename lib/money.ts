/**
 * The one strict parser from decimal strings to integer kopecks. Floats never touch money: the string is split
 * into its rubles and kopecks digits and both are read as BigInt.
 */

export type KopecksParse = { ok: true; kopecks: bigint } | { ok: false; reason: string };

export interface ParseRublesOptions {
  /** Decimal separators accepted; "." unless a channel documents "," too (SMS texts). */
  separators?: readonly string[];
  /** Allow a value of zero (never a payment; useful for limits and fees). Default false. */
  allowZero?: boolean;
}

/** Up to 13 digits of rubles: far beyond any payment, far below 2^63 kopecks. */
const MAX_RUBLE_DIGITS = 13;

/**
 * Parses "10.45", "500", "500.5", "0.01" into kopecks. Refuses signs, exponents, spaces, thousands separators,
 * leading zeros ("010"), more than two fraction digits ("10.456") and a dangling separator ("10.").
 */
export function parseRubles(text: unknown, options: ParseRublesOptions = {}): KopecksParse {
  if (typeof text !== "string") return { ok: false, reason: "amount is missing" };
  const separators = options.separators ?? ["."];
  let whole = text;
  let fraction = "";
  for (const separator of separators) {
    const at = text.indexOf(separator);
    if (at !== -1) {
      whole = text.slice(0, at);
      fraction = text.slice(at + separator.length);
      if (fraction === "") return { ok: false, reason: `amount "${preview(text)}" ends with a separator` };
      break;
    }
  }
  if (!/^(0|[1-9][0-9]*)$/.test(whole)) {
    return { ok: false, reason: `amount "${preview(text)}" is not a plain decimal number of rubles` };
  }
  if (whole.length > MAX_RUBLE_DIGITS) return { ok: false, reason: `amount "${preview(text)}" is too large` };
  if (!/^[0-9]{0,2}$/.test(fraction)) {
    return { ok: false, reason: `amount "${preview(text)}" must have at most two digits of kopecks` };
  }
  const kopecks = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0"));
  if (kopecks === 0n && !options.allowZero) return { ok: false, reason: "amount must be greater than zero" };
  return { ok: true, kopecks };
}

/** Parses an amount already in kopecks ("1045"), as card acquirers and SMS aggregators send it. */
export function parseKopecks(text: unknown): KopecksParse {
  if (typeof text === "number" && Number.isSafeInteger(text) && text > 0) return { ok: true, kopecks: BigInt(text) };
  if (typeof text !== "string" || !/^[1-9][0-9]{0,17}$/.test(text)) {
    return { ok: false, reason: `amount in kopecks "${preview(String(text))}" is not a positive whole number` };
  }
  return { ok: true, kopecks: BigInt(text) };
}

/** 19819n → "198.19"; -500n → "-5.00". */
export function formatRubles(kopecks: bigint): string {
  const sign = kopecks < 0n ? "-" : "";
  const absolute = kopecks < 0n ? -kopecks : kopecks;
  const rubles = absolute / 100n;
  const rest = absolute % 100n;
  return `${sign}${rubles}.${rest.toString().padStart(2, "0")}`;
}

/** Rounds percent-of-amount commissions half up to the kopeck: basis points avoid fractions of a percent as floats. */
export function percentOf(kopecks: bigint, basisPoints: bigint): bigint {
  return (kopecks * basisPoints + 5000n) / 10000n;
}

function preview(text: string): string {
  return text.length > 32 ? `${text.slice(0, 32)}…` : text;
}
