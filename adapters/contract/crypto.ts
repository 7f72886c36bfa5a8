import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Compares a received hex digest with the expected one in constant time, case-insensitively (WebMoney and Sber send
 * upper-case hex, the others lower-case). Different lengths answer false without comparing.
 */
export function hexDigestsEqual(received: string, expected: string): boolean {
  const a = Buffer.from(received.toLowerCase(), "utf8");
  const b = Buffer.from(expected.toLowerCase(), "utf8");
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/**
 * Compares two secrets (passwords, tokens) in constant time whatever their lengths: both sides are hashed first,
 * so the comparison never leaks the expected length.
 */
export function secretsEqual(received: string, expected: string): boolean {
  const a = createHash("sha256").update(received, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

export function md5Hex(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}
