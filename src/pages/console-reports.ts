import express, { type Request, type Response, type Router } from "express";
import { sendReconciliationCsv } from "../api/reports-routes.ts";
import { previousMonth, periodProblem } from "../reports/period.ts";
import { reconciliationReport, type Figure, type Period, type ReconciliationReport } from "../reports/reconciliation.ts";
import { requireSupervisor, sendConsole } from "./console-common.ts";
import { html, money, notice, officeTime, rubles, type Html } from "./html.ts";
import { queryParam, type PageDeps } from "./respond.ts";

// Сверка (/console/reports): the month-end reconciliation of src/reports on one printable page, with its CSV.

const OPEN_STATES: Record<string, string> = { pending: "ожидает подтверждения", accepted: "ожидает зачисления", failed: "ошибка зачисления" };

const cells = (figure: Figure) => html`<td class="num">${figure.count}</td><td class="num">${money(figure.sumKopecks)}</td>`;
/** A difference: plain when zero, highlighted otherwise. */
const difference = (kopecks: bigint) => (kopecks === 0n ? money(kopecks) : html`<strong class="cancelled">${rubles(kopecks)}</strong>`);

function periodForm(period: Period): Html {
  return html`<form method="get" action="/console/reports" class="inline no-print">
    <label for="from">С</label><input id="from" name="from" type="date" value="${period.from}" required>
    <label for="to">по</label><input id="to" name="to" type="date" value="${period.to}" required>
    <button type="submit">Показать</button>
  </form>`;
}

function channelsTable(report: ReconciliationReport): Html {
  const row = (name: Html | string, line: ReconciliationReport["totals"], attributes: Html) => html`<tr ${attributes}><th>${name}</th>
    ${cells(line.received)}<td class="num">${money(line.received.commissionKopecks)}</td><td class="num">${money(line.received.payerKopecks)}</td>
    ${cells(line.credited)}${cells(line.reversed)}<td class="num"><strong>${money(line.netKopecks)}</strong></td>${cells(line.open)}</tr>`;
  return html`<table class="channels"><thead>
    <tr><th rowspan="2">Канал</th><th colspan="4">Получено</th><th colspan="2">Зачислено</th><th colspan="2">Возвраты и сторно</th><th rowspan="2" class="num">Итого</th><th colspan="2">Не завершены</th></tr>
    <tr><th class="num">шт</th><th class="num">сумма</th><th class="num">комиссия</th><th class="num">оплачено</th><th class="num">шт</th><th class="num">сумма</th><th class="num">шт</th><th class="num">сумма</th><th class="num">шт</th><th class="num">сумма</th></tr>
  </thead><tbody>${report.channels.map((line) => row(line.channel, line, html`data-channel="${line.channel}"`))}</tbody>
  <tfoot>${row("Всего", report.totals, html`data-channel="total"`)}</tfoot></table>`;
}

function openItemsTable(report: ReconciliationReport): Html {
  if (report.openItems.length === 0) return html`<p class="muted">Незавершённых платежей на конец периода нет.</p>`;
  return html`<table class="open-items"><thead><tr><th>Канал</th><th>Состояние</th><th class="num">шт</th><th class="num">сумма</th></tr></thead><tbody>${report.openItems.map(
    (item) => html`<tr data-open="${item.channel}:${item.status}"><td>${item.channel}</td><td>${OPEN_STATES[item.status]}</td>${cells(item)}</tr>`,
  )}</tbody></table>`;
}

function desksTable(report: ReconciliationReport): Html {
  if (report.desks.length === 0) return html`<p class="muted">Закрытых смен за период нет.</p>`;
  return html`<table class="desks"><thead><tr><th>Касса</th><th class="num">Смен</th><th class="num">Платежей</th><th class="num">сумма</th><th class="num">Сторно</th><th class="num">сумма</th><th class="num">Сторно после закрытия</th><th class="num">сумма</th><th class="num">Ожидалось</th><th class="num">Пересчитано</th><th class="num">Разница</th></tr></thead>
  <tbody>${report.desks.map(
    (desk) => html`<tr data-desk="${desk.desk}"><th>${desk.desk}</th><td class="num">${desk.shifts}</td>${cells(desk.payments)}${cells(desk.storno)}${cells(desk.stornoAfterClose)}
      <td class="num">${money(desk.expectedKopecks)}</td><td class="num">${money(desk.countedKopecks)}</td><td class="num">${difference(desk.differenceKopecks)}</td></tr>`,
  )}</tbody></table>`;
}

function correctionsTable(report: ReconciliationReport): Html {
  const row = (key: string, label: string, figure: Figure) => html`<tr data-figure="${key}"><th>${label}</th>${cells(figure)}</tr>`;
  return html`<table class="corrections"><thead><tr><th></th><th class="num">шт</th><th class="num">сумма</th></tr></thead><tbody>
    ${row("suspense-received", "Поступило в невыясненные", report.suspense.received)}
    ${row("suspense-assigned", "Разнесено из невыясненных", report.suspense.assigned)}
    ${row("suspense-open", "Невыясненные на конец периода", report.suspense.open)}
    ${row("transfers-approved", "Переносы одобрены", report.transfers.approved)}
    ${row("transfers-reversed", "Переносы отменены", report.transfers.reversed)}
  </tbody></table>`;
}

function ledgerTables(report: ReconciliationReport): Html {
  const { ledger } = report;
  const movements = report.movements.map(
    (line) => html`<tr data-ledger="${line.code}"><td>${line.code}</td><td class="num">${money(line.movementKopecks)}</td><td class="num">${money(line.expectedKopecks)}</td><td class="num">${difference(line.differenceKopecks)}</td></tr>`,
  );
  return html`<table class="figures ledger-checks">
      <tr data-figure="ledger-total"><th>Сумма всех записей (должна быть 0)</th><td>${difference(ledger.totalKopecks)}</td></tr>
      <tr data-figure="ledger-unbalanced"><th>Несбалансированных проводок</th><td>${ledger.unbalancedPostings > 0 ? html`<strong class="cancelled">${ledger.unbalancedPostings}</strong>` : "0"}</td></tr>
      <tr data-figure="ledger-mismatches"><th>Счетов, чей баланс не равен сумме записей</th><td>${ledger.balanceMismatches.length > 0 ? html`<strong class="cancelled">${ledger.balanceMismatches.length}</strong>` : "0"}</td></tr>
    </table>
    <h3>Движение по счетам расчётов и касс за период</h3>
    <p class="muted">Должно быть равно −(зачислено − возвраты) канала или кассы.</p>
    ${movements.length > 0 ? html`<table class="movements"><thead><tr><th>Счёт</th><th class="num">Движение</th><th class="num">Ожидалось</th><th class="num">Разница</th></tr></thead><tbody>${movements}</tbody></table>` : html`<p class="muted">Движений нет.</p>`}`;
}

function reportBody(report: ReconciliationReport): Html {
  const { period } = report;
  const csv = `/console/reports/reconciliation.csv?${new URLSearchParams({ from: period.from, to: period.to })}`;
  const found =
    report.discrepancies.length === 0
      ? html`<p class="notice ok" role="status" data-discrepancies="0">Расхождений нет.</p>`
      : html`<div class="notice error" role="alert" data-discrepancies="${report.discrepancies.length}"><p>Расхождения (${report.discrepancies.length}):</p><ul>${report.discrepancies.map((line) => html`<li>${line}</li>`)}</ul></div>`;
  return html`<p>Период: ${period.from} — ${period.to} (по Владивостоку: ${officeTime(report.start)} — ${officeTime(report.end)}). Составлен ${officeTime(new Date())}.</p>
    <p class="no-print"><a class="button secondary" href="${csv}" data-csv>Скачать CSV для Excel</a><button type="button" data-print>Печать</button></p>
    ${found}
    <h2>Платежи по каналам</h2>
    <p class="muted">Получено — по времени приёма; зачислено — по времени зачисления; возвраты провайдеров и сторно касс — по времени возврата; итого = зачислено − возвраты.</p>
    ${channelsTable(report)}
    <h2>Не завершены на конец периода</h2>${openItemsTable(report)}
    <h2>Кассы (Z-отчёты смен, закрытых за период)</h2>${desksTable(report)}
    <h2>Невыясненные и переносы</h2>${correctionsTable(report)}
    <h2>Главная книга</h2>${ledgerTables(report)}`;
}

/** GET /console/reports: the form (the previous month by default) and the report of the period. */
async function renderReport({ db }: PageDeps, req: Request, res: Response): Promise<void> {
  const fallback = previousMonth();
  const period = { from: queryParam(req, "from").slice(0, 10) || fallback.from, to: queryParam(req, "to").slice(0, 10) || fallback.to };
  const problem = periodProblem(period, "ru");
  const body = problem ? notice("error", problem) : reportBody(await reconciliationReport(db, period, rubles));
  sendConsole(res, problem ? 400 : 200, req.actor!, "reports", "Операторская: сверка", html`<h1>Сверка за период</h1><section class="box no-print">${periodForm(period)}</section>${body}`);
}

export function reportsRoutes(deps: PageDeps): Router {
  const router = express.Router();
  router.use("/console/reports", requireSupervisor);
  router.get("/console/reports", (req, res) => renderReport(deps, req, res));
  // The CSV for the page's link (the API's needs a bearer token): the same file.
  router.get("/console/reports/reconciliation.csv", async (req, res) => {
    const period = { from: queryParam(req, "from"), to: queryParam(req, "to") };
    const problem = periodProblem(period, "ru");
    if (problem) return void res.status(400).type("text/plain; charset=utf-8").send(problem);
    await sendReconciliationCsv(deps.db, period, res);
  });
  return router;
}
