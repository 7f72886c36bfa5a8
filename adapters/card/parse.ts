import type { ChannelProfile, Command, InboundRequest, ParseResult, ProtocolError } from "../contract/index.ts";
import { CardCallback } from "./schema.ts";
import { cardChecksumValid } from "./verify.ts";

export interface CardProfile extends ChannelProfile {
  /** `CARD_CHECKSUM_KEY`: the HMAC key of the callback's checksum; several while one is rotated. */
  checksumKeys: readonly string[];
}

/**
 * The acquirer's callback about an order payhub registered (and recorded as a pending payment, external id =
 * orderNumber). The checksum first: nothing of a callback that fails it is believed.
 *
 * - deposited + 1: the money is captured: confirm (credited once; `amount`, when sent, must be the order's sum)
 * - approved + 1: held, not captured yet: acknowledged, no money moves
 * - declinedByTimeout (either status), deposited + 0, approved + 0: the order failed: close
 * - reversed + 1, refunded + 1: money went back to the payer. The callback's word never reverses anything by itself
 *   (two partial refunds of one amount, a repeat, a lost callback look alike): the core asks the acquirer's status API
 *   and reverses up to the acquirer's own refunded total (reconcile)
 * - reversed + 0, refunded + 0: the acquirer's operation failed, no money moved: acknowledged
 */
export function parseCardCallback(request: InboundRequest, profile: CardProfile): ParseResult {
  if (!cardChecksumValid(request.params, profile.checksumKeys)) {
    return refuse({ kind: "badSignature", field: "checksum", message: "checksum does not match" });
  }
  const parsed = CardCallback.safeParse(request.params);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? "request");
    return refuse({ kind: "malformed", field, message: `parameter ${field} ${parsed.error.issues[0]?.message ?? "is invalid"}` });
  }
  const callback = parsed.data;
  const reference = callback.orderNumber;
  const ids = { externalId: reference, accountNumber: undefined };
  const success = callback.status === "1";
  const command = ((): Command => {
    switch (callback.operation) {
      case "deposited":
        return success
          ? { kind: "confirm", reference, amountKopecks: callback.amount, ...ids }
          : { kind: "close", reference, reason: "the acquirer reports the deposit failed (deposited, status 0)", ...ids };
      case "approved":
        return success
          ? { kind: "acknowledge", ...ids, reason: "the acquirer holds the money (approved): not captured yet" }
          : { kind: "close", reference, reason: "the acquirer reports the payment failed (approved, status 0)", ...ids };
      case "declinedByTimeout":
        return { kind: "close", reference, reason: "the acquirer declined the order: not paid in time (declinedByTimeout)", ...ids };
      case "reversed":
        return success
          ? { kind: "reconcile", reference, reason: "the acquirer reports the payment reversed", ...ids }
          : { kind: "acknowledge", ...ids, reason: "the acquirer reports a failed reversal (status 0): no money moved" };
      case "refunded":
        return success
          ? { kind: "reconcile", reference, reason: `the acquirer reports a refund${callback.amount === undefined ? "" : ` of ${callback.amount} kopecks`}`, ...ids }
          : { kind: "acknowledge", ...ids, reason: "the acquirer reports a failed refund (status 0): no money moved" };
    }
  })();
  return { ok: true, command };
}

function refuse(error: ProtocolError): ParseResult {
  return { ok: false, error };
}
