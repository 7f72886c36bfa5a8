import { createHash } from "node:crypto";
import { parseRubles } from "../../../lib/money.ts";
import type { ParsedRegistry } from "../format.ts";
import { MOSCOW_OFFSET_HOURS } from "../profiles.ts";

/**
 * What the API registry fetchers (REGISTRIES.md §4: YooMoney, QIWI bills, ArsenalPay) share: the registry they hand
 * to importParsedRegistry with the SHA-256 of the provider's answers it was built from, the error that says why a
 * fetch failed (never carrying a credential), the providers' timestamps turned into the Moscow day and time, and
 * amounts that never touch float arithmetic.
 */

/** A registry built from a provider's API, ready for importParsedRegistry (source "api"). */
export interface FetchedRegistry {
  registry: ParsedRegistry;
  /**
   * SHA-256 of the provider's answers the registry was built from, in a fixed order: the same day fetched again with
   * the same content is already_imported, with other content conflicting_import.
   */
  sha256: string;
  /** What the registry list shows as its file name: the API and the day. */
  fileName: string;
  /** HTTP requests made, for the log. */
  requests: number;
}

/**
 * Why a fetch failed, in words an operator can act on: built from HTTP statuses and the provider's own error fields
 * only, never from the request (whose headers or form carry the token, key or signature).
 * - `refused`: the provider answered no (4xx, a wrong token or key, an error code): repeating will not help.
 * - `unavailable`: no answer, or 5xx on every attempt: the next round tries again.
 * - `unreadableAnswer`: an answer payhub cannot read (not JSON/XML, a field missing, an amount that is not rubles).
 */
export class RegistryFetchError extends Error {
  constructor(
    public readonly kind: "refused" | "unavailable" | "unreadableAnswer",
    message: string,
    public readonly details: { httpStatus?: number; attempts?: number } = {},
  ) {
    super(message);
    this.name = "RegistryFetchError";
  }
}

/** SHA-256 over the answers, each as received, separated so that no two lists of answers hash alike. */
export function answersSha256(answers: readonly Buffer[]): string {
  const hash = createHash("sha256");
  for (const answer of answers) {
    hash.update(`${answer.length}\n`);
    hash.update(answer);
    hash.update("\n");
  }
  return hash.digest("hex");
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * A provider's timestamp as the instant it names and its Moscow day and time. Takes ISO 8601 / RFC 3339 with an
 * offset (`2026-11-23T16:15:00.000+10:00`, `…Z`, QIWI's short `+03`), and a time without an offset
 * (`2026-11-23 13:54:22`, QIWI's `2026-11-23T13:54:22`), which is taken as Moscow time: the providers' operating time
 * zone (REGISTRIES.md rule 1). Undefined for anything else (an impossible date too).
 */
export function moscowDateTime(text: string): { instant: Date; date: string; time: string } | undefined {
  const match = DATE_TIME.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  let offsetMinutes = MOSCOW_OFFSET_HOURS * 60;
  if (zone === "Z") offsetMinutes = 0;
  else if (zone !== undefined) {
    const digits = zone.slice(1).replace(":", "");
    const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0");
    if (minutes > 18 * 60) return undefined;
    offsetMinutes = zone.startsWith("-") ? -minutes : minutes;
  }
  const wallClock = Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]);
  const check = new Date(wallClock);
  // Date.UTC rolls 2026-02-30 over to March: a date that is not a date is refused.
  if (check.getUTCFullYear() !== fields[0] || check.getUTCMonth() !== fields[1] - 1 || check.getUTCDate() !== fields[2] || fields[3] > 23 || fields[4] > 59 || fields[5] > 59) {
    return undefined;
  }
  const milliseconds = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));
  const instant = new Date(wallClock - offsetMinutes * 60_000 + milliseconds);
  const moscow = new Date(instant.getTime() + MOSCOW_OFFSET_HOURS * 3_600_000).toISOString();
  return { instant, date: moscow.slice(0, 10), time: moscow.slice(11, 19) };
}

/** The RFC 3339 form of an instant in Moscow time, as the providers' queries take it: `2026-11-23T00:00:00+03:00`. */
export function moscowRfc3339(instant: Date): string {
  return `${new Date(instant.getTime() + MOSCOW_OFFSET_HOURS * 3_600_000).toISOString().slice(0, 19)}+03:00`;
}

/**
 * Rubles from a JSON answer into kopecks, never through float arithmetic. A string is parsed as it is; a JSON number
 * (YooMoney's `amount`, QIWI's `amount.value`) has already been read by JSON.parse into the nearest double, and
 * String() gives back the shortest text that reads as that same double: for any amount written with at most 15
 * significant digits, exactly the digits the provider sent, trailing zeros dropped (98.50 → "98.5", 100 → "100").
 * That text then goes through the one strict parser (lib/money.ts parseRubles): more than two decimals, a sign, an
 * exponent (1e21) or zero are refused, never rounded.
 */
export function rublesFromJson(value: unknown): { ok: true; kopecks: bigint } | { ok: false; reason: string } {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return { ok: false, reason: `amount ${String(value)} is not a number of rubles` };
    return parseRubles(String(value));
  }
  if (typeof value === "string") return parseRubles(value.trim());
  return { ok: false, reason: "amount is missing" };
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the items' order in the results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(runners);
  return results;
}

/** The text of an answer body as received (the fetchers ask axios for the raw bytes, to hash them). */
export function bodyBytes(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (typeof data === "string") return Buffer.from(data, "utf8");
  return Buffer.from(data === undefined ? "" : JSON.stringify(data), "utf8");
}

/** A short, secret-free excerpt of a provider's text for an error message. */
export function excerpt(text: string, secrets: readonly (string | undefined)[] = [], limit = 200): string {
  let clean = text;
  for (const secret of secrets) if (secret) clean = clean.split(secret).join("[redacted]");
  clean = clean.replace(/\s+/g, " ").trim();
  return clean.length > limit ? `${clean.slice(0, limit)}…` : clean;
}
