import type { Command, HttpReply, InboundRequest, Outcome, ProtocolError } from "../contract/index.ts";
import { assertNever, isStepOutcome } from "../contract/index.ts";
import { TemplateResult, type TemplateResultCode } from "./schema.ts";

function resultOf(outcome: Outcome): TemplateResultCode {
  // Outcomes of two-phase and reversal commands, which this protocol's parser never produces.
  if (isStepOutcome(outcome)) return TemplateResult.error;
  switch (outcome.kind) {
    case "checked":
    case "accepted":
    case "duplicate":
    case "acknowledged":
      return TemplateResult.ok;
    case "temporaryFailure":
      return TemplateResult.retryLater;
    case "accountNotFound":
      return TemplateResult.accountNotFound;
    case "accountBlocked":
    case "accountInactive":
    case "amountTooSmall":
    case "amountTooLarge":
    case "conflict":
      return TemplateResult.refused;
    default:
      return assertNever(outcome);
  }
}

export function replyTemplate(_command: Command, outcome: Outcome, _request: InboundRequest): HttpReply {
  const body: Record<string, unknown> = { result: resultOf(outcome) };
  if (outcome.kind === "accepted" || outcome.kind === "duplicate") body.paymentId = outcome.payment.id.toString();
  return { status: 200, contentType: "application/json; charset=utf-8", body: JSON.stringify(body) };
}

export function replyTemplateError(error: ProtocolError, _request: InboundRequest | undefined): HttpReply {
  return { status: 200, contentType: "application/json; charset=utf-8", body: JSON.stringify({ result: TemplateResult.error, message: error.message }) };
}
