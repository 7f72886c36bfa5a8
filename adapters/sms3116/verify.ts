// Signature scheme: incoming SMS carry skey = md5(serviceKey) (a fixed token), status callbacks signature = md5(payment_id + apiKey); lower hex.
import { hexDigestsEqual, md5Hex } from "../contract/index.ts";

/*
 * The skey never changes while the service key stays the same: it is a password in a URL, not a signature over the
 * request. The route must keep the query out of its logs, and rotating the service key is the only remedy for a leak.
 */

export function expectedSkey(serviceKey: string): string {
  return md5Hex(serviceKey);
}

/** Any of the service keys verifies (several are accepted at once while a key is rotated). */
export function skeyValid(received: unknown, serviceKeys: readonly string[]): boolean {
  if (typeof received !== "string" || received === "") return false;
  return anyKeyMatches(serviceKeys, (serviceKey) => hexDigestsEqual(received, expectedSkey(serviceKey)));
}

export function expectedStatusSignature(paymentId: string, apiKey: string): string {
  return md5Hex(paymentId + apiKey);
}

/**
 * Verifies a status callback over its `payment_id` exactly as received; any of the API keys verifies. Takes the body
 * as parsed JSON, before or after the schema: a missing or non-string field never verifies.
 */
export function statusSignatureValid(body: { payment_id?: unknown; signature?: unknown }, apiKeys: readonly string[]): boolean {
  const { payment_id: paymentId, signature } = body;
  if (typeof paymentId !== "string" || paymentId === "" || typeof signature !== "string" || signature === "") return false;
  return anyKeyMatches(apiKeys, (apiKey) => hexDigestsEqual(signature, expectedStatusSignature(paymentId, apiKey)));
}

/**
 * Tries every key, without stopping at the first match, so the time taken does not say which key matched. An empty
 * key never matches: md5("") is public, and an unset secret must not open the door.
 */
function anyKeyMatches(keys: readonly string[], matches: (key: string) => boolean): boolean {
  let matched = false;
  for (const key of keys) {
    if (key !== "" && matches(key)) matched = true;
  }
  return matched;
}
