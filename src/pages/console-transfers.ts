import express, { type Request, type Response, type Router } from "express";
import { ACCOUNT_NUMBER_FORMAT } from "../../adapters/contract/index.ts";
import type { Actor } from "../staff/actor.ts";
import { actionContext } from "../staff/http-auth.ts";
import { contentDisposition, EVIDENCE_MAX_BYTES, EVIDENCE_MAX_FILES } from "../transfers/evidence.ts";
import type { PaymentFigures } from "../transfers/payments.ts";
import { approveTransfer, evidenceFile, fileTransfer, getTransfer, listTransfers, rejectTransfer, reverseTransfer, type TransferView } from "../transfers/transfers.ts";
import { sendConsole } from "./console-common.ts";
import { html, money, notice, officeTime, postForm, type Html } from "./html.ts";
import { AMOUNT_HINT, attempt, confirmation, field, notFoundPage, parseAmount, parseBigId, parseId, type PageDeps } from "./respond.ts";

/** The one form with files: filing a transfer request with the payer's evidence. */
export const UPLOAD_PATH = "/console/payments/:id/transfers";
/** Every file the core accepts at its largest, and the form's text fields. */
export const UPLOAD_LIMIT_BYTES = EVIDENCE_MAX_FILES * EVIDENCE_MAX_BYTES + 64 * 1024;

const TRANSFER_STATUS: Record<string, string> = { pending: "ждёт решения", approved: "проведён", rejected: "отклонён", reversed: "отменён" };

const staffAt = (who: { fullName: string }, at: Date | null) => html`${who.fullName}, ${officeTime(at)}`;

/** Transfer requests as a list: each leads to its page. */
export function transfersTable(transfers: TransferView[], withPayment = false): Html {
  if (transfers.length === 0) return html`<p class="muted">Заявок нет.</p>`;
  const rows = transfers.map(
    (transfer) => html`<tr data-transfer="${transfer.id}">
      <td><a href="/console/transfers/${transfer.id}">№ ${transfer.id}</a></td>
      ${withPayment ? html`<td><a href="/console/payments/${transfer.payment.id}">${transfer.payment.id}</a><br><span class="muted">${transfer.payment.channel} ${transfer.payment.externalId}</span></td>` : ""}
      <td>${transfer.from} → ${transfer.to}</td>
      <td class="num">${money(transfer.amountKopecks)}</td>
      <td>${TRANSFER_STATUS[transfer.status] ?? transfer.status}</td>
      <td>${transfer.reason}</td>
      <td>подал: ${staffAt(transfer.maker, transfer.createdAt)}${transfer.checker ? html`<br>решение: ${staffAt(transfer.checker, transfer.decidedAt)}` : ""}${transfer.reversal ? html`<br>отмена: ${staffAt(transfer.reversal.by, transfer.reversal.at)}` : ""}</td>
      <td>${transfer.evidence.map((file) => html`<a href="/console/transfers/${transfer.id}/evidence/${file.id}">${file.fileName}</a><br>`)}</td>
    </tr>`,
  );
  return html`<table class="transfers"><thead><tr><th>Заявка</th>${withPayment ? html`<th>Платёж</th>` : ""}<th>Со счёта → на счёт</th><th class="num">Сумма</th><th>Состояние</th><th>Причина</th><th>Кто</th><th>Подтверждение</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export interface TransferFormValues {
  toAccount: string;
  amount: string;
  reason: string;
}

/** The form that files a transfer request for a credited payment (multipart: it carries the payer's receipt). */
export function fileTransferBox(actor: Actor, payment: PaymentFigures, values?: TransferFormValues): Html {
  const available = payment.leftKopecks - payment.pendingKopecks;
  const figures = html`<p class="muted" data-left>Сумма платежа ${money(payment.amountKopecks)}; возвращено или аннулировано ${money(payment.reversedKopecks)}; перенесено ${money(payment.transferredKopecks)}; в поданных заявках ${money(payment.pendingKopecks)}. Можно перенести ещё ${money(available > 0n ? available : 0n)}.</p>`;
  if (available <= 0n) return html`<section class="box">${figures}</section>`;
  const amount = values?.amount ?? (available / 100n).toString() + "," + (available % 100n).toString().padStart(2, "0");
  return html`<section class="box" id="transfer-form"><h2>Заявка на перенос на другой счёт</h2>${figures}
    <form method="post" action="/console/payments/${payment.id}/transfers" enctype="multipart/form-data">
      <input type="hidden" name="_csrf" value="${actor.csrfToken ?? ""}">
      <label for="toAccount">Правильный лицевой счёт</label><input id="toAccount" name="toAccount" value="${values?.toAccount ?? ""}" inputmode="numeric" autocomplete="off" required>
      <label for="transferAmount">Сумма переноса, ₽</label><input id="transferAmount" name="amount" class="amount" value="${amount}" inputmode="decimal" autocomplete="off" required>
      <label for="transferReason">Причина (что показывает квитанция плательщика)</label><textarea id="transferReason" name="reason" rows="2" cols="50" maxlength="500" required>${values?.reason ?? ""}</textarea>
      <label for="evidence">Квитанция или снимок экрана (PNG, JPEG или PDF, до ${EVIDENCE_MAX_FILES} файлов по 5 МБ)</label><input id="evidence" name="evidence" type="file" accept="image/png,image/jpeg,application/pdf" multiple required>
      <div><button type="submit">Подать заявку на перенос</button></div>
    </form></section>`;
}

/** An evidence file on the request's page: images shown, PDFs linked; both downloadable. */
function evidenceBlock(transfer: TransferView): Html {
  return html`${transfer.evidence.map((file) => {
    const href = `/console/transfers/${transfer.id}/evidence/${file.id}`;
    return html`<figure data-evidence="${file.id}">
      ${file.contentType.startsWith("image/") ? html`<a href="${href}"><img class="evidence" src="${href}" alt="${file.fileName}"></a>` : ""}
      <figcaption><a href="${href}?download=1" download>${file.fileName}</a> <span class="muted">(${file.contentType}, ${Math.ceil(file.sizeBytes / 1024)} КБ; загрузил ${staffAt(file.uploadedBy, file.createdAt)}; SHA-256 ${file.sha256})</span></figcaption>
    </figure>`;
  })}`;
}

const negativeBox = (balance: bigint, amount: bigint, number: string) =>
  balance < amount
    ? html`<p class="notice error">На счёте ${number} ${money(balance)}: после списания ${money(amount)} баланс уйдёт в минус.</p>
        <label><input type="checkbox" name="allowNegative" value="yes"> разрешить уход в минус</label>`
    : "";

/** The decision forms a request offers the actor: approve or reject while pending (never to its maker), reverse once approved. */
async function decisionForms({ db }: PageDeps, actor: Actor, transfer: TransferView): Promise<Html> {
  const path = `/console/transfers/${transfer.id}`;
  if (transfer.status === "pending") {
    if (transfer.maker.login === actor.login) return notice("ok", "Вы подали эту заявку: провести или отклонить её должен другой старший кассир или администратор.");
    const from = await db.subscriberAccount.findUniqueOrThrow({ where: { number: transfer.from } });
    return html`<section class="box"><h2>Решение</h2>
      ${postForm(`${path}/approve`, actor.csrfToken, html`${negativeBox(from.balanceKopecks, transfer.amountKopecks, transfer.from)}
        <label for="approveNote">Примечание (необязательно)</label><input id="approveNote" name="note" maxlength="500" size="50">
        <div><button type="submit">Провести перенос</button></div>`)}
      ${postForm(`${path}/reject`, actor.csrfToken, html`<label for="rejectNote">Почему отклонить</label><input id="rejectNote" name="note" maxlength="500" size="50" required minlength="3">
        <div><button type="submit" class="danger">Отклонить</button></div>`)}
    </section>`;
  }
  if (transfer.status === "approved") {
    const to = await db.subscriberAccount.findUniqueOrThrow({ where: { number: transfer.to } });
    return html`<section class="box"><h2>Отмена переноса</h2>
      ${postForm(`${path}/reverse`, actor.csrfToken, html`${negativeBox(to.balanceKopecks, transfer.amountKopecks, transfer.to)}
        <label for="reverseReason">Почему отменить</label><input id="reverseReason" name="reason" maxlength="500" size="50" required minlength="3">
        <div><button type="submit" class="danger">Отменить перенос</button></div>`)}
    </section>`;
  }
  return html``;
}

async function renderTransfer(deps: PageDeps, req: Request, res: Response, transferId: number, status = 200, message?: Html): Promise<void> {
  const actor = req.actor!;
  const transfer = await getTransfer(deps.db, transferId);
  if (!transfer) return notFoundPage(req, res);
  const body = html`${message ?? confirmation(req)}
    <h1>Заявка на перенос № ${transfer.id}</h1>
    <section class="box"><dl class="facts" data-transfer-facts>
      <dt>Состояние</dt><dd data-status>${TRANSFER_STATUS[transfer.status]}</dd>
      <dt>Платёж</dt><dd><a href="/console/payments/${transfer.payment.id}">№ ${transfer.payment.id}</a> (${transfer.payment.channel} ${transfer.payment.externalId}, ${money(transfer.payment.amountKopecks)}, ${officeTime(transfer.payment.receivedAt)})</dd>
      <dt>Со счёта</dt><dd>${transfer.from}</dd>
      <dt>На счёт</dt><dd>${transfer.to}</dd>
      <dt>Сумма</dt><dd>${money(transfer.amountKopecks)}</dd>
      <dt>Причина</dt><dd>${transfer.reason}</dd>
      <dt>Подал</dt><dd>${staffAt(transfer.maker, transfer.createdAt)}</dd>
      ${transfer.checker ? html`<dt>${transfer.status === "rejected" ? "Отклонил" : "Провёл"}</dt><dd>${staffAt(transfer.checker, transfer.decidedAt)}${transfer.allowNegative ? " (разрешён уход в минус)" : ""}</dd>` : ""}
      ${transfer.decisionNote ? html`<dt>Примечание</dt><dd>${transfer.decisionNote}</dd>` : ""}
      ${transfer.postingId ? html`<dt>Проводка</dt><dd>${transfer.postingId}</dd>` : ""}
      ${transfer.reversal ? html`<dt>Отменил</dt><dd>${staffAt(transfer.reversal.by, transfer.reversal.at)}: ${transfer.reversal.reason} (проводка ${transfer.reversal.postingId})</dd>` : ""}
    </dl></section>
    <h2>Подтверждение плательщика</h2>${evidenceBlock(transfer)}
    ${await decisionForms(deps, actor, transfer)}`;
  sendConsole(res, status, actor, "transfers", `Заявка на перенос № ${transfer.id}`, body);
}

/** The checkbox "разрешить уход в минус". */
const allowNegative = (req: Request) => field(req, "allowNegative") === "yes";

/** Words the core needs (a reason, a note): checked here so the page names the field. */
const words = (text: string) => text.trim().length >= 3;

/**
 * Mis-sent payments: filing a request from the payment's page (multipart, with the payer's evidence), the pending
 * list, a request's page with its evidence, and approve / reject / reverse. The money logic is src/transfers.
 */
export function transferRoutes(deps: PageDeps, renderStory: (req: Request, res: Response, paymentId: bigint, status: number, message: Html, values: TransferFormValues) => Promise<void>): Router {
  const { db, config } = deps;
  const router = express.Router();

  router.get("/console/transfers", async (req, res) => {
    const [pending, recent] = await Promise.all([listTransfers(db, { status: "pending" }), listTransfers(db, { limit: 30 })]);
    const decided = recent.filter((transfer) => transfer.status !== "pending");
    const body = html`${confirmation(req)}<h1>Заявки на перенос</h1>
      <p class="muted">Заявку подают со страницы платежа (найдите его в поиске). Проводит или отклоняет её другой сотрудник.</p>
      <h2>Ждут решения (${pending.length})</h2>${transfersTable(pending, true)}
      <h2>Последние решённые</h2>${transfersTable(decided, true)}`;
    sendConsole(res, 200, req.actor!, "transfers", "Операторская: заявки на перенос", body);
  });

  router.post(UPLOAD_PATH, async (req, res) => {
    const paymentId = parseBigId(req.params.id);
    if (paymentId === undefined) return notFoundPage(req, res);
    const values = { toAccount: field(req, "toAccount").trim().slice(0, 20), amount: field(req, "amount").slice(0, 30), reason: field(req, "reason").slice(0, 500) };
    const refuse = (status: number, text: string) => renderStory(req, res, paymentId, status, notice("error", text), values);
    if (!ACCOUNT_NUMBER_FORMAT.test(values.toAccount)) return refuse(400, "Укажите правильный лицевой счёт: только цифры, например 100080.");
    const amount = parseAmount(values.amount);
    if (amount === undefined) return refuse(400, AMOUNT_HINT);
    if (!words(values.reason)) return refuse(400, "Укажите причину переноса: что показывает квитанция плательщика.");
    const evidence = (req.files ?? []).filter((file) => file.field === "evidence");
    const filed = await attempt(req, config, () =>
      fileTransfer(db, actionContext(req), { payment: { kind: "id", paymentId }, toAccountNumber: values.toAccount, amountKopecks: amount, reason: values.reason, evidence }),
    );
    if (!filed.ok) return refuse(filed.status, filed.message);
    res.redirect(303, `/console/transfers/${filed.value.id}?ok=filed`);
  });

  router.get("/console/transfers/:id", async (req, res) => {
    const transferId = parseId(req.params.id);
    if (transferId === undefined) return notFoundPage(req, res);
    await renderTransfer(deps, req, res, transferId);
  });

  router.get("/console/transfers/:id/evidence/:file", async (req, res) => {
    const [transferId, fileId] = [parseId(req.params.id), parseId(req.params.file)];
    const file = transferId !== undefined && fileId !== undefined ? await evidenceFile(db, transferId, fileId) : undefined;
    if (!file) return notFoundPage(req, res);
    // Images are shown on the request's page; a PDF (and any file asked with ?download) is downloaded, never rendered here.
    const inline = file.contentType.startsWith("image/") && req.query.download === undefined;
    const disposition = contentDisposition(file.fileName);
    res.set({ "Content-Type": file.contentType, "Content-Disposition": inline ? disposition.replace(/^attachment/, "inline") : disposition, ETag: `"${file.sha256}"` });
    res.send(file.content);
  });

  const decisions = {
    approve: (req: Request, transferId: number) => approveTransfer(db, actionContext(req), { transferId, allowNegative: allowNegative(req), note: field(req, "note").slice(0, 500) }),
    reject: (req: Request, transferId: number) => rejectTransfer(db, actionContext(req), { transferId, note: field(req, "note").slice(0, 500) }),
    reverse: (req: Request, transferId: number) => reverseTransfer(db, actionContext(req), { transferId, reason: field(req, "reason").slice(0, 500), allowNegative: allowNegative(req) }),
  };
  const done = { approve: "approved", reject: "rejected", reverse: "reversed" } as const;
  for (const [action, decide] of Object.entries(decisions) as [keyof typeof decisions, (req: Request, transferId: number) => Promise<TransferView>][]) {
    router.post(`/console/transfers/:id/${action}`, async (req, res) => {
      const transferId = parseId(req.params.id);
      if (transferId === undefined) return notFoundPage(req, res);
      if (action !== "approve" && !words(field(req, action === "reject" ? "note" : "reason"))) {
        return renderTransfer(deps, req, res, transferId, 400, notice("error", action === "reject" ? "Укажите, почему заявка отклонена." : "Укажите, почему перенос отменяется."));
      }
      const decided = await attempt(req, config, () => decide(req, transferId));
      if (!decided.ok) return renderTransfer(deps, req, res, transferId, decided.status, notice("error", decided.message));
      res.redirect(303, `/console/transfers/${transferId}?ok=${done[action]}`);
    });
  }
  return router;
}
