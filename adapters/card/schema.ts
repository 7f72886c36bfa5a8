import { z } from "zod";

/**
 * Card acquiring wire types (PROTOCOLS.md §4, modeled on Sberbank internet acquiring): the acquirer's callback, a GET
 * with the order's ids, the operation, its status and an HMAC `checksum`.
 */

/** The operations the acquirer reports. */
export const CardOperation = z.enum(["approved", "deposited", "declinedByTimeout", "reversed", "refunded"], {
  error: "must be approved, deposited, declinedByTimeout, reversed or refunded",
});
export type CardOperation = z.infer<typeof CardOperation>;

/** A parameter present once as a string; a repeated parameter (an array) is malformed. */
const single = z.string({ error: (issue) => (issue.input === undefined ? "is missing" : "must be given once") });

export const CardCallback = z.object({
  /** The acquirer's order id (orderId of register.do): 1 to 64 printable ASCII characters. */
  mdOrder: single.regex(/^[\x21-\x7E]{1,64}$/, "must be 1 to 64 printable ASCII characters"),
  /** payhub's order number given to register.do (the acquirer allows at most 32 characters). */
  orderNumber: single.regex(/^[\x21-\x7E]{1,32}$/, "must be 1 to 32 printable ASCII characters"),
  operation: CardOperation,
  /** 1 success, 0 failure. */
  status: z.enum(["0", "1"], { error: "must be 0 or 1" }),
  /** In kopecks, when the acquirer sends it. */
  amount: single.regex(/^[1-9][0-9]{0,17}$/, "must be a positive whole number of kopecks").transform((text) => BigInt(text)).optional(),
});
export type CardCallback = z.infer<typeof CardCallback>;

/**
 * The reversal key of a reversal up to the acquirer's total of refunds and reversals of an order (its status API's
 * answer): every poll and callback that sees the same total is the same reversal.
 */
export const cardReversalKey = (acquirerTotalKopecks: bigint) => `acquirer total ${acquirerTotalKopecks}`;
