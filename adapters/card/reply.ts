import type { Command, HttpReply, InboundRequest, Outcome, ProtocolError } from "../contract/index.ts";
import { assertNever } from "../contract/index.ts";

/**
 * Answers to the acquirer's callback. The acquirer reads only the HTTP status: 200 means "handled", anything else
 * makes it repeat the callback for a while. So:
 *
 * - 200 `OK`: confirmed, closed, reversed, acknowledged (repeats too)
 * - 404: an order payhub does not know (the repeat covers a callback that outruns the recording of its order)
 * - 409: the order cannot take this step (a deposit for an order closed as expired, another amount, a reversal of
 *   more than is left); logged for an operator, and a reversal of a payment not credited yet is retried by the acquirer
 * - 503: a temporary failure; 403 bad checksum or source; 400 malformed
 */

const text = (status: number, body: string): HttpReply => ({ status, contentType: "text/plain; charset=utf-8", body });

export function replyCardCallback(_command: Command, outcome: Outcome, _request: InboundRequest): HttpReply {
  switch (outcome.kind) {
    case "confirmed":
    case "closed":
    case "reversed":
    case "acknowledged":
      return text(200, "OK");
    case "paymentNotFound":
      return text(404, "error: unknown order");
    case "operationRefused":
      return text(409, `error: ${outcome.reason}`);
    case "temporaryFailure":
      return text(503, "error: temporary failure, repeat later");
    case "checked":
    case "accepted":
    case "duplicate":
    case "conflict":
    case "opened":
    case "accountNotFound":
    case "accountBlocked":
    case "accountInactive":
    case "amountTooSmall":
    case "amountTooLarge":
      // Outcomes of commands a callback never becomes.
      return text(500, "error: unexpected outcome");
    default:
      return assertNever(outcome);
  }
}

export function replyCardError(error: ProtocolError, _request: InboundRequest | undefined): HttpReply {
  const status = error.kind === "badSignature" || error.kind === "forbidden" ? 403 : error.kind === "unauthorized" ? 401 : error.kind === "notFound" ? 404 : 400;
  return text(status, `error: ${error.message}`);
}
