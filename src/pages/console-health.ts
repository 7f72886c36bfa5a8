import express, { type Request, type Response, type Router } from "express";
import { queueHealth } from "../metrics/queue-health.ts";
import type { QueueCounts } from "../queue/job-state.ts";
import { age, sendConsole } from "./console-common.ts";
import { html, money, notice, officeTime } from "./html.ts";
import type { PageDeps } from "./respond.ts";

const alarm = (count: number) => (count > 0 ? html`<strong class="cancelled">${count}</strong>` : html`${count}`);

function queueRow(key: string, label: string, counts: QueueCounts | null) {
  return html`<tr data-queue="${key}"><th>${label}</th>${
    counts
      ? html`<td class="num">${counts.waiting}</td><td class="num">${counts.active}</td><td class="num">${counts.delayed}</td><td class="num">${alarm(counts.failed)}</td>`
      : html`<td colspan="4" class="cancelled">Redis не отвечает</td>`
  }</tr>`;
}

/** GET /console/health: the queues (BullMQ's counts) and the backlogs in the database, from the operations core. */
async function renderHealth({ db, services }: PageDeps, req: Request, res: Response): Promise<void> {
  const health = await queueHealth(db, services.queues);
  const now = new Date();
  const oldest = health.oldestUnsentNotificationAgeSeconds;
  const figure = (key: string, label: string, value: unknown) => html`<tr data-figure="${key}"><th>${label}</th><td>${value}</td></tr>`;
  const body = html`<h1>Состояние очередей</h1>
    <p class="muted">На ${officeTime(now)}.</p>
    ${services.billingEnabled ? "" : notice("error", "Отправка уведомлений в биллинг не настроена (BILLING_WEBHOOK_URL): уведомления копятся и ждут.")}
    <table class="queues"><thead><tr><th>Очередь</th><th class="num">Ждут</th><th class="num">В работе</th><th class="num">Отложены</th><th class="num">Сбой</th></tr></thead>
      <tbody>${queueRow("credit", "Зачисление платежей", health.queues.credit)}${queueRow("billing", "Уведомления биллингу", health.queues.billing)}</tbody></table>
    <h2>Что ждёт и что не удалось</h2>
    <table class="figures">
      ${figure("outbox", "Принятые платежи в outbox, ещё не зачисленные", health.outboxBacklog)}
      ${figure("billing-unsent", "Уведомления биллингу, ещё не отправленные", health.unsentNotifications)}
      ${figure("billing-oldest", "Самое старое неотправленное ждёт", oldest === null ? "—" : age(new Date(now.getTime() - oldest * 1000), now.getTime()))}
      ${figure("billing-failed", "Уведомления биллингу со сбоем", alarm(health.failedNotifications))}
      ${figure("credit-failed", "Зачисления со сбоем", alarm(health.failedPayments))}
      ${figure("incidents", "Открытые инциденты приёма", alarm(Object.values(health.openIncidents).reduce((sum, count) => sum + count, 0)))}
      ${figure("suspense", "Невыясненные платежи (suspense)", health.openSuspense.items > 0 ? html`${health.openSuspense.items} на ${money(health.openSuspense.kopecks)}` : "0")}
    </table>
    <p><a href="/console/failed">Сбои и повтор</a> · <a href="/console/incidents">Инциденты приёма</a> · <a href="/console/suspense">Невыясненные платежи</a></p>`;
  sendConsole(res, 200, req.actor!, "health", "Операторская: очереди", body);
}

export function healthRoutes(deps: PageDeps): Router {
  const router = express.Router();
  router.get("/console/health", (req, res) => renderHealth(deps, req, res));
  return router;
}
