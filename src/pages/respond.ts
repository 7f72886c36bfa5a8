import type { NextFunction, Request, Response } from "express";
import { DATABASE_UNAVAILABLE_PAGE, isDatabaseUnavailable } from "../infra/database-unavailable.ts";
import { parseRubles } from "../../lib/money.ts";
import type { Config } from "../config.ts";
import type { HubServices } from "../metrics/metrics.ts";
import type { Db } from "../db.ts";
import type { IntakeDeps } from "../payments/accept-payment.ts";
import { StaffActionError } from "../staff/actor.ts";
import { refusalStatus, type RefusalCode } from "../staff/refusal.ts";
import { html, notice, page, rubles, type Html } from "./html.ts";

export interface PageDeps {
  config: Config;
  db: Db;
  intake: IntakeDeps;
  /** The hub's queues and metrics (queue health, billing replays). */
  services: HubServices;
}

/**
 * Every refusal of the core (the codes of src/staff/refusal.ts) in the cashier's words: a code without its sentence
 * does not compile. The core's English message goes to the log, never to the page.
 */
const REFUSALS: Record<RefusalCode, string | ((config: Config) => string)> = {
  staff_only: "Кассовые действия выполняет сотрудник, вошедший под своим логином.",
  desk_not_found: "Такой кассы нет. Выберите кассу из списка.",
  other_office: "Это касса или смена другого офиса: у вас нет к ней доступа.",
  office_not_found: "Такого офиса нет.",
  bad_amount: "Сумма не может быть отрицательной.",
  shift_already_open: "Смена уже открыта: у вас есть открытая смена, или на этой кассе работает другой кассир. Сначала закройте открытую смену.",
  shift_not_found: "Такой смены нет.",
  not_your_shift: "Это не ваша смена: платежи принимает и смену закрывает её кассир (закрыть может и старший кассир офиса).",
  shift_closed: "Смена уже закрыта: откройте новую смену и начните платёж заново. Деньги по этой форме не приняты.",
  receipt_not_found: "Номер квитанции не найден в этой смене: начните платёж заново.",
  account_not_found: "Лицевой счёт не найден. Проверьте номер.",
  account_blocked: "Счёт заблокирован: платежи на него не принимаются.",
  account_closed: "Договор закрыт: платежи на этот счёт не принимаются.",
  amount_too_small: (config) => `Сумма меньше допустимой: наименьший платёж ${rubles(config.cashier.minKopecks)}.`,
  amount_too_large: (config) => `Сумма больше допустимой: наибольший платёж ${rubles(config.cashier.maxKopecks)}.`,
  receipt_used: "По этой квитанции уже принят другой платёж (другой счёт или сумма). Начните новый платёж.",
  try_again: "Платёж сейчас не записан (временная ошибка), деньги не учтены. Отправьте форму ещё раз.",
  reason_required: "Укажите причину аннулирования (хотя бы несколько слов).",
  payment_not_found: "Такого платежа в кассе нет.",
  supervisor_required: "Смена закрыта: аннулировать её платежи может только старший кассир офиса.",
  not_your_payment: "Кассир аннулирует только свои платежи.",
  already_cancelled: "Этот платёж уже аннулирован.",
  cannot_cancel: "Платёж пока нельзя аннулировать: он ещё зачисляется на счёт. Повторите через несколько секунд.",
  weak_password: "Пароль слишком короткий: нужно не меньше 10 символов.",
  office_required: "Кассиру и старшему кассиру нужно указать офис.",
  unknown_office: "Такого офиса нет.",
  login_taken: "Этот логин уже занят.",
  staff_not_found: "Такого сотрудника нет.",
  // The operator console: transfers of mis-sent payments, suspense.
  evidence_required: "Приложите квитанцию или снимок экрана плательщика (PNG, JPEG или PDF).",
  evidence_type: "Файл подтверждения должен быть изображением PNG или JPEG или документом PDF (проверяется содержимое файла, а не его имя).",
  evidence_empty: "Файл подтверждения пустой. Выберите другой файл.",
  evidence_too_large: "Файл подтверждения больше 5 МБ. Уменьшите снимок или отсканируйте с меньшим разрешением.",
  evidence_too_many: "Слишком много файлов: не больше 5 к одной заявке.",
  payment_not_credited: "Платёж не зачислен на лицевой счёт (ещё зачисляется, не прошёл или в невыясненных), переносить нечего.",
  same_account: "Платёж уже на этом счёте. Укажите другой лицевой счёт.",
  amount_exceeds_payment: "Сумма больше, чем осталось от платежа (с учётом возвратов, проведённых переносов и поданных заявок). Уменьшите сумму или отклоните лишнюю заявку.",
  account_not_active: "Этот счёт заблокирован или договор закрыт: деньги можно перенести или разнести только на действующий счёт.",
  transfer_not_found: "Такой заявки на перенос нет.",
  already_decided: "По этой заявке уже принято решение. Обновите страницу.",
  maker_cannot_decide: "Вы подали эту заявку: провести или отклонить её должен другой сотрудник.",
  insufficient_balance: "На счёте, с которого списываются деньги, недостаточно средств. Если баланс может уйти в минус, отметьте «разрешить уход в минус».",
  already_reversed: "Этот перенос уже отменён.",
  not_approved: "Отменить можно только проведённый перенос.",
  payment_ambiguous: "Под эти данные подходит несколько платежей: выберите платёж по номеру.",
  bad_lookup: "Платёж указан неверно.",
  suspense_not_found: "Такого невыясненного платежа нет.",
  already_assigned: "Этот платёж уже разнесён на счёт. Обновите страницу.",
  not_credited_yet: "Платёж ещё зачисляется на счёт невыясненных. Повторите через несколько секунд.",
  bad_account: "Лицевой счёт указан неверно: от 1 до 12 цифр.",
  note_required: "Напишите примечание: почему платёж относится к этому счёту.",
  incident_not_found: "Такого инцидента нет.",
  registry_not_found: "Такого реестра нет.",
  registry_line_not_found: "Такой строки реестра нет (или реестр отозван).",
  registry_item_not_found: "Такого расхождения нет.",
  item_already_resolved: "Это расхождение уже закрыто. Обновите страницу.",
  not_a_payment: "Это строка возврата: её не записывают платежом. Проверьте возврат с провайдером и закройте расхождение с комментарием.",
  not_missing_in_hub: "Платежом записывается только строка, которой нет в payhub.",
  not_recorded: "Платёж не записан: проверьте журнал и повторите. Расхождение осталось открытым.",
  nothing_to_resolve: "По этой строке нечего решать: она сверилась.",
  already_resolved: "Этот инцидент уже закрыт. Обновите страницу.",
  account_inactive: "Договор по этому счёту закрыт или счёт заблокирован: платёж на него не принимается.",
  evidence_not_found: "Такого файла подтверждения нет.",
  not_a_staff_token: "Это действие выполняется по токену сотрудника, выданному при входе.",
  unexpected: "Действие не выполнено из-за внутренней ошибки. Сообщите администратору время и что вы делали.",
};

/** The Russian text of a refusal; logs the core's own message with its code. */
export function refusalText(req: Request, config: Config, error: StaffActionError): string {
  req.log.warn({ path: req.path, staff: req.actor?.login, code: error.code }, `staff action refused: ${error.message}`);
  const text = REFUSALS[error.code];
  if (typeof text === "function") return text(config);
  return text;
}

/** Runs `action`; a StaffActionError comes back as its status and Russian text, anything else is thrown on. */
export async function attempt<T>(req: Request, config: Config, action: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; status: number; message: string }> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    if (!(error instanceof StaffActionError)) throw error;
    return { ok: false, status: refusalStatus(error.code), message: refusalText(req, config, error) };
  }
}

export function send(res: Response, status: number, document: string): void {
  res.status(status).type("html").send(document);
}

/** A page that only says what went wrong, with a way back. */
export function messagePage(req: Request, res: Response, status: number, title: string, message: string, back: Html = html`<a class="button secondary" href="/cash">На главную кассы</a>`): void {
  send(res, status, page({ title, actor: req.actor, body: html`<h1>${title}</h1>${notice("error", message)}<p>${back}</p>` }));
}

export const notFoundPage = (req: Request, res: Response) => messagePage(req, res, 404, "Страница не найдена", "Такой страницы или записи нет. Проверьте адрес или вернитесь на главную.");

const ACCESS_DENIED = "Нет доступа";

export const forbiddenPage = (req: Request, res: Response, message: string) => messagePage(req, res, 403, ACCESS_DENIED, message);

/**
 * The pages' error handler: a refusal of the core becomes its page, a malformed or oversized form its own message,
 * an unreachable database a 503 page that says to repeat in a minute, anything else a 500 page with the request id
 * (the details go to the log only).
 */
export function pageErrors(config: Config) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (error instanceof StaffActionError) {
      const message = refusalText(req, config, error);
      const status = refusalStatus(error.code);
      return status === 403 ? forbiddenPage(req, res, message) : messagePage(req, res, status, "Действие не выполнено", message);
    }
    const status = (error as { status?: number }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      req.log.warn({ path: req.path, err: (error as Error).message }, "page request refused");
      const message = status === 413 ? "Форма слишком большая (или приложенные файлы). Сократите текст или уменьшите файлы и отправьте снова." : "Форма пришла повреждённой. Откройте страницу заново и повторите.";
      return messagePage(req, res, status, "Запрос не принят", message);
    }
    if (isDatabaseUnavailable(error)) {
      req.log.error({ err: (error as Error).message, path: req.path }, "page failed: the database is unavailable");
      res.setHeader("Retry-After", "60");
      return messagePage(req, res, 503, DATABASE_UNAVAILABLE_PAGE.title, DATABASE_UNAVAILABLE_PAGE.message);
    }
    req.log.error({ err: error, path: req.path }, "page failed");
    messagePage(req, res, 500, "Внутренняя ошибка", `Внутренняя ошибка, номер запроса ${req.id}. Сообщите его администратору.`);
  };
}

/** A text field of a urlencoded form; a missing or repeated field reads as "". */
export function field(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" ? value : "";
}

/** A query parameter; a missing or repeated one reads as "". */
export function queryParam(req: Request, name: string): string {
  const value = req.query[name];
  return typeof value === "string" ? value : "";
}

/** A database id from a path or form: digits only, within range; anything else is undefined (a 404). */
export function parseId(text: string | undefined): number | undefined {
  return text && /^[1-9][0-9]{0,8}$/.test(text) ? Number(text) : undefined;
}

export function parseBigId(text: string | undefined): bigint | undefined {
  return text && /^[1-9][0-9]{0,17}$/.test(text) ? BigInt(text) : undefined;
}

/** Rubles as a cashier types them: "500", "500,00", "500.00", "1 500,50". Undefined when it is not an amount. */
export function parseAmount(text: string, allowZero = false): bigint | undefined {
  const plain = text.trim().replace(/(?<=\d)[\s\u00a0\u202f](?=\d)/g, "").replace(",", ".");
  const parsed = parseRubles(plain, { separators: ["."], allowZero });
  return parsed.ok ? parsed.kopecks : undefined;
}

export const AMOUNT_HINT = "Сумма указана неверно: введите рубли и копейки, например 500 или 500,00.";

/** Fixed confirmations after a redirect (?ok=…): the address never carries text of its own. */
const CONFIRMATIONS: Record<string, string> = {
  opened: "Смена открыта. Можно принимать платежи.",
  storno: "Платёж аннулирован.",
  closed: "Смена закрыта.",
  created: "Сотрудник создан.",
  unlocked: "Вход разблокирован.",
  retried: "Платёж отправлен на повторное зачисление.",
  recorded: "Платёж по строке реестра записан: он будет зачислен (или попадёт в невыясненные).",
  "registry-resolved": "Расхождение закрыто.",
  "registry-withdrawn": "Реестр отозван: его можно загрузить заново.",
  filed: "Заявка на перенос подана. Её проверит и проведёт другой сотрудник.",
  approved: "Перенос проведён: деньги на правильном счёте.",
  rejected: "Заявка отклонена: деньги не перемещались.",
  reversed: "Перенос отменён обратной проводкой.",
  assigned: "Платёж разнесён на счёт.",
  replayed: "Уведомление биллингу отправлено заново.",
  resolved: "Инцидент закрыт.",
};

export function confirmation(req: Request): Html {
  return notice("ok", CONFIRMATIONS[queryParam(req, "ok")]);
}
