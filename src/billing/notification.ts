import { createHmac, timingSafeEqual } from "node:crypto";
import { formatRubles } from "../../lib/money.ts";
import type { Db } from "../db.ts";

/**
 * What the billing system receives for one posting, and how it knows the hub sent it.
 *
 * Body (JSON, UTF-8): the notification id (the idempotency key: a notification may arrive more than once, after a
 * timeout the billing system did answer, or an operator's replay), the posting's kind as the event, its ids, memo,
 * time, and every entry on a subscriber's account with its signed amount (positive raises the balance).
 *
 * Signature: `X-Payhub-Signature: sha256=<hex HMAC-SHA256(BILLING_WEBHOOK_SECRET, "<timestamp>.<body>")>` where
 * `<timestamp>` is the `X-Payhub-Timestamp` header (Unix seconds) and `<body>` the exact bytes of the request body.
 * The billing system recomputes it over the raw body before parsing, compares in constant time, refuses a timestamp
 * more than a few minutes from its clock (a captured request cannot be replayed later), and ignores an id it has
 * already applied. Every attempt is signed afresh; the body of a notification is the same bytes at every attempt.
 */
export interface BillingPayload {
  notificationId: string;
  event: string;
  postingId: string;
  paymentId: string | null;
  reversesPostingId: string | null;
  memo: string | null;
  createdAt: string;
  entries: { account: string; amount: string; amountKopecks: string }[];
}

export const SIGNATURE_HEADER = "X-Payhub-Signature";
export const TIMESTAMP_HEADER = "X-Payhub-Timestamp";
export const NOTIFICATION_ID_HEADER = "X-Payhub-Notification-Id";

/** A notification with what its body is made of; undefined when no such notification exists. */
export interface LoadedNotification {
  id: bigint;
  sentAt: Date | null;
  failedAt: Date | null;
  /** The request id of the provider's request behind the posting's payment, for the log line. */
  requestId: string | null;
  payload: BillingPayload;
}

export async function loadNotification(db: Db, id: bigint): Promise<LoadedNotification | undefined> {
  const row = await db.billingNotification.findUnique({
    where: { id },
    include: {
      posting: {
        include: {
          payment: { select: { requestId: true } },
          entries: { orderBy: { id: "asc" }, include: { ledgerAccount: { select: { subscriber: { select: { number: true } } } } } },
        },
      },
    },
  });
  if (!row) return undefined;
  const { posting } = row;
  return {
    id: row.id,
    sentAt: row.sentAt,
    failedAt: row.failedAt,
    requestId: posting.payment?.requestId ?? null,
    payload: {
      notificationId: row.id.toString(),
      event: posting.kind,
      postingId: posting.id.toString(),
      paymentId: posting.paymentId?.toString() ?? null,
      reversesPostingId: posting.reversesPostingId?.toString() ?? null,
      memo: posting.memo,
      createdAt: posting.createdAt.toISOString(),
      entries: posting.entries.flatMap((entry) => {
        const subscriber = entry.ledgerAccount.subscriber;
        return subscriber ? [{ account: subscriber.number, amount: formatRubles(entry.amountKopecks), amountKopecks: entry.amountKopecks.toString() }] : [];
      }),
    },
  };
}

/** The signature header's value for a body sent at `timestamp` (Unix seconds, as sent in X-Payhub-Timestamp). */
export function billingSignature(secret: string, timestamp: string, body: Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex")}`;
}

/** The receiver's check, for the billing team and the tests: signature and freshness (default ±5 minutes). */
export function verifyBillingSignature(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: Buffer,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): boolean {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp || !/^[0-9]{1,12}$/.test(timestamp)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(billingSignature(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
