import type { ChannelProfile, Command, HttpReply, InboundRequest, Outcome, ProtocolError } from "../contract/index.ts";
import { assertNever } from "../contract/index.ts";
import { Sms3116StatusResult, type Sms3116StatusResultCode } from "./schema.ts";
import { SMS_PREFIX, type SmsTextProblem } from "./text.ts";

/**
 * Answers to the SMS 3116 aggregator (PROTOCOLS.md §5). An incoming SMS is answered with the text of the reply SMS
 * to the subscriber; a status callback with a JSON result.
 *
 * SMS length: Cyrillic text goes as UCS-2, 70 characters in one SMS and 67 in each part of a longer one. Every reply
 * here fits two parts (134 characters) with the longest account number and sum; the tests hold that line.
 */
export const SMS_REPLY_MAX_CHARS = 134;

/** What the reply SMS tells the subscriber. */
export type Sms3116ReplyText =
  /** A pending payment was opened: confirm it. The account gets `amountKopecks`; the phone pays it plus the commission. */
  | { kind: "pendingOpened"; accountNumber: string; amountKopecks: bigint; commissionKopecks: bigint }
  | { kind: "accountNotFound"; accountNumber: string }
  /** The contract is closed (or payments to it are forbidden). */
  | { kind: "accountClosed"; accountNumber: string }
  | { kind: "malformedText"; problem: SmsTextProblem }
  | { kind: "amountOutOfLimits"; amountKopecks: bigint; minKopecks: bigint; maxKopecks: bigint };

const FORMAT_HINT = `Формат: ${SMS_PREFIX} <лицевой счёт> <сумма>, например ${SMS_PREFIX} 100080 500`;

const PROBLEM_TEXT: Record<SmsTextProblem, string> = {
  empty: "Пустое SMS.",
  "no-prefix": "Неверный формат SMS.",
  "no-account": "Не указан лицевой счёт.",
  "bad-account": "Лицевой счёт пишется цифрами.",
  "no-sum": "Не указана сумма.",
  "bad-sum": "Неверная сумма.",
  "extra-words": "Лишний текст после суммы.",
};

/** The one table of reply texts, in Russian, short enough for two SMS parts. */
export function smsReplyText(reply: Sms3116ReplyText): string {
  switch (reply.kind) {
    case "pendingOpened": {
      const total = reply.amountKopecks + reply.commissionKopecks;
      return (
        `Оплата л/с ${reply.accountNumber}: ${formatSmsRubles(reply.amountKopecks)} руб. + комиссия ${formatSmsRubles(reply.commissionKopecks)} руб. ` +
        `= ${formatSmsRubles(total)} руб. Для подтверждения ответьте на это SMS.`
      );
    }
    case "accountNotFound":
      return `Лицевой счёт ${reply.accountNumber} не найден. ${FORMAT_HINT}`;
    case "accountClosed":
      return `Лицевой счёт ${reply.accountNumber} закрыт, оплата не принята.`;
    case "malformedText":
      return `${PROBLEM_TEXT[reply.problem]} ${FORMAT_HINT}`;
    case "amountOutOfLimits":
      return `Сумма ${formatSmsRubles(reply.amountKopecks)} руб. вне лимита: от ${formatSmsRubles(reply.minKopecks)} до ${formatSmsRubles(reply.maxKopecks)} руб. за платёж.`;
    default:
      return assertNever(reply);
  }
}

/**
 * The answer to an incoming SMS: the aggregator sends `text` to the subscriber. The smsid is echoed on a header line,
 * so line breaks are removed from it even though the schema already refuses them.
 */
export function replySms3116Incoming(smsid: string, text: string): HttpReply {
  return {
    status: 200,
    contentType: "text/plain; charset=utf-8",
    body: `smsid: ${smsid.replace(/[\r\n]/g, "")}\nstatus: reply\ncontent-type: text/plain\n\n${text}`,
  };
}

/**
 * HTTP status of each status-callback result: a refusal is not a 200, so the aggregator does not take it for
 * delivered; the body still names the reason in the protocol's words.
 */
const STATUS_HTTP: Record<Sms3116StatusResultCode, number> = {
  [Sms3116StatusResult.ok]: 200,
  [Sms3116StatusResult.invalidRequest]: 400,
  [Sms3116StatusResult.badSignature]: 403,
  [Sms3116StatusResult.notFound]: 404,
};

/** The answer to a payment status callback: `{"result":"ok"}` or one of the protocol's error results. */
export function replySms3116Status(result: Sms3116StatusResultCode): HttpReply {
  return { status: STATUS_HTTP[result], contentType: "application/json; charset=utf-8", body: JSON.stringify({ result }) };
}

/** A positive sum as a Russian SMS writes it: "500", "10,50" (no kopecks when there are none; a decimal comma). */
export function formatSmsRubles(kopecks: bigint): string {
  const whole = kopecks / 100n;
  const rest = kopecks % 100n;
  return rest === 0n ? whole.toString() : `${whole},${rest.toString().padStart(2, "0")}`;
}

/** The answer to an incoming SMS for each outcome of opening its pending payment. */
export function replySmsIncoming(command: Command, outcome: Outcome, request: InboundRequest, profile: ChannelProfile): HttpReply {
  const smsid = typeof request.params.smsid === "string" ? request.params.smsid : "";
  const account = command.accountNumber ?? "";
  const amount = "amountKopecks" in command && command.amountKopecks !== undefined ? command.amountKopecks : 0n;
  switch (outcome.kind) {
    case "opened":
    case "duplicate":
    case "accepted":
      return replySms3116Incoming(smsid, smsReplyText({ kind: "pendingOpened", accountNumber: account, amountKopecks: amount, commissionKopecks: "commissionKopecks" in command ? command.commissionKopecks : 0n }));
    case "accountNotFound":
      return replySms3116Incoming(smsid, smsReplyText({ kind: "accountNotFound", accountNumber: account }));
    case "accountBlocked":
    case "accountInactive":
      return replySms3116Incoming(smsid, smsReplyText({ kind: "accountClosed", accountNumber: account }));
    case "amountTooSmall":
    case "amountTooLarge":
      return replySms3116Incoming(smsid, smsReplyText({ kind: "amountOutOfLimits", amountKopecks: amount, minKopecks: profile.minKopecks, maxKopecks: profile.maxKopecks }));
    case "conflict":
      return replySms3116Incoming(smsid, "Это SMS уже обработано с другими данными. Отправьте новое SMS.");
    case "temporaryFailure":
      return { ...replySms3116Incoming(smsid, "Сервис временно недоступен, попробуйте позже."), status: 503 };
    case "checked":
    case "acknowledged":
    case "confirmed":
    case "closed":
    case "paymentNotFound":
    case "operationRefused":
    case "reversed":
      // Outcomes of commands an incoming SMS never becomes.
      return replySms3116Incoming(smsid, "Ошибка обработки SMS. Попробуйте позже.");
    default:
      return assertNever(outcome);
  }
}

/** The answer to a status callback for each outcome of confirming or closing its pending payment. */
export function replySmsStatus(_command: Command, outcome: Outcome): HttpReply {
  switch (outcome.kind) {
    case "confirmed":
    case "closed":
    case "acknowledged":
      return replySms3116Status(Sms3116StatusResult.ok);
    case "paymentNotFound":
      return replySms3116Status(Sms3116StatusResult.notFound);
    case "operationRefused":
      return replySms3116Status(Sms3116StatusResult.invalidRequest);
    case "temporaryFailure":
      return { status: 503, contentType: "application/json; charset=utf-8", body: JSON.stringify({ result: "error_temporary" }) };
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
    case "reversed":
      // Outcomes of commands a status callback never becomes.
      return replySms3116Status(Sms3116StatusResult.invalidRequest);
    default:
      return assertNever(outcome);
  }
}

/** A refused incoming SMS: a malformed text gets the explaining SMS; a bad skey or request gets an error status. */
export function replySmsIncomingError(error: ProtocolError, request: InboundRequest | undefined): HttpReply {
  const smsid = typeof request?.params.smsid === "string" ? request.params.smsid : "";
  if (error.kind === "malformed" && error.field === "msg") return replySms3116Incoming(smsid, error.message);
  const status = error.kind === "badSignature" || error.kind === "forbidden" ? 403 : error.kind === "notFound" ? 404 : 400;
  return { status, contentType: "text/plain; charset=utf-8", body: `error: ${error.message}` };
}

export function replySmsStatusError(error: ProtocolError, _request: InboundRequest | undefined): HttpReply {
  const reply = replySms3116Status(error.kind === "badSignature" ? Sms3116StatusResult.badSignature : Sms3116StatusResult.invalidRequest);
  return error.kind === "forbidden" ? { ...reply, status: 403 } : reply;
}
