import express, { type Request, type Response, type Router } from "express";
import { listRegistries, sendOpenItemsCsv } from "../api/registries-routes.ts";
import { importRegistry, type ImportAnswer } from "../registries/import-registry.ts";
import { importStatement, type StatementAnswer } from "../registries/import-statement.ts";
import { listOpenItems, recordFromLine, resolveWithNote, withdrawRegistry, type OpenItem } from "../registries/open-items.ts";
import { FILE_REGISTRY_CHANNELS } from "../registries/profiles.ts";
import { actionContext } from "../staff/http-auth.ts";
import { sendConsole } from "./console-common.ts";
import { html, notice, postForm, type Html } from "./html.ts";
import { attempt, confirmation, field, notFoundPage, parseBigId, type PageDeps } from "./respond.ts";

/** The registry and statement uploads: the file as multipart (parsed by multipartForm, at most REGISTRY_MAX_BYTES). */
export const REGISTRY_UPLOAD_PATH = "/console/registries/import";
export const STATEMENT_UPLOAD_PATH = "/console/registries/statement";

/** Each class in the accountant's words, and what to do about an open one. */
export const CLASS_NAMES: Record<string, { name: string; todo?: string }> = {
  matched: { name: "сверено" },
  date_shift: { name: "сверено, другим днём" },
  missing_in_hub: { name: "нет в payhub", todo: "Деньги у провайдера, а платежа в payhub нет (потерян колбэк). Запишите платёж по строке: он зачислится на счёт (или в невыясненные, если счёт неизвестен или не активен)." },
  missing_in_registry: { name: "нет в реестре", todo: "Платёж есть в payhub, провайдер его не подтверждает. Свяжитесь с провайдером (QIWI: в течение 2 часов); закроется сам, если придёт в следующем реестре." },
  amount_mismatch: { name: "сумма отличается", todo: "Суммы провайдера и payhub разные. Уточните у провайдера и закройте с комментарием, что сделано." },
  account_mismatch: { name: "счёт отличается", todo: "Провайдер называет другой лицевой счёт. Если деньги ушли не на тот счёт, подайте заявку на перенос." },
  duplicate_line: { name: "повтор строки", todo: "Строка повторяет уже сверенный платёж: второго платежа нет. Уточните у провайдера и закройте с комментарием." },
  totals_mismatch: { name: "итоги не сходятся" },
  registry_missing: { name: "реестр не пришёл" },
  settlement_mismatch: { name: "перечисление не сходится" },
};

const SETTLEMENT_NAMES: Record<string, string> = {
  pending: "ждёт выписки",
  matched: "сошлось",
  mismatch: "не сходится",
  not_found: "не найдено",
  not_applicable: "не требуется",
};

const className = (name: string) => CLASS_NAMES[name]?.name ?? name;

function itemBox(csrfToken: string | undefined, item: OpenItem, error: Html | undefined): Html {
  const todo = CLASS_NAMES[item.class]?.todo;
  const base = item.kind === "line" ? `/console/registries/lines/${item.id}` : `/console/registries/missing/${item.id}`;
  const transferLink =
    item.actions.includes("transfer") && item.paymentId
      ? html`<p><a href="/console/payments/${item.paymentId}?toAccount=${encodeURIComponent(item.account)}&amount=${encodeURIComponent(item.hubAmount ?? item.amount)}&reason=${encodeURIComponent(`Реестр ${item.channel} за ${item.day}, строка ${item.line ?? ""}: провайдер называет счёт ${item.account}`)}#transfer">Подать заявку на перенос на счёт ${item.account}</a></p>`
      : "";
  return html`<section class="box" id="item-${item.kind}-${item.id}" data-item="${item.kind}-${item.id}" data-class="${item.class}">
    <h2>${className(item.class)}: ${item.channel}, ${item.day}${item.line !== undefined ? html`, строка ${item.line}` : ""}</h2>
    ${error ?? ""}
    <dl class="facts">
      <dt>Номер у провайдера</dt><dd>${item.externalId}</dd>
      <dt>Лицевой счёт</dt><dd>${item.account}${item.hubAccount && item.hubAccount !== item.account ? html` (в payhub: ${item.hubAccount})` : ""}</dd>
      <dt>Сумма</dt><dd>${item.amount}${item.hubAmount && item.hubAmount !== item.amount ? html` (в payhub: ${item.hubAmount})` : ""}</dd>
      <dt>Платёж payhub</dt><dd>${item.paymentId ? html`<a href="/console/payments/${item.paymentId}">№ ${item.paymentId}</a>` : "нет"}</dd>
      ${todo ? html`<dt>Что делать</dt><dd>${todo}</dd>` : ""}
    </dl>
    ${item.actions.includes("record") ? postForm(`${base}/record`, csrfToken, html`<button type="submit">Записать платёж по строке</button>`) : ""}
    ${transferLink}
    ${postForm(
      `${base}/resolve`,
      csrfToken,
      html`<label for="note-${item.kind}-${item.id}">Что проверено и сделано (закрывает расхождение, деньги не двигает)</label>
        <input id="note-${item.kind}-${item.id}" name="note" maxlength="1000" size="60" required minlength="3">
        <div><button type="submit" class="secondary">Закрыть с комментарием</button></div>`,
    )}
  </section>`;
}

function resultBox(answer: ImportAnswer, fileName: string): Html {
  if (answer.status === "rejected") {
    return notice("error", `Файл ${fileName} не принят${answer.line !== undefined ? ` (строка ${answer.line})` : ""}: ${answer.message ?? answer.reason}. Ничего не записано.`);
  }
  const rows = Object.entries(answer.classes)
    .filter(([, figure]) => figure.count > 0)
    .map(([name, figure]) => html`<tr data-class="${name}"><td>${className(name)}</td><td class="num">${figure.count}</td><td class="num">${figure.amount}</td></tr>`);
  return html`<section class="box" data-import-result="${answer.id ?? ""}">
    <p class="notice ok">Реестр ${fileName} принят: ${answer.channel} за ${answer.day ?? ""}, строк ${answer.lines.length}.</p>
    <table><thead><tr><th>Результат</th><th class="num">Строк</th><th class="num">Сумма</th></tr></thead><tbody>${rows}</tbody></table>
    <p>Перечисление: ${SETTLEMENT_NAMES[answer.settlement.status] ?? answer.settlement.status}${answer.settlement.expected ? `, ожидается ${answer.settlement.expected}` : ""}.</p>
  </section>`;
}

function statementBox(answer: StatementAnswer, fileName: string): Html {
  if (answer.status === "rejected") return notice("error", `Выписка ${fileName} не прочитана${answer.line !== undefined ? ` (строка ${answer.line})` : ""}: ${answer.message}. Ничего не записано.`);
  const rows = answer.settlements.map(
    (line) => html`<tr data-settlement="${line.registryId}"><td>${line.channel}</td><td>${line.day}</td><td>${SETTLEMENT_NAMES[line.status] ?? line.status}</td><td class="num">${line.expected}</td><td class="num">${line.found ?? "—"}</td><td class="num">${line.difference ?? ""}</td><td>${line.document ? `п/п ${line.document.number} от ${line.document.date}` : ""}</td></tr>`,
  );
  return html`<section class="box" data-statement-result>
    <p class="notice ok">Выписка ${fileName} прочитана: счёт ${answer.statement.account}, ${answer.statement.from} – ${answer.statement.to}, документов ${answer.statement.documents}.</p>
    ${answer.settlements.length === 0 ? html`<p class="muted">Реестров, ждущих перечисления, нет.</p>` : html`<table><thead><tr><th>Канал</th><th>День</th><th>Перечисление</th><th class="num">Ожидалось</th><th class="num">Пришло</th><th class="num">Разница</th><th>Документ</th></tr></thead><tbody>${rows}</tbody></table>`}
  </section>`;
}

async function renderRegistries(deps: PageDeps, req: Request, res: Response, status = 200, top?: Html, failed?: { key: string; error: Html }): Promise<void> {
  const actor = req.actor!;
  const pool = deps.intake.pool;
  const [registries, items] = await Promise.all([listRegistries(pool, { limit: 60 }), listOpenItems(pool, { limit: 300 })]);
  const channelOptions = FILE_REGISTRY_CHANNELS.map((channel) => html`<option value="${channel}">${channel}</option>`);
  const registryRows = registries.map(
    (registry) => html`<tr data-registry="${registry.id}"><td>${registry.channel}</td><td>${registry.day}</td><td>${registry.fileName}</td><td class="num">${registry.lines}</td>
      <td class="num">${registry.total}</td><td class="num">${registry.commission ?? "—"}</td><td>${SETTLEMENT_NAMES[registry.settlement.status] ?? registry.settlement.status}</td>
      <td class="num">${registry.open}</td>
      <td><details><summary>Отозвать</summary>${postForm(
        `/console/registries/${registry.id}/withdraw`,
        actor.csrfToken,
        html`<label for="withdraw-${registry.id}">Почему (например, провайдер прислал исправленный файл)</label>
          <input id="withdraw-${registry.id}" name="note" maxlength="1000" required minlength="3">
          <div><button type="submit" class="secondary">Отозвать реестр</button></div>`,
      )}</details></td></tr>`,
  );
  const body = html`${top ?? confirmation(req)}<h1>Реестры провайдеров</h1>
    <p class="muted">Реестр за день сверяется с платежами payhub: каждая строка получает результат, расхождения ждут решения. Загрузка реестра деньги не двигает.</p>
    <section class="box">
      <h2>Загрузить реестр</h2>
      ${html`<form method="post" action="${REGISTRY_UPLOAD_PATH}" enctype="multipart/form-data" data-upload>
          <input type="hidden" name="_csrf" value="${actor.csrfToken ?? ""}">
          <label for="channel">Канал</label>
          <select id="channel" name="channel" required>${channelOptions}</select>
          <label for="encoding">Кодировка</label>
          <select id="encoding" name="encoding"><option value="">как у провайдера</option><option value="windows-1251">windows-1251</option><option value="utf-8">UTF-8</option></select>
          <label for="file">Файл реестра</label>
          <input id="file" name="file" type="file" required>
          <progress data-upload-progress max="100" value="0" hidden></progress>
          <div><button type="submit">Загрузить и сверить</button></div>
        </form>`}
    </section>
    <section class="box">
      <h2>Загрузить выписку банка</h2>
      <p class="muted">Выписка в формате 1С (1CClientBankExchange, как её выгружает клиент-банк): payhub найдёт в ней перечисления по реестрам.</p>
      <form method="post" action="${STATEMENT_UPLOAD_PATH}" enctype="multipart/form-data" data-upload>
        <input type="hidden" name="_csrf" value="${actor.csrfToken ?? ""}">
        <label for="statement">Файл выписки</label>
        <input id="statement" name="file" type="file" required>
        <progress data-upload-progress max="100" value="0" hidden></progress>
        <div><button type="submit">Загрузить выписку</button></div>
      </form>
    </section>
    <h2>Реестры</h2>
    ${registries.length === 0
      ? html`<p class="muted">Реестров пока нет.</p>`
      : html`<table class="registries"><thead><tr><th>Канал</th><th>День</th><th>Файл</th><th class="num">Строк</th><th class="num">Сумма</th><th class="num">Комиссия</th><th>Перечисление</th><th class="num">Открыто</th><th></th></tr></thead><tbody>${registryRows}</tbody></table>`}
    <h2>Расхождения (${items.length})</h2>
    <p><a href="/console/registries/open-items.csv">Скачать расхождения (CSV для Excel)</a></p>
    ${items.length === 0 ? html`<p class="muted">Открытых расхождений нет.</p>` : items.map((item) => itemBox(actor.csrfToken, item, failed?.key === `${item.kind}-${item.id}` ? failed.error : undefined))}`;
  sendConsole(res, status, actor, "registries", "Операторская: реестры", body);
}

/** GET /console/registries: upload, the registries and their open items with each item's action; every action audited. */
export function registryRoutes(deps: PageDeps): Router {
  const { config } = deps;
  const router = express.Router();
  router.get("/console/registries", (req, res) => renderRegistries(deps, req, res));
  router.get("/console/registries/open-items.csv", async (req, res) => {
    await sendOpenItemsCsv(deps.intake.pool, undefined, res);
  });
  router.post(REGISTRY_UPLOAD_PATH, async (req, res) => {
    const file = req.files?.find((candidate) => candidate.field === "file");
    const channel = field(req, "channel");
    const encoding = field(req, "encoding");
    if (!file) return renderRegistries(deps, req, res, 400, notice("error", "Выберите файл реестра."));
    if (!FILE_REGISTRY_CHANNELS.includes(channel)) return renderRegistries(deps, req, res, 400, notice("error", "Выберите канал из списка."));
    const answer = await importRegistry(deps.intake.pool, actionContext(req), {
      channel,
      fileName: file.fileName.slice(0, 255) || "registry",
      bytes: file.content,
      ...(encoding === "utf-8" || encoding === "windows-1251" ? { encoding } : {}),
    });
    await renderRegistries(deps, req, res, answer.status === "accepted" ? 200 : 422, resultBox(answer, file.fileName));
  });
  router.post(STATEMENT_UPLOAD_PATH, async (req, res) => {
    const file = req.files?.find((candidate) => candidate.field === "file");
    if (!file) return renderRegistries(deps, req, res, 400, notice("error", "Выберите файл выписки."));
    const answer = await importStatement(deps.intake.pool, actionContext(req), { fileName: file.fileName.slice(0, 255) || "statement", bytes: file.content });
    await renderRegistries(deps, req, res, answer.status === "accepted" ? 200 : 422, statementBox(answer, file.fileName));
  });
  router.post("/console/registries/lines/:id/record", async (req, res) => {
    const id = parseBigId(req.params.id);
    if (id === undefined) return notFoundPage(req, res);
    const recorded = await attempt(req, config, () => recordFromLine(deps.intake, actionContext(req), id));
    if (!recorded.ok) return renderRegistries(deps, req, res, recorded.status, undefined, { key: `line-${id}`, error: notice("error", recorded.message) });
    res.redirect(303, "/console/registries?ok=recorded");
  });
  router.post("/console/registries/:id/withdraw", async (req, res) => {
    const id = Number(req.params.id);
    if (!/^[1-9][0-9]{0,8}$/.test(String(req.params.id))) return notFoundPage(req, res);
    const note = field(req, "note").trim().slice(0, 1000);
    if (note.length < 3) return renderRegistries(deps, req, res, 400, notice("error", "Напишите, почему реестр отзывается."));
    const withdrawn = await attempt(req, config, () => withdrawRegistry(deps.intake.pool, actionContext(req), id, note));
    if (!withdrawn.ok) return renderRegistries(deps, req, res, withdrawn.status, notice("error", withdrawn.message));
    res.redirect(303, "/console/registries?ok=registry-withdrawn");
  });
  for (const kind of ["lines", "missing"] as const) {
    router.post(`/console/registries/${kind}/:id/resolve`, async (req, res) => {
      const id = parseBigId(req.params.id);
      if (id === undefined) return notFoundPage(req, res);
      const key = `${kind === "lines" ? "line" : "missing"}-${id}`;
      const note = field(req, "note").trim().slice(0, 1000);
      if (note.length < 3) return renderRegistries(deps, req, res, 400, undefined, { key, error: notice("error", "Напишите, что проверено и сделано: хотя бы несколько слов.") });
      const resolved = await attempt(req, config, () => resolveWithNote(deps.intake.pool, actionContext(req), { kind: kind === "lines" ? "line" : "missing", id, note }));
      if (!resolved.ok) return renderRegistries(deps, req, res, resolved.status, undefined, { key, error: notice("error", resolved.message) });
      res.redirect(303, "/console/registries?ok=registry-resolved");
    });
  }
  return router;
}
