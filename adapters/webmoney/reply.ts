import type { Command, HttpReply, InboundRequest, Outcome, ProtocolError } from "../contract/index.ts";
import { assertNever, isStepOutcome } from "../contract/index.ts";
import { formatRubles } from "../../lib/money.ts";
import { WEBMONEY_PREREQUEST_YES } from "./schema.ts";

/**
 * How WebMoney is answered (PROTOCOLS.md §6):
 * - A pre-request is always answered HTTP 200: `YES` accepts, any other text refuses and WebMoney shows it to the
 *   payer, so refusals are short Russian sentences saying what to do.
 * - A notification comes after the money moved: nothing here can refuse it, only record it or not. HTTP 200 when it
 *   is recorded (accepted, a repeat, a test payment acknowledged). A payment for an unknown, closed or blocked
 *   account (it passed the pre-request, so the account changed in between, or there was none) is recorded in
 *   suspense for an operator and answered 200 too. A notification the hub cannot record gets a non-200 answer, so
 *   that WebMoney reports it as undelivered instead of the hub claiming it: a sum outside the limits gets 422 (the
 *   account refusals are kept for completeness: a notification is always marked unrefusable), a temporary failure 503.
 *   A conflicting repeat (a known LMI_SYS_TRANS_NO with another account or amount) gets 409: it was not accepted,
 *   and the core has flagged it for an operator (once, however often it is repeated). A notification for an invoice
 *   payhub never issued, or of another amount than issued, is recorded in suspense and answered 200 too.
 */
interface WebmoneyAnswer {
  /** The outcome is what the provider asked for: `YES` to a pre-request, HTTP 200 to a notification. */
  success: boolean;
  /** The HTTP status a notification gets. */
  notificationStatus: number;
  /** Why not, in Russian: shown to the payer after a pre-request, logged by WebMoney after a notification. */
  text: string;
}

/** Every outcome of the core as WebMoney's answer: the one table of this protocol. */
function answerOf(outcome: Outcome, command: Command): WebmoneyAnswer {
  const account = command.accountNumber ? ` ${command.accountNumber}` : "";
  // A pre-request for an invoice payhub did not issue, or for another account or amount than it was issued for.
  if (outcome.kind === "operationRefused" && command.kind === "check") {
    return { success: false, notificationStatus: 400, text: "Счёт на оплату не найден или изменён. Оформите платёж заново на сайте AllianceTelecom." };
  }
  // Outcomes of two-phase and reversal commands, which this protocol's parser never produces.
  if (isStepOutcome(outcome)) return { success: false, notificationStatus: 400, text: "Операция не поддерживается." };
  switch (outcome.kind) {
    case "checked":
    case "accepted":
    case "duplicate":
    case "acknowledged":
      return { success: true, notificationStatus: 200, text: "OK" };
    case "conflict":
      return { success: false, notificationStatus: 409, text: "Платёж с этим номером уже проведён с другим лицевым счётом или суммой." };
    case "accountNotFound":
      return { success: false, notificationStatus: 422, text: `Лицевой счёт${account} не найден. Проверьте номер договора.` };
    case "accountBlocked":
      return { success: false, notificationStatus: 422, text: `Платежи на лицевой счёт${account} запрещены. Обратитесь в абонентский отдел.` };
    case "accountInactive":
      return { success: false, notificationStatus: 422, text: `Договор по лицевому счёту${account} расторгнут. Обратитесь в абонентский отдел.` };
    case "amountTooSmall":
      return { success: false, notificationStatus: 422, text: `Сумма меньше минимальной: ${formatRubles(outcome.minKopecks)} руб.` };
    case "amountTooLarge":
      return { success: false, notificationStatus: 422, text: `Сумма больше максимальной: ${formatRubles(outcome.maxKopecks)} руб.` };
    case "temporaryFailure":
      return { success: false, notificationStatus: 503, text: "Временная ошибка. Повторите платёж позже." };
    default:
      return assertNever(outcome);
  }
}

export function replyWebmoney(command: Command, outcome: Outcome, _request: InboundRequest): HttpReply {
  const answer = answerOf(outcome, command);
  if (command.kind === "check") return text(200, answer.success ? WEBMONEY_PREREQUEST_YES : answer.text);
  return text(answer.notificationStatus, answer.text);
}

/** A refused notification: 400 for a bad or missing hash, a foreign purse or a malformed field, as §6 says. */
const NOTIFICATION_ERROR_STATUS: Record<ProtocolError["kind"], number> = {
  malformed: 400,
  badAccountFormat: 400,
  unknownCommand: 400,
  badSignature: 400,
  forbidden: 400,
  unauthorized: 401,
  notFound: 404,
};

export function replyWebmoneyError(error: ProtocolError, request: InboundRequest | undefined): HttpReply {
  if (request?.params.LMI_PREREQUEST === "1") return text(200, payerTextOf(error));
  // Read by whoever looks at the notification in WebMoney's records: the message names the field.
  return text(NOTIFICATION_ERROR_STATUS[error.kind], error.message);
}

/** Why a pre-request was refused, for the payer. */
function payerTextOf(error: ProtocolError): string {
  switch (error.kind) {
    case "badAccountFormat":
      return "Номер лицевого счёта указан неверно: он состоит только из цифр.";
    case "malformed":
      if (error.field === "ACCOUNT") return "Не указан номер лицевого счёта.";
      if (error.field === "LMI_PAYMENT_AMOUNT") return "Сумма платежа указана неверно.";
      if (error.field === "LMI_PAYMENT_NO") return "Счёт на оплату не найден. Оформите платёж на сайте AllianceTelecom.";
      return "Платёж не может быть принят: ошибка в данных платежа.";
    case "forbidden":
      return "Платёж на этот кошелёк не принимается.";
    case "badSignature":
    case "unauthorized":
    case "unknownCommand":
    case "notFound":
      return "Платёж не может быть принят: запрос не прошёл проверку.";
    default:
      return assertNever(error.kind);
  }
}

function text(status: number, body: string): HttpReply {
  return { status, contentType: "text/plain; charset=utf-8", body };
}
