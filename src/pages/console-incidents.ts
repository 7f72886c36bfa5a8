import express, { type Request, type Response, type Router } from "express";
import { INCIDENT_KINDS, listIncidents, resolveIncident, type IncidentView } from "../payments/intake-incidents.ts";
import { actionContext } from "../staff/http-auth.ts";
import { sendConsole } from "./console-common.ts";
import { html, notice, officeTime, postForm, type Html } from "./html.ts";
import { attempt, confirmation, field, notFoundPage, parseBigId, type PageDeps } from "./respond.ts";

/** What each kind of incident means, in the operator's words, and what to do about it. */
export const INCIDENT_KIND_NAMES: Record<string, { name: string; todo: string }> = {
  [INCIDENT_KINDS.conflict]: { name: "повтор с другими данными", todo: "Провайдер прислал уже принятый номер с другим счётом или суммой. Сверьте с реестром провайдера." },
  [INCIDENT_KINDS.moneyRefused]: {
    name: "платёж не принят",
    todo: "Провайдер сообщил о деньгах, которые payhub не принял (после истечения срока, для закрытого заказа, с другой суммой). Уточните у провайдера и зачислите через невыясненные или перенос.",
  },
  [INCIDENT_KINDS.outOfLimits]: { name: "сумма вне лимита", todo: "Деньги у провайдера, но сумма вне лимитов канала. Уточните и зачислите вручную или верните плательщику." },
  [INCIDENT_KINDS.reversalRefused]: { name: "возврат не проведён", todo: "Провайдер вернул деньги плательщику, а payhub не смог списать их со счёта. Разберитесь (перенос, невыясненные) и спишите." },
  [INCIDENT_KINDS.possibleSecondReversal]: {
    name: "возможно, второй возврат",
    todo: "Возврат пришёл повторно с другим временем: списан один раз. Уточните у провайдера, не было ли двух возвратов.",
  },
  [INCIDENT_KINDS.statusContradiction]: { name: "противоречивый статус", todo: "Сообщение противоречит уже известному состоянию платежа. Уточните у провайдера." },
  [INCIDENT_KINDS.toConfirm]: { name: "требует подтверждения", todo: "Деньги проведены (или нет) по неподписанному полю. Подтвердите по истории кошелька или реестру." },
};

function incidentBox(csrfToken: string | undefined, incident: IncidentView, error: Html | undefined): Html {
  const kind = INCIDENT_KIND_NAMES[incident.kind];
  return html`<section class="box" id="incident-${incident.id}" data-incident="${incident.id}">
    <h2>№ ${incident.id}: ${kind?.name ?? incident.kind}</h2>
    ${error ?? ""}
    <dl class="facts">
      <dt>Канал, внешний номер</dt><dd>${incident.channel} ${incident.externalId}</dd>
      <dt>Платёж</dt><dd>${incident.paymentId !== null ? html`<a href="/console/payments/${incident.paymentId}">№ ${incident.paymentId}</a>` : "не записан"}</dd>
      <dt>Что случилось</dt><dd>${incident.detail}</dd>
      <dt>Что делать</dt><dd>${kind?.todo ?? "Уточните у провайдера."}</dd>
      <dt>Когда</dt><dd>${officeTime(incident.createdAt)}${incident.requestId ? html` <span class="muted">(запрос ${incident.requestId})</span>` : ""}</dd>
    </dl>
    <details><summary>Запрос, как он пришёл</summary><pre class="raw">${JSON.stringify(incident.request, null, 2)}</pre></details>
    ${postForm(
      `/console/incidents/${incident.id}/resolve`,
      csrfToken,
      html`<label for="note-${incident.id}">Что сделано (закрывает инцидент, деньги не двигает)</label>
        <input id="note-${incident.id}" name="note" maxlength="1000" size="60" required minlength="3">
        <div><button type="submit">Закрыть инцидент</button></div>`,
    )}
  </section>`;
}

async function renderIncidents({ db }: PageDeps, req: Request, res: Response, status = 200, failed?: { id: bigint; error: Html }): Promise<void> {
  const actor = req.actor!;
  const [open, resolved] = await Promise.all([listIncidents(db, { status: "open", limit: 200 }), listIncidents(db, { status: "resolved", limit: 30 })]);
  const resolvedRows = resolved.map(
    (incident) => html`<tr data-incident="${incident.id}"><td>${incident.id}</td><td>${INCIDENT_KIND_NAMES[incident.kind]?.name ?? incident.kind}</td><td>${incident.channel} ${incident.externalId}</td>
      <td>${incident.detail}</td><td>${incident.resolution?.by ?? "—"}, ${officeTime(incident.resolution?.at)}</td><td>${incident.resolution?.note ?? ""}</td></tr>`,
  );
  const stray = failed && !open.some((incident) => incident.id === failed.id) ? failed.error : undefined;
  const body = html`${stray ?? confirmation(req)}<h1>Инциденты приёма</h1>
    <p class="muted">Сообщения провайдеров о деньгах, которые payhub не принял как есть, и противоречия: каждое записано с запросом, как он пришёл. Закрывая инцидент, напишите, что сделано.</p>
    <h2>Открытые (${open.length})</h2>
    ${open.length === 0 ? html`<p class="muted">Открытых инцидентов нет.</p>` : open.map((incident) => incidentBox(actor.csrfToken, incident, failed?.id === incident.id ? failed.error : undefined))}
    <h2>Закрытые недавно</h2>
    ${resolved.length === 0 ? html`<p class="muted">Пока нет.</p>` : html`<table class="incidents"><thead><tr><th>№</th><th>Вид</th><th>Канал, номер</th><th>Что случилось</th><th>Кто, когда</th><th>Что сделано</th></tr></thead><tbody>${resolvedRows}</tbody></table>`}`;
  sendConsole(res, status, actor, "incidents", "Операторская: инциденты приёма", body);
}

/** GET /console/incidents: the open intake incidents with the request as received; POST …/:id/resolve closes one with a note. */
export function incidentRoutes(deps: PageDeps): Router {
  const { db, config } = deps;
  const router = express.Router();
  router.get("/console/incidents", (req, res) => renderIncidents(deps, req, res));
  router.post("/console/incidents/:id/resolve", async (req, res) => {
    const id = parseBigId(req.params.id);
    if (id === undefined) return notFoundPage(req, res);
    const note = field(req, "note").trim().slice(0, 1000);
    if (note.length < 3) return renderIncidents(deps, req, res, 400, { id, error: notice("error", "Напишите, что сделано: хотя бы несколько слов.") });
    const resolved = await attempt(req, config, () => resolveIncident(db, actionContext(req), { id, note }));
    if (!resolved.ok) return renderIncidents(deps, req, res, resolved.status, { id, error: notice("error", resolved.message) });
    res.redirect(303, "/console/incidents?ok=resolved");
  });
  return router;
}
