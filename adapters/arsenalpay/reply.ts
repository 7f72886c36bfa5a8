import type { Command, HttpReply, InboundRequest, Outcome, ProtocolError } from "../contract/index.ts";
import { assertNever } from "../contract/index.ts";
import { ArsenalpayAnswer, type ArsenalpayCheckAnswer, type ArsenalpayNotificationAnswer } from "./schema.ts";

/**
 * Answers to ArsenalPay callbacks (PROTOCOLS.md §3): the bare word as text/plain, or `{"response":"<word>"}` when the
 * callback asked for FORMAT=json. ArsenalPay reads the word, ERR included, from an HTTP 200 answer, as its own CMS
 * modules answer; the HTTP status stays 200 so that the word, not a transport error, is what it acts on.
 */

/** The answer to `check`: YES, NO or ERR. */
export function replyArsenalpayCheck(answer: ArsenalpayCheckAnswer, format: unknown): HttpReply {
  return replyWord(answer, format);
}

/** The answer to payment, hold, cancel(init), refund, reverse/reversal: OK or ERR. */
export function replyArsenalpayNotification(answer: ArsenalpayNotificationAnswer, format: unknown): HttpReply {
  return replyWord(answer, format);
}

/** FORMAT as received (a raw parameter): "json" in any case asks for JSON; anything else, or none, for plain text. */
export function wantsJson(format: unknown): boolean {
  return typeof format === "string" && format.toLowerCase() === "json";
}

function replyWord(word: ArsenalpayCheckAnswer | ArsenalpayNotificationAnswer, format: unknown): HttpReply {
  if (wantsJson(format)) return { status: 200, contentType: "application/json; charset=utf-8", body: JSON.stringify({ response: word }) };
  return { status: 200, contentType: "text/plain; charset=utf-8", body: word };
}

/** Every outcome as ArsenalPay's word: YES/NO/ERR to a check, OK/ERR to everything else. */
export function replyArsenalpay(command: Command, outcome: Outcome, request: InboundRequest): HttpReply {
  const format = request.params.FORMAT;
  if (command.kind === "check") {
    switch (outcome.kind) {
      case "checked":
        return replyArsenalpayCheck(ArsenalpayAnswer.yes, format);
      case "accountNotFound":
      case "accountBlocked":
      case "accountInactive":
      case "amountTooSmall":
      case "amountTooLarge":
        return replyArsenalpayCheck(ArsenalpayAnswer.no, format);
      default:
        return replyArsenalpayCheck(ArsenalpayAnswer.error, format);
    }
  }
  switch (outcome.kind) {
    case "accepted":
    case "duplicate":
    case "opened":
    case "confirmed":
    case "closed":
    case "reversed":
    case "acknowledged":
      return replyArsenalpayNotification(ArsenalpayAnswer.ok, format);
    case "checked":
    case "conflict":
    case "accountNotFound":
    case "accountBlocked":
    case "accountInactive":
    case "amountTooSmall":
    case "amountTooLarge":
    case "paymentNotFound":
    case "operationRefused":
    case "temporaryFailure":
      return replyArsenalpayNotification(ArsenalpayAnswer.error, format);
    default:
      return assertNever(outcome);
  }
}

/** A refused callback: NO is for accounts and amounts only, so every refusal before the core answers ERR. */
export function replyArsenalpayError(_error: ProtocolError, request: InboundRequest | undefined): HttpReply {
  return replyArsenalpayNotification(ArsenalpayAnswer.error, request?.params.FORMAT);
}
