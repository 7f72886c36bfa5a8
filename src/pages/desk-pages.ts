import express, { type Request, type Response, type Router } from "express";
import { ACCOUNT_NUMBER_FORMAT, maskOwnerName } from "../../adapters/contract/index.ts";
import { issueReceiptNumber, stornoCashPayment, takeCashPayment } from "../cashier/cash-payments.ts";
import { findAccounts, type FoundAccount } from "../cashier/find-accounts.ts";
import { currentShift, openShift, zReport } from "../cashier/shifts.ts";
import { CASHIER_CHANNEL } from "../ledger/ledger-accounts.ts";
import { mayActInOffice, type Actor } from "../staff/actor.ts";
import { actionContext } from "../staff/http-auth.ts";
import { ACCOUNT_STATUS_NAMES, html, money, notice, officeTime, page, postForm, type Html } from "./html.ts";
import { AMOUNT_HINT, attempt, confirmation, field, forbiddenPage, messagePage, notFoundPage, parseAmount, parseBigId, parseId, queryParam, send, type PageDeps } from "./respond.ts";
import { figuresTable, linesTable, renderShift, shiftFacts } from "./shift-pages.ts";

const SEARCH_HINT = "Искать можно по номеру лицевого счёта (например 100080), по логину или по адресу вместе с фамилией владельца договора (например «Луговая 21а Иванов»).";

function searchBox(query: string): Html {
  return html`<form method="get" action="/cash/find" class="inline" role="search">
    <label for="q">Найти лицевой счёт</label>
    <input id="q" name="q" value="${query}" maxlength="200" placeholder="номер счёта, логин или адрес и фамилия" size="40" autofocus>
    <button type="submit">Найти</button>
  </form>
  <p class="muted">${SEARCH_HINT}</p>`;
}

/** The form that opens a shift: the desks of the cashier's office (an admin's: all), busy ones shown but not offered. */
async function openShiftForm({ db }: PageDeps, actor: Actor, values: { desk: string; openingCash: string }): Promise<Html> {
  const desks = await db.cashDesk.findMany({ where: actor.role === "admin" ? {} : { officeId: actor.officeId ?? -1 }, include: { office: true }, orderBy: { code: "asc" } });
  if (desks.length === 0) return html`<h1>Смена не открыта</h1>${notice("error", "У вашего офиса нет касс, или вы не прикреплены к офису. Обратитесь к администратору.")}`;
  const open = await db.cashShift.findMany({ where: { openDeskId: { in: desks.map((desk) => desk.id) } }, include: { cashier: true } });
  const busy = new Map(open.map((shift) => [shift.deskId, shift.cashier.fullName]));
  const chosen = values.desk || desks.find((desk) => !busy.has(desk.id))?.code;
  const options = desks.map((desk) => {
    const by = busy.get(desk.id);
    return html`<option value="${desk.code}" ${desk.code === chosen && !by ? "selected" : ""} ${by ? "disabled" : ""}>${desk.name} — ${desk.office.city}, ${desk.office.address}${by ? ` (занята: ${by})` : ""}</option>`;
  });
  return html`<h1>Смена не открыта</h1>
    <section class="box">
      ${postForm(
        "/cash/shifts",
        actor.csrfToken,
        html`<label for="desk">Касса</label>
          <select id="desk" name="desk" required>${options}</select>
          <label for="openingCash">Наличные в кассе на начало смены, ₽</label>
          <input id="openingCash" name="openingCash" class="amount" value="${values.openingCash}" inputmode="decimal" autocomplete="off" required>
          <div><button type="submit">Открыть смену</button></div>`,
      )}
    </section>`;
}

/** GET /cash: the desk home. `message` replaces the ?ok= confirmation; `values` refill the open-shift form. */
async function renderDesk(deps: PageDeps, req: Request, res: Response, status = 200, message?: Html, values = { desk: "", openingCash: "0,00" }): Promise<void> {
  const actor = req.actor!;
  const shift = await currentShift(deps.db, actor);
  let body: Html;
  if (!shift) {
    body = await openShiftForm(deps, actor, values);
  } else {
    const report = (await zReport(deps.db, shift.id))!;
    body = html`<h1>Касса: ${report.desk.name}, смена № ${report.shiftId}</h1>
      <section class="box">${shiftFacts(report)}</section>
      <section class="box">${searchBox("")}</section>
      <section class="box"><h2>Итоги смены</h2>${figuresTable(report)}</section>
      <h2>Платежи смены</h2>
      ${linesTable(report.lines, actor, true, { to: "desk" })}
      <p><a class="button secondary" href="/cash/close">Закрыть смену</a> <a class="button secondary" href="/cash/shifts/${report.shiftId}">Отчёт по смене</a></p>`;
  }
  send(res, status, page({ title: "Касса", actor, body: html`${message ?? confirmation(req)}${body}` }));
}

function accountFacts(account: FoundAccount): Html {
  return html`<dl class="facts">
    <dt>Лицевой счёт</dt><dd>${account.number}</dd>
    <dt>Владелец договора</dt><dd>${account.maskedOwnerName}</dd>
    <dt>Адрес</dt><dd>${account.address || "—"}</dd>
    <dt>Состояние</dt><dd>${ACCOUNT_STATUS_NAMES[account.status]}</dd>
    <dt>Баланс</dt><dd>${money(account.balanceKopecks)}</dd>
    <dt>Абонентская плата</dt><dd>${money(account.monthlyFeeKopecks)} в месяц</dd>
  </dl>`;
}

async function accountByNumber({ db }: PageDeps, number: string): Promise<FoundAccount | undefined> {
  return ACCOUNT_NUMBER_FORMAT.test(number) ? (await findAccounts(db, number))[0] : undefined;
}

interface PayForm {
  account: FoundAccount;
  shiftId: number;
  deskName: string;
  receipt: string;
  receiptNumber: number;
}

function payPage(actor: Actor, form: PayForm, amount: string, error?: string): string {
  return page({
    title: "Приём платежа",
    actor,
    body: html`<h1>Приём платежа</h1>
      ${notice("error", error)}
      ${error ? html`<p class="no-print"><a href="/cash/pay?account=${form.account.number}">Начать этот платёж заново</a> (с новым номером квитанции)</p>` : ""}
      <section class="box">${accountFacts(form.account)}</section>
      <section class="box">
        <p>${form.deskName}, квитанция № ${form.receipt}</p>
        ${postForm(
          "/cash/payments",
          actor.csrfToken,
          html`<input type="hidden" name="shiftId" value="${form.shiftId}">
            <input type="hidden" name="receiptNumber" value="${form.receiptNumber}">
            <input type="hidden" name="account" value="${form.account.number}">
            <label for="amount">Сумма, ₽</label>
            <input id="amount" name="amount" class="amount" value="${amount}" inputmode="decimal" autocomplete="off" placeholder="0,00" required autofocus>
            <div><button type="submit">Принять платёж</button> <a class="button secondary" href="/cash">Отмена</a></div>`,
        )}
      </section>`,
  });
}

/** GET /cash/receipts/:id: the printable receipt of a cash payment; other offices' receipts are not shown. */
async function renderReceipt({ db }: PageDeps, req: Request, res: Response, paymentId: bigint): Promise<void> {
  const actor = req.actor!;
  const payment = await db.inboundPayment.findUnique({ where: { id: paymentId } });
  if (!payment || payment.channel !== CASHIER_CHANNEL) return notFoundPage(req, res);
  const number = Number(payment.externalId.slice(payment.profile.length + 1));
  const receipt = await db.cashReceipt.findFirst({ where: { desk: { code: payment.profile }, number }, include: { desk: { include: { office: true } }, cashier: true } });
  if (!receipt) return notFoundPage(req, res);
  if (!mayActInOffice(actor, receipt.desk.officeId)) return forbiddenPage(req, res, "Это квитанция другого офиса.");
  const account = await db.subscriberAccount.findUnique({ where: { number: payment.accountNumber } });
  const storno = await db.cashStorno.findUnique({ where: { paymentId }, include: { staff: true } });
  const body = html`<section class="box receipt">
      <h1>Квитанция № ${payment.externalId}</h1>
      ${storno ? html`<p><span class="stamp">АННУЛИРОВАН</span></p><p>Причина: ${storno.reason}<br>${storno.staff.fullName}, ${officeTime(storno.createdAt)}</p>` : ""}
      <p>АльянсТелеком: оплата услуг связи наличными</p>
      <dl class="facts">
        <dt>Платёж №</dt><dd>${payment.id}</dd>
        <dt>Дата и время</dt><dd>${officeTime(payment.receivedAt)}</dd>
        <dt>Лицевой счёт</dt><dd>${payment.accountNumber}</dd>
        <dt>Владелец договора</dt><dd>${account ? maskOwnerName(account.ownerName) : "—"}</dd>
        <dt>Сумма</dt><dd>${money(payment.amountKopecks)}</dd>
        <dt>Офис</dt><dd>${receipt.desk.office.city}, ${receipt.desk.office.address}</dd>
        <dt>Касса</dt><dd>${receipt.desk.name} (${receipt.desk.code})</dd>
        <dt>Кассир</dt><dd>${receipt.cashier.fullName}</dd>
      </dl>
    </section>
    <p class="no-print"><button type="button" data-print>Печать</button> <a class="button secondary" href="/cash">К кассе</a></p>`;
  send(res, 200, page({ title: `Квитанция ${payment.externalId}`, actor, body }));
}

/** The desk: home, opening a shift, account search, taking a payment, the receipt, storno. */
export function deskRoutes(deps: PageDeps): Router {
  const { db, config, intake } = deps;
  const router = express.Router();

  router.get("/cash", (req, res) => renderDesk(deps, req, res));

  router.post("/cash/shifts", async (req, res) => {
    const values = { desk: field(req, "desk").slice(0, 40), openingCash: field(req, "openingCash").slice(0, 30) };
    const openingCash = parseAmount(values.openingCash, true);
    if (openingCash === undefined) return renderDesk(deps, req, res, 400, notice("error", AMOUNT_HINT), values);
    const opened = await attempt(req, config, () => openShift(db, actionContext(req), { deskCode: values.desk, openingCashKopecks: openingCash }));
    if (opened.ok) return res.redirect(303, "/cash?ok=opened");
    await renderDesk(deps, req, res, opened.status, notice("error", opened.message), values);
  });

  router.get("/cash/find", async (req, res) => {
    const actor = req.actor!;
    const query = queryParam(req, "q").slice(0, 200);
    const found = query.trim() ? await findAccounts(db, query) : [];
    const rows = found.map(
      (account) => html`<tr data-account="${account.number}">
        <td><strong>${account.number}</strong></td><td>${account.login ?? "—"}</td><td>${account.maskedOwnerName}</td><td>${account.address}</td>
        <td>${ACCOUNT_STATUS_NAMES[account.status]}</td><td class="num">${money(account.balanceKopecks)}</td>
        <td>${account.status === "active" ? html`<a class="button" href="/cash/pay?account=${account.number}">Принять платёж</a>` : html`<span class="cancelled">платежи не принимаются</span>`}</td>
      </tr>`,
    );
    const results = !query.trim()
      ? ""
      : found.length === 0
        ? notice("error", `По запросу «${query}» ничего не найдено. ${SEARCH_HINT}`)
        : html`<table><thead><tr><th>Лицевой счёт</th><th>Логин</th><th>Владелец</th><th>Адрес</th><th>Состояние</th><th class="num">Баланс</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
    send(res, 200, page({ title: "Поиск счёта", actor, body: html`<h1>Поиск лицевого счёта</h1><section class="box">${searchBox(query)}</section>${results}` }));
  });

  router.get("/cash/pay", async (req, res) => {
    const actor = req.actor!;
    const account = await accountByNumber(deps, queryParam(req, "account"));
    if (!account) return messagePage(req, res, 404, "Счёт не найден", `Лицевой счёт не найден. ${SEARCH_HINT}`, html`<a class="button" href="/cash">К поиску</a>`);
    if (account.status !== "active") {
      return messagePage(req, res, 409, "Платёж не принимается", `Счёт ${account.number}: ${ACCOUNT_STATUS_NAMES[account.status]}, платежи на него не принимаются.`);
    }
    const shift = await currentShift(db, actor);
    if (!shift) return renderDesk(deps, req, res, 409, notice("error", "Сначала откройте смену: платежи принимаются только в открытой смене."));
    const issued = await issueReceiptNumber(db, actionContext(req), shift.id);
    const form = { account, shiftId: shift.id, deskName: shift.desk.name, receipt: `${issued.deskCode}:${issued.receiptNumber}`, receiptNumber: issued.receiptNumber };
    send(res, 200, payPage(actor, form, ""));
  });

  router.post("/cash/payments", async (req, res) => {
    const actor = req.actor!;
    const shiftId = parseId(field(req, "shiftId"));
    const receiptNumber = parseId(field(req, "receiptNumber"));
    const account = await accountByNumber(deps, field(req, "account"));
    const shift = shiftId === undefined ? null : await db.cashShift.findUnique({ where: { id: shiftId }, include: { desk: true } });
    if (!shift || receiptNumber === undefined || !account) {
      return messagePage(req, res, 400, "Платёж не принят", "Форма платежа повреждена, деньги не учтены. Найдите счёт и начните платёж заново.");
    }
    const amountText = field(req, "amount").slice(0, 30);
    const form = { account, shiftId: shift.id, deskName: shift.desk.name, receipt: `${shift.desk.code}:${receiptNumber}`, receiptNumber };
    const amount = parseAmount(amountText);
    if (amount === undefined) return send(res, 400, payPage(actor, form, amountText, AMOUNT_HINT));
    const taken = await attempt(req, config, () => takeCashPayment(intake, config.cashier, actionContext(req), { shiftId: shift.id, receiptNumber, accountNumber: account.number, amountKopecks: amount }));
    if (!taken.ok) return send(res, taken.status, payPage(actor, form, amountText, taken.message));
    // A repeated submission of the same form lands on the same receipt.
    res.redirect(303, `/cash/receipts/${taken.value.paymentId}`);
  });

  router.get("/cash/receipts/:id", async (req, res) => {
    const paymentId = parseBigId(req.params.id);
    if (paymentId === undefined) return notFoundPage(req, res);
    await renderReceipt(deps, req, res, paymentId);
  });

  router.post("/cash/payments/:id/storno", async (req, res) => {
    const paymentId = parseBigId(req.params.id);
    if (paymentId === undefined) return notFoundPage(req, res);
    const back = /^shift:([1-9][0-9]{0,8})$/.exec(field(req, "back"));
    const done = await attempt(req, config, () => stornoCashPayment(db, actionContext(req), { paymentId, reason: field(req, "reason").slice(0, 300) }));
    if (done.ok) return res.redirect(303, back ? `/cash/shifts/${done.value.shiftId}?ok=storno` : "/cash?ok=storno");
    const message = notice("error", done.message);
    return back ? renderShift(deps, req, res, Number(back[1]), done.status, message) : renderDesk(deps, req, res, done.status, message);
  });

  return router;
}
