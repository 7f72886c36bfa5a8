// OSMP carries no signature: a profile is protected by its source-IP allowlist and optional HTTP Basic credentials,
// both enforced by the route before the adapter parses (webhooks/osmp). What is verified here is the shape.
import type { OsmpRequest } from "./schema.ts";

/** `txn_date` is YYYYMMDDHHMMSS in the network's local time; check it names a real moment. */
export function isValidTxnDate(text: string): boolean {
  const match = /^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  );
}

export type OsmpPayRequest = OsmpRequest & { sum: string; txn_date: string };
