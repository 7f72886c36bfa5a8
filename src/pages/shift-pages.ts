import express, { type Request, type Response, type Router } from "express";
import { assertMaySeeShift, closeShift, currentShift, listShifts, zReport, type ShiftPaymentLine, type ZReport } from "../cashier/shifts.ts";
import { hasRole, mayActInOffice, type Actor } from "../staff/actor.ts";
import { actionContext } from "../staff/http-auth.ts";
import { html, money, notice, officeTime, page, postForm, type Html } from "./html.ts";
import { AMOUNT_HINT, attempt, confirmation, field, notFoundPage, parseAmount, parseId, queryParam, send, type PageDeps } from "./respond.ts";

export const PAYMENT_STATUS: Record<string, string> = { accepted: "принят, зачисляется", credited: "зачислен", failed: "ошибка зачисления", pending: "ожидает", closed: "закрыт" };

/** Where a storno form sends the cashier back: the desk, or the shift's Z-report. */
export type StornoBack = { to: "desk" } | { to: "shift"; shiftId: number };

export function stornoForm(actor: Actor, paymentId: bigint, back: StornoBack): Html {
  return postForm(
    `/cash/payments/${paymentId}/storno`,
    actor.csrfToken,
    html`<input type="hidden" name="back" value="${back.to === "shift" ? `shift:${back.shiftId}` : "desk"}">
      <input name="reason" aria-label="Причина аннулирования платежа ${paymentId}" placeholder="причина аннулирования" required minlength="3" maxlength="300">
      <button type="submit" class="danger">Аннулировать</button>`,
    "inline",
  );
}

function lineStatus(line: ShiftPaymentLine): Html {
  if (!line.storno) return html`${PAYMENT_STATUS[line.status] ?? line.status}`;
  // A transfer approved before the storno moved part of the money away: the storno took back only the rest.
  const partly = line.storno.amountKopecks !== line.amountKopecks ? html` (возвращено ${money(line.storno.amountKopecks)})` : "";
  return html`<span class="cancelled">АННУЛИРОВАН${line.storno.afterClose ? " после закрытия" : ""}${partly}</span><br>
    <span class="muted">${line.storno.reason} · ${line.storno.by} · ${officeTime(line.storno.at)}</span>`;
}

/** The payments of a shift; `mayCancel` says on which lines a storno form is offered. */
export function linesTable(lines: ShiftPaymentLine[], actor: Actor, mayCancel: boolean, back: StornoBack): Html {
  if (lines.length === 0) return html`<p class="muted">Платежей в смене пока нет.</p>`;
  const rows = lines.map(
    (line) => html`<tr data-payment="${line.paymentId}">
      <td><a href="/cash/receipts/${line.paymentId}">${line.receiptNumber}</a></td>
      <td class="when">${officeTime(line.receivedAt)}</td>
      <td>${line.accountNumber}</td>
      <td class="num">${money(line.amountKopecks)}</td>
      <td>${lineStatus(line)}</td>
      ${mayCancel ? html`<td class="no-print">${line.storno ? "" : stornoForm(actor, line.paymentId, back)}</td>` : ""}
    </tr>`,
  );
  return html`<table class="lines">
    <thead><tr><th>Квитанция</th><th>Время</th><th>Лицевой счёт</th><th class="num">Сумма</th><th>Состояние</th>${mayCancel ? html`<th class="no-print">Аннулирование</th>` : ""}</tr></thead>
    <tbody>${rows}</tbody></table>`;
}

const count = (figure: { count: number; sumKopecks: bigint }) => html`${figure.count} на сумму ${money(figure.sumKopecks)}`;

function differenceText(kopecks: bigint): Html {
  if (kopecks < 0n) return html`${money(kopecks)} <strong class="cancelled">недостача</strong>`;
  if (kopecks > 0n) return html`${money(kopecks)} <strong>излишек</strong>`;
  return html`${money(0n)} (расхождения нет)`;
}

/** The figures of a shift as one table; each row is marked (data-figure) so tests and people read the same thing. */
export function figuresTable(report: ZReport): Html {
  const row = (key: string, label: string, value: Html | string) => html`<tr data-figure="${key}"><th>${label}</th><td>${value}</td></tr>`;
  return html`<table class="figures">
    ${row("opening", "Наличные на начало смены", money(report.openingCashKopecks))}
    ${row("payments", "Принято платежей", count(report.payments))}
    ${row("storno", "Аннулировано в смене", count(report.storno))}
    ${row("expected", report.open ? "Должно быть в кассе сейчас" : "Должно быть в кассе", money(report.expectedCashKopecks))}
    ${report.countedCashKopecks !== null ? row("counted", "Пересчитано в кассе", money(report.countedCashKopecks)) : ""}
    ${report.differenceKopecks !== null ? row("difference", "Расхождение", differenceText(report.differenceKopecks)) : ""}
    ${report.closeNote ? row("note", "Примечание при закрытии", report.closeNote) : ""}
    ${report.stornoAfterClose.count > 0 ? row("storno-after-close", "Аннулировано после закрытия (итоги закрытия не меняет)", count(report.stornoAfterClose)) : ""}
  </table>`;
}

export function shiftFacts(report: ZReport): Html {
  return html`<dl class="facts">
    <dt>Офис</dt><dd>${report.office.city}, ${report.office.address}</dd>
    <dt>Касса</dt><dd>${report.desk.name} (${report.desk.code})</dd>
    <dt>Кассир</dt><dd>${report.cashier.fullName}</dd>
    <dt>Смена №</dt><dd>${report.shiftId}</dd>
    <dt>Открыта</dt><dd>${officeTime(report.openedAt)}</dd>
    <dt>Закрыта</dt><dd>${report.open ? "смена открыта" : html`${officeTime(report.closedAt)}${report.closedBy ? html` (${report.closedBy})` : ""}`}</dd>
  </dl>
  ${report.pastMidnight ? notice("error", "Смена переходила через полночь: смена — один рабочий день, закройте её и откройте новую.") : ""}`;
}

/** The shift's office id, for the supervisor's rights (the Z-report names the office by code only). */
async function shiftOfficeId({ db }: PageDeps, shiftId: number): Promise<number> {
  const shift = await db.cashShift.findUniqueOrThrow({ where: { id: shiftId }, select: { desk: { select: { officeId: true } } } });
  return shift.desk.officeId;
}

/** May the actor cancel payments of this shift? Its cashier while open; a supervisor of the office, open or closed. */
export async function mayCancelIn(deps: PageDeps, actor: Actor, report: ZReport): Promise<boolean> {
  const supervisorHere = hasRole(actor, "supervisor") && mayActInOffice(actor, await shiftOfficeId(deps, report.shiftId));
  return supervisorHere || (report.open && report.cashier.login === actor.login);
}

/** GET /cash/shifts/:id: the Z-report (while open, the running figures). `message` replaces the ?ok= confirmation. */
export async function renderShift(deps: PageDeps, req: Request, res: Response, shiftId: number, status = 200, message?: Html): Promise<void> {
  const actor = req.actor!;
  await assertMaySeeShift(deps.db, actor, shiftId);
  const report = (await zReport(deps.db, shiftId))!;
  const mayCancel = await mayCancelIn(deps, actor, report);
  const afterClose = report.lines.filter((line) => line.storno?.afterClose);
  const body = html`${message ?? confirmation(req)}
    <h1>${report.open ? "Смена открыта: текущие итоги" : "Z-отчёт"} · смена № ${report.shiftId}</h1>
    <section class="box">${shiftFacts(report)}</section>
    <section class="box">${figuresTable(report)}</section>
    <h2>Платежи смены</h2>
    ${linesTable(report.lines, actor, mayCancel, { to: "shift", shiftId })}
    ${afterClose.length > 0
      ? html`<h2>Аннулировано после закрытия смены</h2><table class="after-close"><tbody>${afterClose.map(
          (line) => html`<tr><td>квитанция ${line.receiptNumber}</td><td>${line.accountNumber}</td><td class="num">${money(line.storno!.amountKopecks)}</td><td>${line.storno!.reason} · ${line.storno!.by} · ${officeTime(line.storno!.at)}</td></tr>`,
        )}</tbody></table>`
      : ""}
    <p class="no-print">
      <button type="button" data-print>Печать</button>
      ${report.open && mayCancel ? html`<a class="button secondary" href="/cash/close?shift=${report.shiftId}">Закрыть смену</a>` : ""}
      <a class="button secondary" href="/cash/shifts">Все смены</a>
    </p>`;
  send(res, status, page({ title: `Смена № ${report.shiftId}`, actor, body }));
}

function closePage(actor: Actor, report: ZReport, values: { counted: string; note: string }, error?: string): string {
  return page({
    title: "Закрытие смены",
    actor,
    body: html`<h1>Закрытие смены № ${report.shiftId}</h1>
      ${notice("error", error)}
      <section class="box">${shiftFacts(report)}</section>
      <section class="box">${figuresTable(report)}</section>
      <section class="box">
        ${postForm(
          "/cash/close",
          actor.csrfToken,
          html`<input type="hidden" name="shiftId" value="${report.shiftId}">
            <label for="counted">Пересчитано наличных в кассе, ₽</label>
            <input id="counted" name="counted" class="amount" value="${values.counted}" inputmode="decimal" autocomplete="off" required autofocus>
            <label for="note">Примечание (например, причина расхождения)</label>
            <textarea id="note" name="note" rows="2" cols="50" maxlength="500">${values.note}</textarea>
            <div><button type="submit">Закрыть смену</button> <a class="button secondary" href="/cash">Отмена</a></div>`,
        )}
      </section>`,
  });
}

/** The cash shift pages: close, Z-report, history. */
export function shiftRoutes(deps: PageDeps): Router {
  const { db, config } = deps;
  const router = express.Router();

  router.get("/cash/close", async (req, res) => {
    const actor = req.actor!;
    const shiftId = req.query.shift === undefined ? (await currentShift(db, actor))?.id : parseId(queryParam(req, "shift"));
    if (shiftId === undefined) return req.query.shift === undefined ? res.redirect(303, "/cash") : notFoundPage(req, res);
    await assertMaySeeShift(db, actor, shiftId);
    const report = (await zReport(db, shiftId))!;
    if (!report.open) return res.redirect(303, `/cash/shifts/${shiftId}`);
    send(res, 200, closePage(actor, report, { counted: "", note: "" }));
  });

  router.post("/cash/close", async (req, res) => {
    const actor = req.actor!;
    const shiftId = parseId(field(req, "shiftId"));
    if (shiftId === undefined) return notFoundPage(req, res);
    const values = { counted: field(req, "counted").slice(0, 30), note: field(req, "note").slice(0, 500) };
    const counted = parseAmount(values.counted, true);
    const closed = counted === undefined ? undefined : await attempt(req, config, () => closeShift(db, actionContext(req), { shiftId, countedCashKopecks: counted, note: values.note }));
    if (closed?.ok) return res.redirect(303, `/cash/shifts/${shiftId}?ok=closed`);
    await assertMaySeeShift(db, actor, shiftId);
    const report = (await zReport(db, shiftId))!;
    if (!report.open) return renderShift(deps, req, res, shiftId, closed?.status ?? 409, closed ? notice("error", closed.message) : undefined);
    send(res, closed?.status ?? 400, closePage(actor, report, values, closed?.message ?? AMOUNT_HINT));
  });

  router.get("/cash/shifts/:id", async (req, res) => {
    const shiftId = parseId(req.params.id);
    if (shiftId === undefined) return notFoundPage(req, res);
    await renderShift(deps, req, res, shiftId);
  });

  router.get("/cash/shifts", async (req, res) => {
    const actor = req.actor!;
    const officeCode = queryParam(req, "office").slice(0, 40);
    const shifts = await listShifts(db, actor, { officeCode: officeCode || undefined });
    const offices = actor.role === "admin" ? await db.office.findMany({ orderBy: { code: "asc" } }) : [];
    const picker =
      actor.role === "admin"
        ? html`<form method="get" action="/cash/shifts" class="inline"><label for="office">Офис</label>
            <select id="office" name="office"><option value="">все офисы</option>${offices.map((office) => html`<option value="${office.code}" ${office.code === officeCode ? "selected" : ""}>${office.city}, ${office.address}</option>`)}</select>
            <button type="submit" class="secondary">Показать</button></form>`
        : "";
    const rows = shifts.map(
      (shift) => html`<tr>
        <td><a href="/cash/shifts/${shift.id}">${shift.id}</a></td><td>${shift.desk}</td><td>${shift.cashier}</td>
        <td class="when">${officeTime(shift.openedAt)}</td>
        <td>${shift.closedAt ? officeTime(shift.closedAt) : html`<strong>открыта</strong>`}${shift.pastMidnight ? html`<br><strong class="cancelled">через полночь</strong>` : ""}</td>
        <td class="num">${shift.expectedCashKopecks === null ? "" : money(shift.expectedCashKopecks)}</td>
        <td class="num">${shift.countedCashKopecks === null ? "" : money(shift.countedCashKopecks)}</td>
        <td class="num">${shift.differenceKopecks === null ? "" : differenceText(shift.differenceKopecks)}</td>
      </tr>`,
    );
    const body = html`<h1>Смены</h1>${picker}
      ${shifts.length === 0
        ? html`<p>Смен пока нет.</p>`
        : html`<table><thead><tr><th>№</th><th>Касса</th><th>Кассир</th><th>Открыта</th><th>Закрыта</th><th class="num">Ожидалось</th><th class="num">Пересчитано</th><th class="num">Расхождение</th></tr></thead><tbody>${rows}</tbody></table>`}`;
    send(res, 200, page({ title: "Смены", actor, body }));
  });
  return router;
}
