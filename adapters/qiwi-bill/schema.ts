import { z } from "zod";

/**
 * QIWI bill notification wire types (PROTOCOLS.md §8): a POST JSON body, signed in the `X-Api-Signature-SHA256`
 * header. Values are only required to be strings here; what they must mean is checked after the signature, so that
 * a tampered value is refused as a bad signature, not as a bad format.
 */

export const QiwiBillStatus = z.object({
  /** WAITING, PAID, REJECTED, EXPIRED, PARTIAL; only PAID credits. */
  value: z.string(),
  /** When the status changed: `changedDateTime` in QIWI's API, `datetime` in older notifications. */
  changedDateTime: z.string().optional(),
  datetime: z.string().optional(),
});

export const QiwiBill = z.object({
  siteId: z.string(),
  /** The hub's own bill id, given when the bill was issued: the idempotency key. */
  billId: z.string(),
  amount: z.object({
    /** Rubles as a decimal string ("100", "100.00"); signed formatted to two decimals. */
    value: z.string(),
    currency: z.string(),
  }),
  status: QiwiBillStatus,
  /** payhub issues every bill with the subscriber account in `customer.account`. */
  customer: z.object({ account: z.string().optional() }).optional(),
});
export type QiwiBill = z.infer<typeof QiwiBill>;

export const QiwiBillNotification = z.object({
  bill: QiwiBill,
  version: z.string().optional(),
});
export type QiwiBillNotification = z.infer<typeof QiwiBillNotification>;

/** The only status that moves money. */
export const QIWI_BILL_PAID = "PAID";

/** The only currency a payhub bill is issued in. */
export const QIWI_BILL_RUB = "RUB";

/** The header carrying the signature (HTTP header names are case-insensitive; Node gives them lower-case). */
export const QIWI_SIGNATURE_HEADER = "X-Api-Signature-SHA256";

/**
 * The `error` field of the answer. `"0"` is what QIWI documents for "received"; the others are QIWI's codes from its
 * earlier notification protocol, given for whoever reads a failed notification in QIWI's records. QIWI itself reads
 * only the HTTP status.
 */
export const QiwiBillAnswerCode = {
  received: "0",
  malformed: "5",
  retryLater: "13",
  unauthorized: "150",
  badSignature: "151",
  refused: "300",
} as const;
export type QiwiBillAnswerCode = (typeof QiwiBillAnswerCode)[keyof typeof QiwiBillAnswerCode];

/** The JSON answer. */
export interface QiwiBillAnswer {
  error: QiwiBillAnswerCode;
  description?: string;
}
