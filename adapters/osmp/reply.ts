import type { Command, HttpReply, InboundRequest, Outcome, ProtocolError } from "../contract/index.ts";
import { assertNever, isStepOutcome } from "../contract/index.ts";
import { formatRubles } from "../../lib/money.ts";
import { REFUSAL_HTTP_STATUS, xmlResponse } from "../contract/xml.ts";
import { OsmpResult, type OsmpResponse, type OsmpResultCode } from "./schema.ts";

/** Every outcome of the core as an OSMP result code and comment: the one table of this protocol. */
function resultOf(outcome: Outcome): { result: OsmpResultCode; comment: string } {
  // Outcomes of two-phase and reversal commands, which this protocol's parser never produces.
  if (isStepOutcome(outcome)) return { result: OsmpResult.otherError, comment: "operation not supported by this protocol" };
  switch (outcome.kind) {
    case "checked":
    case "accepted":
    case "duplicate":
    case "acknowledged":
      return { result: OsmpResult.ok, comment: "OK" };
    case "conflict":
      return { result: OsmpResult.otherError, comment: "txn_id already used for another account or sum" };
    case "accountNotFound":
      return { result: OsmpResult.accountNotFound, comment: "account not found" };
    case "accountBlocked":
      return { result: OsmpResult.paymentsForbidden, comment: "payments to this account are forbidden" };
    case "accountInactive":
      return { result: OsmpResult.accountInactive, comment: "account is not active" };
    case "amountTooSmall":
      return { result: OsmpResult.sumTooSmall, comment: `sum too small, minimum ${formatRubles(outcome.minKopecks)}` };
    case "amountTooLarge":
      return { result: OsmpResult.sumTooLarge, comment: `sum too large, maximum ${formatRubles(outcome.maxKopecks)}` };
    case "temporaryFailure":
      return { result: OsmpResult.temporaryError, comment: "temporary error, repeat later" };
    default:
      return assertNever(outcome);
  }
}


export function replyOsmp(command: Command, outcome: Outcome, request: InboundRequest): HttpReply {
  const { result, comment } = resultOf(outcome);
  const response: OsmpResponse = { osmp_txn_id: txnIdOf(command, request), result, comment };
  if (outcome.kind === "accepted" || outcome.kind === "duplicate") {
    // A repeat answers with the original's prv_txn and sum: the network reconciles by them.
    response.prv_txn = outcome.payment.id.toString();
    response.sum = formatRubles(outcome.payment.amountKopecks);
  }
  if (outcome.kind === "checked") {
    response.fio = outcome.account.maskedOwnerName;
    response.balance = formatRubles(outcome.account.balanceKopecks);
  }
  return xml(200, response);
}

export function replyOsmpError(error: ProtocolError, request: InboundRequest | undefined): HttpReply {
  const result = error.kind === "badAccountFormat" ? OsmpResult.badAccountFormat : OsmpResult.otherError;
  const response: OsmpResponse = {
    osmp_txn_id: request ? txnIdOf(undefined, request) : "",
    result,
    comment: error.message,
  };
  const reply = xml(REFUSAL_HTTP_STATUS[error.kind], response);
  if (error.kind === "unauthorized") reply.headers = { "WWW-Authenticate": 'Basic realm="payhub osmp", charset="UTF-8"' };
  return reply;
}

function txnIdOf(command: Command | undefined, request: InboundRequest): string {
  if (command?.externalId) return command.externalId;
  const raw = request.params.txn_id;
  return typeof raw === "string" && /^[0-9]{1,20}$/.test(raw) ? raw : "";
}

const ORDER: (keyof OsmpResponse)[] = ["osmp_txn_id", "prv_txn", "sum", "result", "comment", "fio", "balance"];

function xml(status: number, response: OsmpResponse): HttpReply {
  return { status, contentType: "text/xml; charset=utf-8", body: xmlResponse(ORDER, response) };
}
