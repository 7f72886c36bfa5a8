import { z } from "zod";

/**
 * YooMoney wallet notification wire types (PROTOCOLS.md §7), POST urlencoded. Fields are only required to be present
 * once as strings here; what they must mean is checked after `sha1_hash`, so that a tampered value is refused as a
 * bad signature, not as a bad format.
 */

/** A parameter present once as a string; a repeated parameter (an array) is malformed. */
const single = z.string({ error: (issue) => (issue.input === undefined ? "is missing" : "must be given once") });

export const YoomoneyNotification = z.object({
  /** `p2p-incoming` from a wallet, `card-incoming` from a card. */
  notification_type: single,
  /** YooMoney's operation id: the idempotency key. */
  operation_id: single,
  /** Credited to the receiver, rubles. */
  amount: single,
  /** Debited from the payer, rubles; the difference is YooMoney's fee. */
  withdraw_amount: single.optional(),
  currency: single,
  datetime: single,
  /** The payer's wallet; empty for cards (it is still signed, as an empty value). */
  sender: single.optional(),
  /** `true`: a protected transfer, received only when the code is entered. */
  codepro: single,
  /** payhub's payment form puts the subscriber account here. */
  label: single.optional(),
  /** Optional here only so that its absence is refused as a bad signature, like a wrong one. */
  sha1_hash: single.optional(),
  test_notification: single.optional(),
  /** `true`: the transfer is held until the receiver accepts it. */
  unaccepted: single.optional(),
});
export type YoomoneyNotification = z.infer<typeof YoomoneyNotification>;

/** The notification types that bring money into the wallet; any other is refused, never credited by guess. */
export const YoomoneyIncomingType = z.enum(["p2p-incoming", "card-incoming"]);

/** A YooMoney flag as sent: the words `true` and `false`. */
export const YoomoneyFlag = z.enum(["true", "false"]);

/** The operation id of the notification the wallet settings' "test" button sends. */
export const YOOMONEY_TEST_OPERATION_ID = "test-notification";

/** ISO 4217 numeric code of the rouble, the only currency a payhub wallet receives. */
export const YOOMONEY_RUB = "643";

/** Fields never stored with a payment: the signature. */
export const YOOMONEY_UNSTORED_FIELDS: readonly string[] = ["sha1_hash"];
