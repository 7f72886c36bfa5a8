import { z } from "zod";

/**
 * WebMoney Merchant Interface wire types (PROTOCOLS.md §6): two POST urlencoded calls to the Result URL. Fields are
 * only required to be present once as strings here; what they must mean is checked after the signature, so that a
 * tampered value is refused as a bad signature, not as a bad format.
 */

/** A parameter present once as a string; a repeated parameter (an array) is malformed. */
const single = z.string({ error: (issue) => (issue.input === undefined ? "is missing" : "must be given once") });

/**
 * The pre-request (`LMI_PREREQUEST=1`): may this payment go ahead? Unsigned. `ACCOUNT` is payhub's own form field
 * carrying the subscriber account, which WebMoney passes back in both calls.
 */
export const WebmoneyPrerequest = z.object({
  LMI_PREREQUEST: z.literal("1"),
  LMI_PAYEE_PURSE: single,
  LMI_PAYMENT_AMOUNT: single,
  LMI_PAYMENT_NO: single.optional(),
  LMI_MODE: single.optional(),
  LMI_PAYER_WM: single.optional(),
  LMI_PAYER_PURSE: single.optional(),
  ACCOUNT: single,
});
export type WebmoneyPrerequest = z.infer<typeof WebmoneyPrerequest>;

/**
 * The payment notification: the money has moved. `LMI_HASH` is optional here only so that its absence is refused as
 * a bad signature (HTTP 400), like a wrong one.
 */
export const WebmoneyNotification = z.object({
  LMI_PAYEE_PURSE: single,
  LMI_PAYMENT_AMOUNT: single,
  LMI_HOLD: single.optional(),
  LMI_PAYMENT_NO: single,
  LMI_MODE: single,
  LMI_SYS_INVS_NO: single,
  LMI_SYS_TRANS_NO: single,
  LMI_SYS_TRANS_DATE: single,
  LMI_PAYER_PURSE: single,
  LMI_PAYER_WM: single,
  LMI_HASH: single.optional(),
  LMI_HASH2: single.optional(),
  ACCOUNT: single,
});
export type WebmoneyNotification = z.infer<typeof WebmoneyNotification>;

/** `LMI_MODE`: 0 a real payment, 1 a test payment (never credited in production). */
export const WebmoneyMode = { real: "0", test: "1" } as const;

/**
 * Fields never stored with a payment: the signatures, and the secret key itself, which WebMoney sends when the
 * merchant chose "send the secret key" instead of a hash in its settings.
 */
export const WEBMONEY_UNSTORED_FIELDS: readonly string[] = ["LMI_HASH", "LMI_HASH2", "LMI_SECRET_KEY"];

/** The pre-request's only accepting answer; any other text refuses and is shown to the payer. */
export const WEBMONEY_PREREQUEST_YES = "YES";
