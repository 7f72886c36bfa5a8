import type { Command, HttpReply, InboundRequest, Outcome, ProtocolError } from "../contract/index.ts";
import { assertNever, isStepOutcome } from "../contract/index.ts";
import { formatRubles } from "../../lib/money.ts";
import { QiwiBillAnswerCode, type QiwiBillAnswer } from "./schema.ts";

/**
 * How QIWI is answered (PROTOCOLS.md §8): HTTP 200 `{"error":"0"}` means "received, stop re-sending"; anything but
 * 200 is re-sent for a day. A notification comes after the bill was paid, so the status says whether the hub
 * recorded it, and a non-200 is given exactly where a re-send within that day can end differently:
 * - 200: accepted, a repeat, a status that moves no money (acknowledged). A PAID bill for an unknown, closed or
 *   blocked account is accepted too: the core records it in suspense for an operator (the money is with QIWI already).
 * - 409: a conflicting repeat (a known billId with another account or amount): not accepted, and flagged for an
 *   operator by the core once, however often QIWI re-sends it.
 * - 422: a sum outside the limits (and the account refusals, for a pay not marked unrefusable). payhub issued the
 *   bill within those limits, so something changed since; an operator who fixes it within the day gets the re-send.
 * - 503: a temporary failure; the re-send is the recovery.
 * - Refused requests (replyQiwiBillError): 403 for a bad or missing signature and a foreign siteId, so that a
 *   rotated secret or a wrong siteId setting fixed within the day still receives the payment (403, not 401: 401
 *   asks for HTTP authentication, which QIWI does not do; the signature is a property of the body). 400 for a body
 *   that cannot be read, signed or not (a fix deployed within the day still receives it).
 */
function answerOf(outcome: Outcome): { status: number; answer: QiwiBillAnswer } {
  // Outcomes of two-phase and reversal commands, which this protocol's parser never produces.
  if (isStepOutcome(outcome)) return { status: 200, answer: { error: QiwiBillAnswerCode.refused, description: "operation not supported by this protocol" } };
  switch (outcome.kind) {
    case "checked":
    case "accepted":
    case "duplicate":
    case "acknowledged":
      return { status: 200, answer: { error: QiwiBillAnswerCode.received } };
    case "conflict":
      return { status: 409, answer: { error: QiwiBillAnswerCode.refused, description: "billId already recorded with another account or amount: flagged for an operator" } };
    case "accountNotFound":
      return refused("account not found");
    case "accountBlocked":
      return refused("payments to the account are forbidden");
    case "accountInactive":
      return refused("account is closed");
    case "amountTooSmall":
      return refused(`amount too small, minimum ${formatRubles(outcome.minKopecks)}`);
    case "amountTooLarge":
      return refused(`amount too large, maximum ${formatRubles(outcome.maxKopecks)}`);
    case "temporaryFailure":
      return { status: 503, answer: { error: QiwiBillAnswerCode.retryLater, description: "temporary error, repeat later" } };
    default:
      return assertNever(outcome);
  }
}

function refused(description: string): { status: number; answer: QiwiBillAnswer } {
  return { status: 422, answer: { error: QiwiBillAnswerCode.refused, description } };
}

export function replyQiwiBill(_command: Command, outcome: Outcome, _request: InboundRequest): HttpReply {
  const { status, answer } = answerOf(outcome);
  return json(status, answer);
}

const ERROR_ANSWER: Record<ProtocolError["kind"], { status: number; error: QiwiBillAnswerCode }> = {
  malformed: { status: 400, error: QiwiBillAnswerCode.malformed },
  badAccountFormat: { status: 400, error: QiwiBillAnswerCode.malformed },
  unknownCommand: { status: 400, error: QiwiBillAnswerCode.malformed },
  badSignature: { status: 403, error: QiwiBillAnswerCode.badSignature },
  forbidden: { status: 403, error: QiwiBillAnswerCode.unauthorized },
  unauthorized: { status: 401, error: QiwiBillAnswerCode.unauthorized },
  notFound: { status: 404, error: QiwiBillAnswerCode.refused },
};

export function replyQiwiBillError(error: ProtocolError, _request: InboundRequest | undefined): HttpReply {
  const { status, error: code } = ERROR_ANSWER[error.kind];
  return json(status, { error: code, description: error.message });
}

function json(status: number, answer: QiwiBillAnswer): HttpReply {
  return { status, contentType: "application/json; charset=utf-8", body: JSON.stringify(answer) };
}
