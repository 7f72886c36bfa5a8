import express, { type Request, type Response, type Router } from "express";
import { actionContext } from "../staff/http-auth.ts";
import type { SimilarityRule } from "../suspense/similar-numbers.ts";
import { assignSuspenseItem, listSuspenseItems, type SuspenseItemView } from "../suspense/suspense-items.ts";
import { sendConsole } from "./console-common.ts";
import { html, money, notice, officeTime, postForm, type Html } from "./html.ts";
import { attempt, confirmation, field, notFoundPage, parseId, type PageDeps } from "./respond.ts";
import { SUSPENSE_REASONS } from "../payments/accept-payment.ts";

const RULES: Record<SimilarityRule, string> = {
  "one digit changed": "одна цифра другая",
  "adjacent digits swapped": "соседние цифры переставлены",
  "one digit missing": "пропущена цифра",
  "one digit extra": "лишняя цифра",
};

const REASONS: Record<string, string> = {
  [SUSPENSE_REASONS.unknown]: "счёт не найден",
  [SUSPENSE_REASONS.closed]: "договор закрыт",
  [SUSPENSE_REASONS.blocked]: "счёт заблокирован",
  [SUSPENSE_REASONS.notIssued]: "payhub не выставлял такой счёт на оплату (счёт в платеже не подписан: только подсказка)",
  [SUSPENSE_REASONS.amountDiffers]: "сумма не совпадает с выставленной payhub",
};

/** The reason in Russian; the reasons of unmatched payments carry the reference after the words: "not issued by payhub (1234)". */
function reasonText(reason: string): string {
  const words = reason.split(" (")[0]!;
  const detail = reason.slice(words.length).trim();
  return REASONS[words] ? `${REASONS[words]}${detail ? ` ${detail}` : ""}` : reason;
}

interface AssignValues {
  itemId: number;
  account: string;
  note: string;
}

/** The match suggestions of an open item: similar numbers and the payer's other accounts, offered in the form's list. */
function suggestionsBlock(item: SuspenseItemView): Html {
  const suggestions = item.suggestions;
  if (!suggestions || (suggestions.similar.length === 0 && suggestions.payerAccounts.length === 0)) return html`<p class="muted">Подсказок нет: похожих действующих счетов не нашлось.</p>`;
  const similar = suggestions.similar.map(
    (account) => html`<tr data-suggestion="${account.number}"><td><strong>${account.number}</strong></td><td>${RULES[account.rule] ?? account.rule}</td><td>${account.maskedOwnerName}</td><td>${account.address}</td></tr>`,
  );
  const payer = suggestions.payerAccounts.map(
    (account) => html`<tr data-suggestion="${account.number}"><td><strong>${account.number}</strong></td><td>тот же плательщик${suggestions.payer ? ` (${suggestions.payer})` : ""}: ${account.payments} плат., последний ${officeTime(account.lastPaidAt)}</td><td>${account.maskedOwnerName}</td><td>${account.address}</td></tr>`,
  );
  return html`<table class="suggestions"><thead><tr><th>Счёт</th><th>Почему</th><th>Владелец</th><th>Адрес</th></tr></thead><tbody>${similar}${payer}</tbody></table>`;
}

function openItem(csrfToken: string | undefined, item: SuspenseItemView, values: AssignValues | undefined, error: Html | undefined): Html {
  const mine = values?.itemId === item.id ? values : undefined;
  const numbers = [...new Set([...(item.suggestions?.similar ?? []), ...(item.suggestions?.payerAccounts ?? [])].map((account) => account.number))];
  return html`<section class="box" id="item-${item.id}" data-item="${item.id}">
    <h2>№ ${item.id}: ${money(item.payment.amountKopecks)} на «${item.payment.accountNumber}»</h2>
    ${mine ? error : ""}
    <dl class="facts">
      <dt>Платёж</dt><dd><a href="/console/payments/${item.payment.id}">№ ${item.payment.id}</a> (${item.payment.channel} ${item.payment.externalId})</dd>
      <dt>Почему в невыясненных</dt><dd>${reasonText(item.reason)}</dd>
      <dt>Получен</dt><dd>${officeTime(item.payment.receivedAt)}</dd>
    </dl>
    <h3>Подсказки</h3>${suggestionsBlock(item)}
    ${postForm(
      `/console/suspense/${item.id}/assign`,
      csrfToken,
      html`<label for="account-${item.id}">Разнести на лицевой счёт</label>
        <input id="account-${item.id}" name="account" list="suggested-${item.id}" value="${mine?.account ?? ""}" inputmode="numeric" autocomplete="off" required>
        <datalist id="suggested-${item.id}">${numbers.map((number) => html`<option value="${number}">`)}</datalist>
        <label for="note-${item.id}">Примечание: почему этот счёт</label>
        <input id="note-${item.id}" name="note" value="${mine?.note ?? ""}" maxlength="500" size="50" required minlength="3">
        <div><button type="submit">Разнести</button></div>`,
    )}
  </section>`;
}

async function renderSuspense({ db }: PageDeps, req: Request, res: Response, status = 200, values?: AssignValues, error?: Html): Promise<void> {
  const actor = req.actor!;
  const [open, assigned] = await Promise.all([listSuspenseItems(db, { status: "open", limit: 100 }), listSuspenseItems(db, { status: "assigned", limit: 30 })]);
  const assignedRows = assigned.map(
    (item) => html`<tr data-item="${item.id}"><td>${item.id}</td><td><a href="/console/payments/${item.payment.id}">${item.payment.id}</a></td><td>${item.payment.accountNumber}</td>
      <td class="num">${money(item.payment.amountKopecks)}</td><td><strong>${item.assignment?.accountNumber}</strong></td><td>${item.assignment?.assignedBy ?? ""}, ${officeTime(item.assignment?.assignedAt)}</td><td>${item.assignment?.note}</td></tr>`,
  );
  const stray = values && !open.some((item) => item.id === values.itemId) ? error : undefined;
  const body = html`${stray ?? confirmation(req)}<h1>Невыясненные платежи</h1>
    <p class="muted">Деньги, которые канал провёл на несуществующий, закрытый или заблокированный счёт: они на счёте невыясненных, пока их не разнесут на правильный счёт.</p>
    <h2>Ждут разнесения (${open.length})</h2>
    ${open.length === 0 ? html`<p class="muted">Невыясненных платежей нет.</p>` : open.map((item) => openItem(actor.csrfToken, item, values, error))}
    <h2>Разнесённые недавно</h2>
    ${assigned.length === 0 ? html`<p class="muted">Пока нет.</p>` : html`<table class="assigned"><thead><tr><th>№</th><th>Платёж</th><th>Счёт в платеже</th><th class="num">Сумма</th><th>Разнесён на</th><th>Кто, когда</th><th>Примечание</th></tr></thead><tbody>${assignedRows}</tbody></table>`}`;
  sendConsole(res, status, actor, "suspense", "Операторская: невыясненные платежи", body);
}

/** GET /console/suspense: the open items with suggestions; POST /console/suspense/:id/assign. The logic is src/suspense. */
export function suspenseRoutes(deps: PageDeps): Router {
  const { db, config } = deps;
  const router = express.Router();
  router.get("/console/suspense", (req, res) => renderSuspense(deps, req, res));
  router.post("/console/suspense/:id/assign", async (req, res) => {
    const itemId = parseId(req.params.id);
    if (itemId === undefined) return notFoundPage(req, res);
    const values = { itemId, account: field(req, "account").trim().slice(0, 20), note: field(req, "note").slice(0, 500) };
    const assigned = await attempt(req, config, () => assignSuspenseItem(db, actionContext(req), { itemId, accountNumber: values.account, note: values.note }));
    if (!assigned.ok) return renderSuspense(deps, req, res, assigned.status, values, notice("error", assigned.message));
    res.redirect(303, `/console/suspense?ok=assigned`);
  });
  return router;
}
