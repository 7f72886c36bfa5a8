import type { Command, HttpReply, InboundRequest, Outcome, ProtocolError } from "../contract/index.ts";
import { assertNever, isStepOutcome } from "../contract/index.ts";
import { formatRubles } from "../../lib/money.ts";

/**
 * How YooMoney is answered (PROTOCOLS.md §7): it reads only the HTTP status, and re-sends anything but 200 twice
 * (after 10 minutes and after an hour). A notification comes after the money arrived in the wallet, so the status
 * says whether the hub recorded it:
 * - 200 `OK`: accepted, a repeat, acknowledged without crediting (test, protected transfers), a held transfer
 *   recorded as pending (unaccepted=true), and its later completion.
 * - 409 for a conflicting repeat (a known operation_id with another account or amount): it was not accepted, and the
 *   core has flagged it for an operator (once, however often it is re-sent).
 * - A payment for an unknown, closed or blocked account is recorded in suspense for an operator (the core answers
 *   `accepted`), so it gets 200 like any other: the money is in the wallet and durable in payhub.
 * - 422 when the hub cannot record it (a sum outside the limits; the account refusals below are kept for a pay that
 *   is not marked unrefusable): the re-sends give an operator the chance to act within the hour, and the warning stays
 *   in the log either way.
 * - 503 for a temporary failure: the re-send is the recovery.
 */
function answerOf(outcome: Outcome): { status: number; body: string } {
  // A held transfer recorded as pending, and its completion by the notification of its acceptance.
  if (outcome.kind === "opened" || outcome.kind === "confirmed") return { status: 200, body: "OK" };
  // A payment recorded as pending that closed cannot become money: refused (the core flags it for an operator).
  if (outcome.kind === "operationRefused") return { status: 409, body: `refused: ${outcome.reason}` };
  // Outcomes of reversal commands, which this protocol's parser never produces.
  if (isStepOutcome(outcome)) return { status: 400, body: "operation not supported by this protocol" };
  switch (outcome.kind) {
    case "checked":
    case "accepted":
    case "duplicate":
    case "acknowledged":
      return { status: 200, body: "OK" };
    case "conflict":
      return { status: 409, body: "operation_id already recorded with another account or amount: flagged for an operator" };
    case "accountNotFound":
      return { status: 422, body: "account in label not found" };
    case "accountBlocked":
      return { status: 422, body: "payments to the account in label are forbidden" };
    case "accountInactive":
      return { status: 422, body: "account in label is closed" };
    case "amountTooSmall":
      return { status: 422, body: `amount too small, minimum ${formatRubles(outcome.minKopecks)}` };
    case "amountTooLarge":
      return { status: 422, body: `amount too large, maximum ${formatRubles(outcome.maxKopecks)}` };
    case "temporaryFailure":
      return { status: 503, body: "temporary error, repeat later" };
    default:
      return assertNever(outcome);
  }
}

export function replyYoomoney(_command: Command, outcome: Outcome, _request: InboundRequest): HttpReply {
  const { status, body } = answerOf(outcome);
  return text(status, body);
}

/** A refused notification credits nothing: 400 for a bad or missing sha1_hash or a malformed field, as §7 says. */
const ERROR_STATUS: Record<ProtocolError["kind"], number> = {
  malformed: 400,
  badAccountFormat: 400,
  unknownCommand: 400,
  badSignature: 400,
  forbidden: 403,
  unauthorized: 401,
  notFound: 404,
};

export function replyYoomoneyError(error: ProtocolError, _request: InboundRequest | undefined): HttpReply {
  return text(ERROR_STATUS[error.kind], error.message);
}

function text(status: number, body: string): HttpReply {
  return { status, contentType: "text/plain; charset=utf-8", body };
}
