// Signature scheme: checksum = upper hex HMAC-SHA256(key, "name1;value1;name2;value2;…;") over every parameter but checksum and sign_alias, sorted by name.
import { createHmac } from "node:crypto";
import { hexDigestsEqual } from "../contract/index.ts";

/** Parameters the checksum does not cover. */
const UNSIGNED = new Set(["checksum", "sign_alias"]);

/**
 * The check string: every parameter but `checksum` and `sign_alias`, sorted by name (code-unit order, as the
 * acquirer's examples sort), joined as `name;value;` with a trailing `;`. Values exactly as received. Undefined when a
 * parameter is not a single string (a repeated one never verifies).
 */
export function cardCheckString(params: Record<string, unknown>): string | undefined {
  const names = Object.keys(params).filter((name) => !UNSIGNED.has(name)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let text = "";
  for (const name of names) {
    const value = params[name];
    if (typeof value !== "string") return undefined;
    text += `${name};${value};`;
  }
  return text;
}

export function cardChecksumOf(checkString: string, key: string): string {
  return createHmac("sha256", key).update(checkString, "utf8").digest("hex").toUpperCase();
}

/** The checksum the acquirer would send for these parameters; undefined when they cannot be signed. */
export function expectedCardChecksum(params: Record<string, unknown>, key: string): string | undefined {
  const text = cardCheckString(params);
  return text === undefined ? undefined : cardChecksumOf(text, key);
}

/**
 * Verifies `checksum` (any case) in constant time; any of the keys verifies (several while one is rotated). Every key
 * is tried, so the time taken does not say which matched; an empty key never matches (an unset secret).
 */
export function cardChecksumValid(params: Record<string, unknown>, keys: readonly string[]): boolean {
  const received = params.checksum;
  if (typeof received !== "string" || received === "") return false;
  const text = cardCheckString(params);
  if (text === undefined) return false;
  let matched = false;
  for (const key of keys) {
    if (key !== "" && hexDigestsEqual(received, cardChecksumOf(text, key))) matched = true;
  }
  return matched;
}
