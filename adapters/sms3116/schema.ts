import { z } from "zod";

/**
 * SMS 3116 wire types (PROTOCOLS.md §5): the aggregator's incoming-SMS forward (GET query) and its payment status
 * callback (POST JSON). The aggregator of 3116 is not public; these are the two message kinds SMS-payment
 * aggregators commonly use.
 */

/** The short number subscribers text; the forward names it in `num`. */
export const SMS3116_SHORT_NUMBER = "3116";

/** Public operator limits for one SMS payment (PROTOCOLS.md §5): 10 ₽ to 5 000 ₽, the subscriber's sum. */
export const SMS3116_LIMITS = { minKopecks: 1_000n, maxKopecks: 500_000n } as const;

/** A parameter present once as a string; a repeated parameter (an array) is malformed. */
const single = z.string({ error: (issue) => (issue.input === undefined ? "is missing" : "must be given once") });

/** (a) An SMS the subscriber sent to 3116, forwarded by the aggregator. */
export const Sms3116Incoming = z.object({
  /** md5(serviceKey), lower hex: a fixed token, verified by `skeyValid`. */
  skey: single,
  /** The aggregator's id of the SMS: deduplicates repeats. Echoed on a line of the answer, so no line breaks. */
  smsid: single.regex(/^[0-9A-Za-z_.:-]{1,64}$/, "must be 1 to 64 letters, digits or _ . : -"),
  /** The short number the SMS was sent to. */
  num: single.regex(/^[0-9]{3,15}$/, "must be the digits of a short number"),
  /** The subscriber's mobile operator as the aggregator names it; see `normaliseOperator`. */
  operator: single.min(1, "must not be empty").max(64, "must be at most 64 characters"),
  /** The subscriber's phone number (MSISDN). */
  user_id: single.regex(/^\+?[0-9]{10,15}$/, "must be a phone number of 10 to 15 digits"),
  /** The SMS text as typed, read by `parseSmsText`. */
  msg: single.max(1_000, "must be at most 1000 characters"),
});
export type Sms3116Incoming = z.infer<typeof Sms3116Incoming>;

/** A payment status as the aggregator reports it: `success` credits once, `failure` closes, `pending` changes nothing. */
export const Sms3116PaymentStatus = z.enum(["success", "failure", "pending"], { error: "must be success, failure or pending" });
export type Sms3116PaymentStatus = z.infer<typeof Sms3116PaymentStatus>;

/** Kopecks as a JSON number (a safe whole number) or a string of digits; read as bigint. */
const kopecks = z
  .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^(0|[1-9][0-9]{0,17})$/)], {
    error: "must be a whole number of kopecks",
  })
  .transform((value) => BigInt(value));

/** (b) The aggregator's report on a payment the hub opened as pending. */
export const Sms3116StatusCallback = z.object({
  request: z.literal("payment_status", { error: 'must be "payment_status"' }),
  /** The aggregator's payment id: signed, see `statusSignatureValid`. */
  payment_id: z.string({ error: "must be a string" }).regex(/^[\x21-\x7E]{1,128}$/, "must be 1 to 128 printable ASCII characters"),
  /** The hub's id of the pending SMS payment, given to the aggregator when the payment was opened. */
  merchant_payment_id: z.string({ error: "must be a string" }).regex(/^[0-9A-Za-z_-]{1,64}$/, "must be 1 to 64 letters, digits, _ or -"),
  status: Sms3116PaymentStatus,
  extended_status: z.string().max(256).optional(),
  /** What the aggregator says was paid, in kopecks; compared by the core with the pending payment. */
  amount: kopecks,
  date_created: z.string().max(64).optional(),
  signature: z.string({ error: "must be a string" }),
});
export type Sms3116StatusCallback = z.infer<typeof Sms3116StatusCallback>;

/** The `result` of a status-callback answer (PROTOCOLS.md §5). */
export const Sms3116StatusResult = {
  ok: "ok",
  badSignature: "error_signature",
  notFound: "error_not_found",
  invalidRequest: "error_invalid_request",
} as const;
export type Sms3116StatusResultCode = (typeof Sms3116StatusResult)[keyof typeof Sms3116StatusResult];
