// Signature scheme: X-Api-Signature-SHA256 = hex(HMAC-SHA256(secret, "<currency>|<value as 2 decimals>|<billId>|<siteId>|<status>")).
import { createHmac } from "node:crypto";
import { hexDigestsEqual } from "../contract/index.ts";
import { formatRubles, parseRubles } from "../../lib/money.ts";

/** The values the signature covers. */
export interface QiwiBillSignedFields {
  currency: string;
  /** The amount exactly as received ("1", "1.5", "1.00"). */
  value: string;
  billId: string;
  siteId: string;
  status: string;
}

/**
 * The one exception to "sign exactly what was received": QIWI's SDKs format the amount to two decimals before
 * hashing ("1" → "1.00"). Done here through kopecks, never a float; undefined when the value is no amount at all.
 */
export function valueAsTwoDecimals(value: string): string | undefined {
  const parsed = parseRubles(value);
  return parsed.ok ? formatRubles(parsed.kopecks) : undefined;
}

/** The signature QIWI computes; undefined when the value cannot be formatted, so nothing can match it. */
export function expectedSignature(fields: QiwiBillSignedFields, secret: string): string | undefined {
  const value = valueAsTwoDecimals(fields.value);
  if (value === undefined) return undefined;
  const text = [fields.currency, value, fields.billId, fields.siteId, fields.status].join("|");
  return createHmac("sha256", secret).update(text, "utf8").digest("hex");
}

/**
 * Any of the secrets verifies (several are accepted at once while the secret key is rotated); an empty secret never
 * does, so a missing setting cannot turn into a key everybody knows.
 */
export function signatureValid(fields: QiwiBillSignedFields, received: string, secrets: readonly string[]): boolean {
  return secrets.some((secret) => {
    if (secret.length === 0) return false;
    const expected = expectedSignature(fields, secret);
    return expected !== undefined && hexDigestsEqual(received, expected);
  });
}
