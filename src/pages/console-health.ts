import express, { type Request, type Response, type Router } from "express";
import { listFailedJobs, retryFailedJob, type FailedJobView, type JobQueueName } from "../metrics/failed-jobs.ts";
import { queueHealth } from "../metrics/queue-health.ts";
import type { QueueCounts } from "../queue/job-state.ts";
import { actionContext } from "../staff/http-auth.ts";
import { age, paymentStatus, sendConsole } from "./console-common.ts";
import { html, money, notice, officeTime, postForm, type Html } from "./html.ts";
import { confirmation, notFoundPage, type PageDeps } from "./respond.ts";

const alarm = (count: number) => (count > 0 ? html`<strong class="cancelled">${count}</strong>` : html`${count}`);

function queueRow(key: string, label: string, counts: QueueCounts | null) {
  return html`<tr data-queue="${key}"><th>${label}</th>${
    counts
      ? html`<td class="num">${counts.waiting}</td><td class="num">${counts.active}</td><td class="num">${counts.delayed}</td><td class="num">${alarm(counts.failed)}</td>`
      : html`<td colspan="4" class="cancelled">Redis не отвечает</td>`
  }</tr>`;
}

const QUEUE_LABELS: Record<JobQueueName, string> = { credit: "Зачисление платежей", billing: "Уведомления биллингу" };

/** The failed jobs of one queue, each with what it names and, when it is still failed, the retry. */
function failedJobsTable(req: Request, queue: JobQueueName, jobs: FailedJobView[] | null, paymentStatuses: Map<string, string>): Html {
  if (jobs === null) return html`<p class="cancelled" data-failed-jobs="${queue}">${QUEUE_LABELS[queue]}: Redis не отвечает.</p>`;
  if (jobs.length === 0) return html`<p class="muted" data-failed-jobs="${queue}">${QUEUE_LABELS[queue]}: заданий со сбоем нет.</p>`;
  const retry = (job: FailedJobView, label: string) =>
    postForm(`/console/health/jobs/${queue}/${encodeURIComponent(job.id)}/retry`, req.actor!.csrfToken, html`<button type="submit">${label}</button>`, "inline");
  const rows = jobs.map((job) => {
    let target: Html | string = "—";
    let action: Html | string = "";
    if (job.paymentId !== null) {
      const status = paymentStatuses.get(job.paymentId);
      target = html`<a href="/console/payments/${job.paymentId}">платёж ${job.paymentId}</a><br><span class="muted">${status ? paymentStatus(status) : "нет в базе"}</span>`;
      // Only a payment still failed is retried; one credited since (the sweeper, a retry from "Сбои") needs nothing.
      action = status === "failed" ? retry(job, "Повторить зачисление") : html`<span class="muted">повторять нечего</span>`;
    } else if (job.notificationId !== null) {
      target = html`уведомление ${job.notificationId}`;
      action = retry(job, "Отправить заново");
    }
    return html`<tr data-job="${job.id}"><td>${job.id}</td><td>${target}</td><td class="cancelled">${job.reason}</td><td class="num">${job.attempts}</td><td class="when">${officeTime(job.failedAt)}</td><td>${action}</td></tr>`;
  });
  return html`<h3>${QUEUE_LABELS[queue]} (${jobs.length})</h3>
    <table class="failed-jobs" data-failed-jobs="${queue}"><thead><tr><th>Задание</th><th>Что</th><th>Причина сбоя</th><th class="num">Попыток</th><th>Сбой</th><th></th></tr></thead>
      <tbody>${rows}</tbody></table>`;
}

/** GET /console/health: the queues (BullMQ's counts and failed jobs) and the backlogs in the database, from the operations core. */
async function renderHealth({ db, services }: PageDeps, req: Request, res: Response, status = 200, message?: Html): Promise<void> {
  const [health, failedJobs] = await Promise.all([queueHealth(db, services.queues), listFailedJobs(services.queues)]);
  const paymentIds = (failedJobs.credit ?? []).flatMap((job) => (job.paymentId !== null && /^[1-9][0-9]{0,18}$/.test(job.paymentId) ? [BigInt(job.paymentId)] : []));
  const payments = paymentIds.length ? await db.inboundPayment.findMany({ where: { id: { in: paymentIds } }, select: { id: true, status: true } }) : [];
  const paymentStatuses = new Map(payments.map((payment) => [payment.id.toString(), payment.status as string]));
  const now = new Date();
  const oldest = health.oldestUnsentNotificationAgeSeconds;
  const figure = (key: string, label: string, value: unknown) => html`<tr data-figure="${key}"><th>${label}</th><td>${value}</td></tr>`;
  const body = html`${message ?? confirmation(req)}<h1>Состояние очередей</h1>
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
    <p><a href="/console/failed">Сбои и повтор</a> · <a href="/console/incidents">Инциденты приёма</a> · <a href="/console/suspense">Невыясненные платежи</a></p>
    <h2>Задания со сбоем в очередях</h2>
    <p class="muted">Задания, которые очередь бросила после всех попыток (последние 50; задания зачисления хранятся неделю). Повтор возвращает платёж в зачисление
      (он зачислится один раз) или уведомление в отправку; действие записывается в журнал. Неотправленные уведомления биллингу, чьи задания уже удалены, — на странице «Сбои».</p>
    ${failedJobsTable(req, "credit", failedJobs.credit, paymentStatuses)}
    ${failedJobsTable(req, "billing", failedJobs.billing, paymentStatuses)}`;
  sendConsole(res, status, req.actor!, "health", "Операторская: очереди", body);
}

const JOB_ID = /^[A-Za-z0-9:_-]{1,100}$/;

export function healthRoutes(deps: PageDeps): Router {
  const router = express.Router();
  router.get("/console/health", (req, res) => renderHealth(deps, req, res));
  // An operator's retry of a failed job: the payment's retry or the notification's replay (the core audits both).
  router.post("/console/health/jobs/:queue/:id/retry", async (req, res) => {
    const queue = String(req.params.queue);
    const jobId = String(req.params.id);
    if ((queue !== "credit" && queue !== "billing") || !JOB_ID.test(jobId)) return notFoundPage(req, res);
    const retried = await retryFailedJob({ db: deps.db, queues: deps.services.queues, intake: deps.intake }, actionContext(req), queue, jobId);
    if (retried.result === "not-found") return notFoundPage(req, res);
    if (retried.result === "not-failed") {
      const what = queue === "credit" ? "Платёж этого задания" : "Уведомление этого задания";
      return renderHealth(deps, req, res, 409, notice("error", `${what} уже не в сбое (его повторили или он прошёл): повторять нечего.`));
    }
    req.log.info({ queue, jobId, target: retried.target }, "operator retried a failed job from the console");
    res.redirect(303, `/console/health?ok=${queue === "credit" ? "retried" : "replayed"}`);
  });
  return router;
}
