import { z } from "zod";

/**
 * ArsenalPay wire types (PROTOCOLS.md §3): one callback URL for every function, POST urlencoded or GET, the same
 * upper-case parameter names. Values are kept as strings exactly as received: the signature is over them.
 */

/** The callback functions. `cancelinit` acts as `cancel`, `reversal` as `reverse` (see transitions.ts). */
export const ArsenalpayFunction = z.enum(["check", "payment", "cancel", "cancelinit", "refund", "reverse", "reversal", "hold"], {
  error: "must be check, payment, cancel, cancelinit, refund, reverse, reversal or hold",
});
export type ArsenalpayFunction = z.infer<typeof ArsenalpayFunction>;

/** A parameter present once as a string; a repeated parameter (an array) is malformed. */
const single = z.string({ error: (issue) => (issue.input === undefined ? "is missing" : "must be given once") });

export const ArsenalpayCallback = z
  .object({
    /** The merchant id (AllianceTelecom is the handbook's "Получатель 166301"). */
    ID: single.min(1, "must not be empty"),
    FUNCTION: single.pipe(ArsenalpayFunction),
    /** The transaction id: the idempotency key of every function of one payment. */
    RRN: single.regex(/^[0-9A-Za-z_-]{1,64}$/, "must be 1 to 64 letters, digits, _ or -"),
    /** Card mask or phone of the payer. */
    PAYER: single.max(128, "must be at most 128 characters"),
    /** Rubles credited, as sent (parsed by `arsenalpayAmounts`). */
    AMOUNT: single,
    /** The subscriber's account number, as sent. */
    ACCOUNT: single,
    /** Must equal FUNCTION. */
    STATUS: single,
    /** ISO 8601 with an offset, kept as received for the record. */
    DATETIME: single.min(1, "must not be empty").max(64, "must be at most 64 characters"),
    SIGN: single,
    /** "1": AMOUNT_FULL is what the payer paid and AMOUNT is after the fee; "0" or absent: no fee on the payer. */
    MERCH_TYPE: single.optional(),
    AMOUNT_FULL: single.optional(),
    /** "json": answer `{"response":"…"}` instead of the bare word. */
    FORMAT: single.optional(),
  })
  .refine((callback) => callback.STATUS === callback.FUNCTION, { path: ["STATUS"], error: "must equal FUNCTION" });
export type ArsenalpayCallback = z.infer<typeof ArsenalpayCallback>;

/** The seven signed fields, in the order they are hashed. */
export const ARSENALPAY_SIGNED_FIELDS = ["ID", "FUNCTION", "RRN", "PAYER", "AMOUNT", "ACCOUNT", "STATUS"] as const;
export type ArsenalpaySignedFields = Record<(typeof ARSENALPAY_SIGNED_FIELDS)[number], string>;

/**
 * The answer words. `check` answers YES (the account exists and may be paid), NO (no such account, wrong amount) or
 * ERR; every other function answers OK or ERR.
 */
export const ArsenalpayAnswer = { yes: "YES", no: "NO", error: "ERR", ok: "OK" } as const;
export type ArsenalpayCheckAnswer = typeof ArsenalpayAnswer.yes | typeof ArsenalpayAnswer.no | typeof ArsenalpayAnswer.error;
export type ArsenalpayNotificationAnswer = typeof ArsenalpayAnswer.ok | typeof ArsenalpayAnswer.error;
