import { officeDayBounds } from "../calendar/office-day.ts";
import express, { type Request, type Response, type Router } from "express";
import { maskOwnerName } from "../../adapters/contract/index.ts";
import { listNotifications, replayFailedNotifications, replayNotification } from "../billing/operations.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { retryPayment } from "../payments/retry-payment.ts";
import { transfersOfPayment, type TransferView } from "../transfers/transfers.ts";
import { actionContext } from "../staff/http-auth.ts";
import { paymentsTable, paymentStatus, requireSupervisor, sendConsole } from "./console-common.ts";
import { healthRoutes } from "./console-health.ts";
import { incidentRoutes, INCIDENT_KIND_NAMES } from "./console-incidents.ts";
import { registryRoutes } from "./console-registries.ts";
import { suspenseRoutes } from "./console-suspense.ts";
import { fileTransferBox, transferRoutes, transfersTable, type TransferFormValues } from "./console-transfers.ts";
import { ACCOUNT_STATUS_NAMES, html, money, notice, officeTime, postForm, type Html } from "./html.ts";
import { AMOUNT_HINT, confirmation, field, notFoundPage, parseAmount, parseBigId, queryParam, type PageDeps } from "./respond.ts";

const SEARCH_LIMIT = 100;

interface SearchValues {
  q: string;
  date: string;
  amount: string;
}


/**
 * The payments matching what an operator typed: the hub's payment number, a channel's external id (any channel), an
 * account number or a request id, each exactly; narrowed by the day (Vladivostok) and the sum when those are given.
 */
function searchFilter(values: SearchValues): { where?: Prisma.InboundPaymentWhereInput; problem?: string } {
  const q = values.q.trim();
  const day = values.date ? officeDayBounds(values.date) : undefined;
  if (values.date && !day) return { problem: "Дата указана неверно." };
  const amount = values.amount.trim() ? parseAmount(values.amount) : undefined;
  if (values.amount.trim() && amount === undefined) return { problem: AMOUNT_HINT };
  if (!q && !(day && amount !== undefined)) return {};
  const anyId: Prisma.InboundPaymentWhereInput[] = [{ externalId: q }, { accountNumber: q }, { requestId: q }];
  if (/^\d{1,18}$/.test(q)) anyId.push({ id: BigInt(q) });
  return {
    where: {
      AND: [q ? { OR: anyId } : {}, day ? { receivedAt: day } : {}, amount !== undefined ? { amountKopecks: amount } : {}],
    },
  };
}

function searchForm(values: SearchValues): Html {
  return html`<form method="get" action="/console" role="search">
    <label for="q">Номер платежа, внешний номер (любой канал), лицевой счёт или номер запроса</label>
    <input id="q" name="q" value="${values.q}" maxlength="200" size="40" autofocus>
    <div class="inline">
      <label for="date">Дата (по Владивостоку)</label><input id="date" name="date" type="date" value="${values.date}">
      <label for="amount">Сумма, ₽</label><input id="amount" name="amount" value="${values.amount}" inputmode="decimal" autocomplete="off" size="10">
    </div>
    <div><button type="submit">Найти платежи</button></div>
  </form>
  <p class="muted">Для поиска по счёту, дате и сумме укажите все три. Дата и сумма без номера ищут все платежи этого дня на эту сумму.</p>`;
}

async function renderSearch({ db }: PageDeps, req: Request, res: Response): Promise<void> {
  const values = { q: queryParam(req, "q").slice(0, 200), date: queryParam(req, "date").slice(0, 10), amount: queryParam(req, "amount").slice(0, 30) };
  const { where, problem } = searchFilter(values);
  let results: Html | string = "";
  let status = 200;
  if (problem) {
    status = 400;
    results = notice("error", problem);
  } else if (where) {
    const found = await db.inboundPayment.findMany({ where, orderBy: { id: "desc" }, take: SEARCH_LIMIT });
    results =
      found.length === 0
        ? notice("error", "Платежей не найдено. Проверьте номер; внешний номер и лицевой счёт ищутся точно, как их прислал канал.")
        : html`<p class="muted">Найдено: ${found.length}${found.length === SEARCH_LIMIT ? ` (показаны последние ${SEARCH_LIMIT})` : ""}</p>${paymentsTable(found)}`;
  }
  sendConsole(res, status, req.actor!, "search", "Операторская: поиск платежа", html`<h1>Поиск платежа</h1><section class="box">${searchForm(values)}</section>${results}`);
}

const storyInclude = {
  account: true,
  reversals: { orderBy: { id: "asc" } },
  cashStorno: { include: { staff: true } },
  suspense: { include: { account: true, assignedBy: true } },
} satisfies Prisma.InboundPaymentInclude;

type StoryPayment = Prisma.InboundPaymentGetPayload<{ include: typeof storyInclude }>;

type StoryPosting = Prisma.PostingGetPayload<{ include: { entries: { include: { ledgerAccount: true } }; billing: true } }>;

/** Every posting of a payment's story: its credit, its reversals, transfers out of it, its suspense assignment. */
async function storyPostings({ db }: PageDeps, payment: StoryPayment, transfers: TransferView[]): Promise<StoryPosting[]> {
  const ids = [
    ...payment.reversals.map((reversal) => reversal.postingId),
    ...transfers.flatMap((transfer) => [transfer.postingId, transfer.reversal?.postingId]),
    payment.suspense?.postingId,
  ].filter((id): id is bigint => typeof id === "bigint");
  return db.posting.findMany({
    where: { OR: [{ paymentId: payment.id }, { creditOfPaymentId: payment.id }, { id: { in: ids } }] },
    include: { entries: { include: { ledgerAccount: true }, orderBy: { id: "asc" } }, billing: true },
    orderBy: { id: "asc" },
  });
}

const POSTING_KINDS: Record<string, string> = {
  "payment-credit": "зачисление",
  "provider-reversal": "возврат провайдером",
  "cash-storno": "аннулирование в кассе",
  transfer: "перенос на другой счёт",
  "transfer-reversal": "отмена переноса",
  "suspense-assignment": "разнесение из невыясненных",
};

function postingsTable(postings: StoryPosting[]): Html {
  if (postings.length === 0) return html`<p class="muted">Проводок нет: платёж ещё не зачислен.</p>`;
  const rows = postings.map(
    (posting) => html`<tr data-posting="${posting.id}">
      <td>${posting.id}</td>
      <td>${POSTING_KINDS[posting.kind] ?? posting.kind}${posting.reversesPostingId ? html`<br><span class="muted">отменяет проводку ${posting.reversesPostingId}</span>` : ""}</td>
      <td class="when">${officeTime(posting.createdAt)}</td>
      <td>${posting.memo ?? ""}</td>
      <td><table>${posting.entries.map((entry) => html`<tr><td>${entry.ledgerAccount.code}</td><td class="num">${money(entry.amountKopecks)}</td></tr>`)}</table></td>
    </tr>`,
  );
  return html`<table class="postings"><thead><tr><th>Проводка</th><th>Вид</th><th>Время</th><th>Описание</th><th>Записи</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function billingState(notification: NonNullable<StoryPosting["billing"]>): Html {
  if (notification.sentAt) return html`отправлено ${officeTime(notification.sentAt)}`;
  if (notification.failedAt) return html`<span class="cancelled">сбой</span> ${officeTime(notification.failedAt)}`;
  return html`ожидает отправки`;
}

function billingTable(postings: StoryPosting[]): Html {
  const notifications = postings.flatMap((posting) => (posting.billing ? [posting.billing] : []));
  if (notifications.length === 0) return html`<p class="muted">Уведомлений биллингу нет.</p>`;
  const rows = notifications.map(
    (notification) => html`<tr data-billing="${notification.id}">
      <td>${notification.id}</td><td>${notification.postingId}</td><td>${notification.kind}</td><td>${billingState(notification)}</td>
      <td class="num">${notification.attempts}</td><td class="when">${officeTime(notification.lastAttemptAt)}</td><td>${notification.lastError ?? ""}</td>
    </tr>`,
  );
  return html`<table class="billing"><thead><tr><th>№</th><th>Проводка</th><th>Вид</th><th>Состояние</th><th class="num">Попыток</th><th>Последняя попытка</th><th>Последняя ошибка</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function reversalsBlock(payment: StoryPayment): Html {
  if (payment.reversals.length === 0 && !payment.cashStorno) return html`<p class="muted">Возвратов и аннулирований нет.</p>`;
  const rows = payment.reversals.map(
    (reversal) => html`<tr data-reversal="${reversal.id}"><td>${reversal.reason}</td><td>${reversal.reversalKey}</td><td class="num">${money(reversal.amountKopecks)}</td><td>${reversal.postingId}</td><td class="when">${officeTime(reversal.createdAt)}</td></tr>`,
  );
  const storno = payment.cashStorno;
  return html`${rows.length > 0 ? html`<table class="reversals"><thead><tr><th>Причина</th><th>Ключ</th><th class="num">Сумма</th><th>Проводка</th><th>Время</th></tr></thead><tbody>${rows}</tbody></table>` : ""}
    ${storno ? html`<p data-storno><span class="cancelled">Кассовый платёж аннулирован${storno.afterClose ? " после закрытия смены" : ""}</span>: ${storno.reason} · ${storno.staff.fullName} · ${officeTime(storno.createdAt)} (смена № ${storno.shiftId})</p>` : ""}`;
}

function suspenseBlock(payment: StoryPayment): Html {
  const item = payment.suspense;
  if (!item) return html`<p class="muted">Платёж не попадал в невыясненные.</p>`;
  return html`<dl class="facts" data-suspense="${item.id}">
    <dt>Причина</dt><dd>${item.reason}</dd>
    <dt>Состояние</dt><dd>${item.status === "open" ? "ожидает разнесения" : "разнесён"}</dd>
    <dt>Поступил</dt><dd>${officeTime(item.createdAt)}</dd>
    ${item.status === "assigned" ? html`<dt>Разнесён на счёт</dt><dd>${item.account?.number ?? "—"}</dd><dt>Кто и когда</dt><dd>${item.assignedBy?.fullName ?? "—"}, ${officeTime(item.assignedAt)}</dd><dt>Примечание</dt><dd>${item.note ?? ""}</dd>` : html`<dt></dt><dd><a href="/console/suspense#item-${item.id}">Разнести в очереди невыясненных</a></dd>`}
  </dl>`;
}

function incidentsTable(incidents: { id: bigint; kind: string; detail: string; createdAt: Date; resolvedAt: Date | null; request: unknown }[]): Html {
  if (incidents.length === 0) return html`<p class="muted">Инцидентов приёма нет.</p>`;
  return html`<table class="incidents"><thead><tr><th>№</th><th>Вид</th><th>Описание</th><th>Время</th><th>Запрос</th></tr></thead><tbody>${incidents.map(
    (incident) => html`<tr data-incident="${incident.id}"><td><a href="/console/incidents#incident-${incident.id}">${incident.id}</a></td><td>${INCIDENT_KIND_NAMES[incident.kind]?.name ?? incident.kind}</td><td>${incident.detail}${incident.resolvedAt ? html`<br><span class="muted">закрыт ${officeTime(incident.resolvedAt)}</span>` : ""}</td>
      <td class="when">${officeTime(incident.createdAt)}</td><td><pre class="raw">${JSON.stringify(incident.request, null, 2)}</pre></td></tr>`,
  )}</tbody></table>`;
}

/** GET /console/payments/:id: everything that happened to one payment, on one page. */
async function renderStory(deps: PageDeps, req: Request, res: Response, paymentId: bigint, status = 200, message?: Html, transferValues?: TransferFormValues): Promise<void> {
  const { db } = deps;
  const actor = req.actor!;
  const [payment, transfers] = await Promise.all([db.inboundPayment.findUnique({ where: { id: paymentId }, include: storyInclude }), transfersOfPayment(db, paymentId)]);
  if (!payment || !transfers) return notFoundPage(req, res);
  const [postings, incidents] = await Promise.all([
    storyPostings(deps, payment, transfers.transfers),
    db.intakeIncident.findMany({ where: { OR: [{ paymentId }, { channel: payment.channel, externalId: payment.externalId }] }, orderBy: { id: "asc" } }),
  ]);
  const credit = postings.find((posting) => posting.creditOfPaymentId === payment.id);
  const account = payment.account;
  const body = html`${message ?? confirmation(req)}
    <h1>Платёж № ${payment.id}</h1>
    <section class="box"><dl class="facts" data-facts>
      <dt>Канал</dt><dd>${payment.channel} <span class="muted">(${payment.protocol}, ${payment.profile})</span></dd>
      <dt>Внешний номер</dt><dd>${payment.externalId}</dd>
      <dt>Лицевой счёт</dt><dd>${payment.accountNumber}${account ? html` <span class="muted">(${maskOwnerName(account.ownerName)}, ${ACCOUNT_STATUS_NAMES[account.status]}, баланс ${money(account.balanceKopecks)})</span>` : html` <span class="muted">(счёт не найден)</span>`}</dd>
      <dt>Сумма</dt><dd>${money(payment.amountKopecks)}${payment.commissionKopecks > 0n ? html` (комиссия ${money(payment.commissionKopecks)})` : ""}${payment.payerAmountKopecks !== null ? html`, заплачено ${money(payment.payerAmountKopecks)}` : ""}</dd>
      <dt>Состояние</dt><dd data-status>${paymentStatus(payment.status)}${payment.failureReason ? html`: <span class="cancelled">${payment.failureReason}</span>` : ""}${payment.closeReason ? `: ${payment.closeReason}` : ""}</dd>
      <dt>Время провайдера</dt><dd>${payment.providerTime ?? "—"}</dd>
      <dt>Получен</dt><dd>${officeTime(payment.receivedAt)}</dd>
      ${payment.creditedAt ? html`<dt>Зачислен</dt><dd>${officeTime(payment.creditedAt)}</dd>` : ""}
      ${payment.failedAt ? html`<dt>Сбой зачисления</dt><dd>${officeTime(payment.failedAt)}</dd>` : ""}
      ${payment.closedAt ? html`<dt>Закрыт</dt><dd>${officeTime(payment.closedAt)}</dd>` : ""}
      <dt>Номер запроса</dt><dd data-request-id>${payment.requestId ?? "—"}</dd>
      ${payment.autopaymentId ? html`<dt>Автоплатёж</dt><dd>№ ${payment.autopaymentId}</dd>` : ""}
    </dl>
    ${payment.status === "failed" ? postForm(`/console/payments/${payment.id}/retry`, actor.csrfToken, html`<button type="submit">Повторить зачисление</button>`) : ""}
    </section>
    <h2>Запрос, как он пришёл</h2><pre class="raw" data-request>${JSON.stringify(payment.request, null, 2)}</pre>
    <h2>Ответ канала</h2>${payment.response ? html`<pre class="raw" data-response>${payment.response}</pre>` : html`<p class="muted">Ответ не сохранён.</p>`}
    <h2>Проводки</h2>${credit ? "" : html`<p class="muted">Зачисления нет.</p>`}${postingsTable(postings)}
    <h2>Возвраты и аннулирования</h2>${reversalsBlock(payment)}
    <h2>Переносы на другой счёт</h2>${transfersTable(transfers.transfers)}
    ${payment.status === "credited" && payment.accountId !== null ? fileTransferBox(actor, transfers.payment, transferValues) : ""}
    <h2>Невыясненные</h2>${suspenseBlock(payment)}
    <h2>Уведомления биллингу</h2>${billingTable(postings)}
    <h2>Инциденты приёма</h2>${incidentsTable(incidents)}`;
  sendConsole(res, status, actor, "", `Платёж № ${payment.id}`, body);
}

async function renderFailed({ db }: PageDeps, req: Request, res: Response, status = 200, message?: Html): Promise<void> {
  const actor = req.actor!;
  const [payments, notifications] = await Promise.all([
    db.inboundPayment.findMany({ where: { status: "failed" }, orderBy: { failedAt: "asc" }, take: 200 }),
    listNotifications(db, "failed", 200),
  ]);
  const retryButton = (paymentId: bigint) => postForm(`/console/payments/${paymentId}/retry`, actor.csrfToken, html`<input type="hidden" name="back" value="failed"><button type="submit">Повторить зачисление</button>`, "inline");
  const creditRows = payments.length
    ? paymentsTable(payments, { head: "Причина и повтор", cell: (payment) => html`<span class="cancelled">${payment.failureReason ?? "—"}</span><br><span class="muted">сбой ${officeTime(payment.failedAt)}</span>${retryButton(payment.id)}` })
    : html`<p class="muted">Сбоев зачисления нет.</p>`;
  const billingRows = notifications.length
    ? html`<table class="billing"><thead><tr><th>№</th><th>Платёж</th><th>Проводка</th><th>Вид</th><th class="num">Попыток</th><th>Сбой</th><th>Последняя ошибка</th><th></th></tr></thead><tbody>${notifications.map(
        (notification) => html`<tr data-billing="${notification.id}"><td>${notification.id}</td>
          <td>${notification.paymentId ? html`<a href="/console/payments/${notification.paymentId}">${notification.paymentId}</a>` : "—"}</td>
          <td>${notification.postingId}</td><td>${notification.kind}</td><td class="num">${notification.attempts}</td><td class="when">${officeTime(notification.failedAt)}</td>
          <td class="cancelled">${notification.lastError ?? ""}</td>
          <td>${postForm(`/console/billing/${notification.id}/replay`, actor.csrfToken, html`<button type="submit">Отправить заново</button>`, "inline")}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">Сбоев отправки в биллинг нет.</p>`;
  const body = html`${message ?? confirmation(req)}<h1>Сбои</h1>
    <h2>Зачисления, которые не удались (${payments.length})</h2>
    <p class="muted">Платёж принят и записан, но не зачислен после всех попыток. Устраните причину, затем повторите зачисление: платёж зачислится один раз.</p>
    ${creditRows}
    <h2>Уведомления биллингу, которые не отправились (${notifications.length})</h2>
    <p class="muted">Биллинг не принял уведомление после всех попыток. Когда биллинг снова доступен, отправьте заново.</p>
    ${billingRows}
    ${notifications.length > 1 ? postForm("/console/billing/replay-failed", actor.csrfToken, html`<button type="submit">Отправить заново все (${notifications.length})</button>`) : ""}`;
  sendConsole(res, status, actor, "failed", "Операторская: сбои", body);
}

/** The operator console: search, a payment's story, failed jobs, queue health, transfers and suspense. Supervisors and admins. */
export function consoleRoutes(deps: PageDeps): Router {
  const { db } = deps;
  const router = express.Router();
  router.use("/console", requireSupervisor);

  router.get("/console", (req, res) => renderSearch(deps, req, res));

  router.get("/console/payments/:id", async (req, res) => {
    const paymentId = parseBigId(req.params.id);
    if (paymentId === undefined) return notFoundPage(req, res);
    // A registry's account mismatch opens the transfer form prefilled (/console/registries): only the form's values.
    const prefill = { toAccount: queryParam(req, "toAccount").slice(0, 20), amount: queryParam(req, "amount").slice(0, 30), reason: queryParam(req, "reason").slice(0, 500) };
    await renderStory(deps, req, res, paymentId, 200, undefined, prefill.toAccount || prefill.amount || prefill.reason ? prefill : undefined);
  });

  router.get("/console/failed", (req, res) => renderFailed(deps, req, res));

  // An operator's retry of a failed credit, as POST /api/payments/:id/retry does (the core audits it).
  router.post("/console/payments/:id/retry", async (req, res) => {
    const paymentId = parseBigId(req.params.id);
    if (paymentId === undefined) return notFoundPage(req, res);
    const result = await retryPayment(deps.intake, actionContext(req), paymentId);
    if (result === "not-found") return notFoundPage(req, res);
    if (result === "not-failed") {
      const message = notice("error", "Этот платёж не в состоянии «ошибка зачисления»: повторять нечего (возможно, его уже повторили).");
      return field(req, "back") === "failed" ? renderFailed(deps, req, res, 409, message) : renderStory(deps, req, res, paymentId, 409, message);
    }
    req.log.info({ paymentId: paymentId.toString() }, "operator retried a failed payment from the console");
    res.redirect(303, field(req, "back") === "failed" ? "/console/failed?ok=retried" : `/console/payments/${paymentId}?ok=retried`);
  });

  // An operator's replay of failed billing notifications (the core audits it).
  const billingQueue = deps.services.queues.billing;
  router.post("/console/billing/:id/replay", async (req, res) => {
    const id = parseBigId(req.params.id);
    if (id === undefined) return notFoundPage(req, res);
    const result = await replayNotification(db, billingQueue, actionContext(req), id);
    if (result.replayed) return res.redirect(303, "/console/failed?ok=replayed");
    if (result.reason === "not-found") return notFoundPage(req, res);
    await renderFailed(deps, req, res, 409, notice("error", "Это уведомление уже не в сбое (ждёт отправки или отправлено): отправлять заново нечего."));
  });
  router.post("/console/billing/replay-failed", async (req, res) => {
    await replayFailedNotifications(db, billingQueue, actionContext(req));
    res.redirect(303, "/console/failed?ok=replayed");
  });

  router.use(healthRoutes(deps));
  router.use(transferRoutes(deps, (req, res, paymentId, status, message, values) => renderStory(deps, req, res, paymentId, status, message, values)));
  router.use(suspenseRoutes(deps));
  router.use(incidentRoutes(deps));
  router.use(registryRoutes(deps));
  return router;
}
