// Signature scheme: SIGN = md5(md5(ID)+md5(FUNCTION)+md5(RRN)+md5(PAYER)+md5(AMOUNT)+md5(ACCOUNT)+md5(STATUS)+md5(callbackKey)), lower hex.
import { hexDigestsEqual, md5Hex } from "../contract/index.ts";
import { ARSENALPAY_SIGNED_FIELDS, type ArsenalpaySignedFields } from "./schema.ts";

export function expectedArsenalpaySign(fields: ArsenalpaySignedFields, callbackKey: string): string {
  const digests = ARSENALPAY_SIGNED_FIELDS.map((name) => md5Hex(fields[name]));
  return md5Hex(digests.join("") + md5Hex(callbackKey));
}

/**
 * Verifies SIGN over the seven fields exactly as received; any of the callback keys verifies (several are accepted
 * at once while a key is rotated). Takes the raw parameters: a missing or repeated field never verifies.
 */
export function arsenalpaySignValid(params: Record<string, unknown>, callbackKeys: readonly string[]): boolean {
  const sign = params.SIGN;
  if (typeof sign !== "string" || sign === "") return false;
  const fields: Partial<Record<string, string>> = {};
  for (const name of ARSENALPAY_SIGNED_FIELDS) {
    const value = params[name];
    if (typeof value !== "string") return false;
    fields[name] = value;
  }
  const signed = fields as ArsenalpaySignedFields;
  // Every key is tried, so the time taken does not say which matched; an empty key never matches (an unset secret).
  let matched = false;
  for (const key of callbackKeys) {
    if (key !== "" && hexDigestsEqual(sign, expectedArsenalpaySign(signed, key))) matched = true;
  }
  return matched;
}
