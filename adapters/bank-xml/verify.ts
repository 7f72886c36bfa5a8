// Optional shared-secret scheme: hash = md5("k1=v1&k2=v2&…&secret=<secret>") over the received parameters sorted by
// name, `hash` itself excluded, values exactly as received.
import { hexDigestsEqual, md5Hex } from "../contract/index.ts";

export function bankHash(params: Record<string, string>, secret: string): string {
  const names = Object.keys(params).filter((name) => name !== "hash").sort();
  const joined = names.map((name) => `${name}=${params[name]}`).join("&");
  return md5Hex(`${joined}&secret=${secret}`);
}

/** True when no secret is configured, or the received hash matches one of the secrets (rotation). */
export function bankHashValid(params: Record<string, string>, received: string | undefined, secrets: readonly string[]): boolean {
  if (secrets.length === 0) return true;
  if (!received) return false;
  return secrets.some((secret) => hexDigestsEqual(received, bankHash(params, secret)));
}

/** PAY_DATE and REG_DATE: dd.MM.yyyy_HH:mm:ss; checks the text names a real moment. */
export function isValidBankDate(text: string): boolean {
  const match = /^([0-9]{2})\.([0-9]{2})\.([0-9]{4})_([0-9]{2}):([0-9]{2}):([0-9]{2})$/.exec(text);
  if (!match) return false;
  const [day, month, year, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
}
