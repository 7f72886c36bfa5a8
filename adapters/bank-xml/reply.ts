import type { Command, HttpReply, InboundRequest, Outcome, PaymentView, ProtocolError } from "../contract/index.ts";
import { assertNever, isStepOutcome } from "../contract/index.ts";
import { formatRubles } from "../../lib/money.ts";
import { REFUSAL_HTTP_STATUS, xmlResponse } from "../contract/xml.ts";
import type { BankProfile } from "./parse.ts";
import { BankCode, type BankCodeValue, type BankResponse } from "./schema.ts";

/** Every outcome as a bank CODE: the one table of this protocol. */
function codeOf(outcome: Outcome): { code: BankCodeValue; message: string } {
  // Outcomes of two-phase and reversal commands, which this protocol's parser never produces.
  if (isStepOutcome(outcome)) return { code: BankCode.internalError, message: "operation not supported by this protocol" };
  switch (outcome.kind) {
    case "checked":
    case "accepted":
    case "acknowledged":
      return { code: BankCode.ok, message: "OK" };
    case "duplicate":
      return { code: BankCode.duplicateTransaction, message: "duplicate transaction: already registered" };
    case "conflict":
      // The same PAY_ID with another account or sum: still a duplicate for the bank, with the original's figures, and
      // flagged for an operator by the core.
      return { code: BankCode.duplicateTransaction, message: "PAY_ID already registered with another account or amount" };
    case "accountNotFound":
      return { code: BankCode.subscriberNotFound, message: "subscriber not found" };
    case "accountBlocked":
      return { code: BankCode.paymentsForbidden, message: "payments to this account are forbidden" };
    case "accountInactive":
      return { code: BankCode.accountNotActive, message: "account is not active" };
    case "amountTooSmall":
      return { code: BankCode.amountTooSmall, message: `amount too small, minimum ${formatRubles(outcome.minKopecks)}` };
    case "amountTooLarge":
      return { code: BankCode.amountTooLarge, message: `amount too large, maximum ${formatRubles(outcome.maxKopecks)}` };
    case "temporaryFailure":
      return { code: BankCode.temporaryError, message: "temporary error, repeat later" };
    default:
      return assertNever(outcome);
  }
}

/** The recommended payment: what keeps the service on for a month, the monthly fee less what is already there. */
export function recommendedKopecks(monthlyFeeKopecks: bigint, balanceKopecks: bigint): bigint {
  const recommended = monthlyFeeKopecks - balanceKopecks;
  return recommended > 0n ? recommended : 0n;
}

/** dd.MM.yyyy_HH:mm:ss on the bank's clock. */
export function bankDate(at: Date, utcOffsetMinutes: number): string {
  const local = new Date(at.getTime() + utcOffsetMinutes * 60_000);
  const two = (value: number) => String(value).padStart(2, "0");
  return `${two(local.getUTCDate())}.${two(local.getUTCMonth() + 1)}.${local.getUTCFullYear()}_${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}`;
}

export function replyBank(_command: Command, outcome: Outcome, _request: InboundRequest, profile: BankProfile): HttpReply {
  const { code, message } = codeOf(outcome);
  const response: BankResponse = { CODE: code, MESSAGE: message };
  if (outcome.kind === "checked") {
    const { account } = outcome;
    response.FIO = account.maskedOwnerName;
    response.ADDRESS = account.address;
    response.BALANCE = formatRubles(account.balanceKopecks);
    response.REC_SUM = formatRubles(recommendedKopecks(account.monthlyFeeKopecks, account.balanceKopecks));
  }
  if (outcome.kind === "accepted") {
    response.EXT_ID = outcome.payment.id.toString();
    response.SUM = formatRubles(outcome.payment.amountKopecks);
    response.REG_DATE = bankDate(outcome.payment.receivedAt, profile.utcOffsetMinutes);
  }
  if (outcome.kind === "duplicate" || outcome.kind === "conflict") Object.assign(response, original(outcome.payment, profile));
  return xml(response);
}

/** A duplicate answers with the original registration: its EXT_ID, REG_DATE and AMOUNT. */
function original(payment: PaymentView, profile: BankProfile): Partial<BankResponse> {
  return { EXT_ID: payment.id.toString(), REG_DATE: bankDate(payment.receivedAt, profile.utcOffsetMinutes), AMOUNT: formatRubles(payment.amountKopecks) };
}

const FIELD_CODES: Record<string, BankCodeValue> = {
  ACTION: BankCode.unknownRequestType,
  ACCOUNT: BankCode.badPayerIdentifier,
  PAY_ID: BankCode.badTransactionId,
  AMOUNT: BankCode.badAmount,
  PAY_DATE: BankCode.badDate,
};


export function replyBankError(error: ProtocolError, _request: InboundRequest | undefined): HttpReply {
  const code = (error.field === undefined ? undefined : FIELD_CODES[error.field]) ?? BankCode.internalError;
  const reply = xml({ CODE: code, MESSAGE: error.message });
  reply.status = REFUSAL_HTTP_STATUS[error.kind];
  if (error.kind === "unauthorized") reply.headers = { "WWW-Authenticate": 'Basic realm="payhub bank", charset="UTF-8"' };
  return reply;
}

const ORDER: (keyof BankResponse)[] = ["CODE", "MESSAGE", "FIO", "ADDRESS", "BALANCE", "REC_SUM", "EXT_ID", "SUM", "AMOUNT", "REG_DATE"];

function xml(response: BankResponse): HttpReply {
  return { status: 200, contentType: "application/xml; charset=utf-8", body: xmlResponse(ORDER, response) };
}
