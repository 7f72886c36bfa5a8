import { createHash } from "node:crypto";
import { formatRubles } from "../../lib/money.ts";
import { OFFICE_TIME_ZONE } from "../calendar/office-day.ts";
import type { Actor } from "../staff/actor.ts";

/** Markup that is already safe: produced by `html`, never by concatenating input. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function part(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(part).join("");
  if (value === undefined || value === null || value === false) return "";
  return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/**
 * The one HTML helper of the pages: a tagged template that escapes every interpolated value (text and attribute
 * alike) unless it is itself `Html`; arrays are joined, and undefined, null and false render as nothing.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let text = strings[0]!;
  values.forEach((value, index) => {
    text += part(value) + strings[index + 1]!;
  });
  return new Html(text);
}

/** "1 500,00 ₽": rubles with a decimal comma and grouped thousands, as Russian receipts print them. */
export function rubles(kopecks: bigint): string {
  const [whole, fraction] = formatRubles(kopecks < 0n ? -kopecks : kopecks).split(".") as [string, string];
  return `${kopecks < 0n ? "−" : ""}${whole.replace(/\B(?=(\d{3})+$)/g, " ")},${fraction} ₽`;
}

/** A money cell that does not wrap. */
export const money = (kopecks: bigint) => html`<span class="money">${rubles(kopecks)}</span>`;

const TIME = new Intl.DateTimeFormat("ru-RU", {
  timeZone: OFFICE_TIME_ZONE,
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

/** "24.11.2026, 12:31" in Vladivostok time, the company's clock. */
export const officeTime = (date: Date | null | undefined) => (date ? TIME.format(date) : "—");

export const ROLE_NAMES: Record<Actor["role"], string> = { cashier: "кассир", supervisor: "старший кассир", admin: "администратор" };

export const ACCOUNT_STATUS_NAMES: Record<string, string> = { active: "действует", blocked: "заблокирован", closed: "договор закрыт" };

export type NoticeKind = "ok" | "error";

export const notice = (kind: NoticeKind, text: string | undefined): Html =>
  text ? html`<p class="notice ${kind}" role="${kind === "error" ? "alert" : "status"}">${text}</p>` : html``;

/** A POST form with the session's CSRF token; the body is the form's fields and its button. */
export const postForm = (action: string, csrfToken: string | undefined, body: Html, className = "") =>
  html`<form method="post" action="${action}" class="${className}"><input type="hidden" name="_csrf" value="${csrfToken ?? ""}">${body}</form>`;

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:18px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1f24;background:#f3f5f8}
header.top{display:flex;flex-wrap:wrap;gap:.5em 1.5em;align-items:center;padding:.6em 1.2em;background:#1f4e79;color:#fff}
header.top a{color:#fff;font-weight:600;text-decoration:none}
header.top .who{margin-left:auto}
header.top form{display:inline}
main{max-width:1100px;margin:1.2em auto;padding:0 1.2em}
h1{font-size:1.7em;margin:.2em 0 .6em}
h2{font-size:1.3em;margin:1.4em 0 .5em}
section.box{background:#fff;border:1px solid #d5dbe3;border-radius:8px;padding:1em 1.2em;margin:1em 0}
label{display:block;font-weight:600;margin:.7em 0 .25em}
input,select,textarea{font:inherit;padding:.45em .6em;border:2px solid #8a97a8;border-radius:6px;min-width:16em;max-width:100%}
input:focus,select:focus,textarea:focus{outline:3px solid #f0b429;border-color:#1f4e79}
input.amount{font-size:1.5em;width:9em;min-width:0;text-align:right}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:.5em 1.1em;margin:.6em .4em .2em 0;border-radius:6px;border:0;background:#1f6f3f;color:#fff;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#55606e}
button.danger{background:#b3261e}
button:disabled{opacity:.55;cursor:wait}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #d5dbe3;padding:.4em .5em;text-align:left;vertical-align:top}
th{background:#e8edf3}
td.num,th.num{text-align:right}
.money,td.when{white-space:nowrap}
table.figures th{width:45%}
.notice{padding:.7em 1em;border-radius:6px;font-weight:600}
.notice.ok{background:#e3f4e8;border:2px solid #1f6f3f}
.notice.error{background:#fde7e6;border:2px solid #b3261e}
.cancelled{color:#b3261e;font-weight:700}
.muted{color:#55606e}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1.2em;margin:0}
dl.facts dt{color:#55606e}
dl.facts dd{margin:0;font-weight:600}
form.inline{display:flex;flex-wrap:wrap;gap:.3em;align-items:center}
form.inline input{min-width:10em}
form.inline button{margin:0}
.receipt{max-width:34em}
.stamp{font-size:1.6em;color:#b3261e;border:3px solid #b3261e;display:inline-block;padding:.1em .5em;font-weight:800}
pre.raw{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;border:1px solid #d5dbe3;border-radius:6px;padding:.6em;font-size:.75em;max-height:28em;overflow:auto}
img.evidence{max-width:100%;max-height:36em;border:1px solid #d5dbe3}
nav.console{display:flex;flex-wrap:wrap;gap:.3em 1.2em;margin:.4em 0 1em}
nav.console a{font-weight:600}
nav.console a[aria-current]{color:#1b1f24;text-decoration:none}
@media print{header.top,.no-print,button{display:none!important}body{background:#fff}section.box{border:0}main{margin:0}}
`;

// Disables a form's buttons once it is sent (after the browser has read them), and prints on the print buttons.
const SCRIPT = `document.addEventListener("submit",function(e){var f=e.target;setTimeout(function(){f.querySelectorAll("button").forEach(function(b){b.disabled=true})},0)});
document.querySelectorAll("[data-print]").forEach(function(b){b.addEventListener("click",function(){window.print()})});
document.querySelectorAll("form[data-upload]").forEach(function(f){f.addEventListener("submit",function(e){var p=f.querySelector("progress");if(!window.FormData||!p)return;e.preventDefault();var x=new XMLHttpRequest();x.open("POST",f.action);p.hidden=false;x.upload.onprogress=function(ev){if(ev.lengthComputable)p.value=Math.round(ev.loaded*100/ev.total)};x.onload=function(){document.open();document.write(x.responseText);document.close()};x.onerror=function(){p.hidden=true;f.querySelectorAll("button").forEach(function(b){b.disabled=false});alert("Файл не отправлен: нет связи с сервером. Повторите.")};x.send(new FormData(f))})});`;

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/** Only this page's own style and script run; no framing, forms post back here only. */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src ${sha256(STYLE)}; script-src ${sha256(SCRIPT)}; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

export interface PageOptions {
  title: string;
  actor?: Actor | undefined;
  body: Html;
}

/** The whole document: the top bar (who is signed in, the sections they may use) and the page's body. */
export function page({ title, actor, body }: PageOptions): string {
  const nav = actor
    ? html`<header class="top">
        <a href="/cash">Касса</a>
        <a href="/cash/shifts">Смены</a>
        ${actor.role !== "cashier" ? html`<a href="/console">Операторская</a>` : ""}
        ${actor.role === "admin" ? html`<a href="/admin">Администрирование</a>` : ""}
        <span class="who">${actor.fullName} (${ROLE_NAMES[actor.role]})</span>
        ${postForm("/staff/sign-out", actor.csrfToken, html`<button type="submit" class="secondary">Выйти</button>`)}
      </header>`
    : html`<header class="top"><span>АльянсТелеком · касса</span></header>`;
  return html`<!doctype html>
<html lang="ru">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · payhub</title><style>${new Html(STYLE)}</style></head>
<body>${nav}<main>${body}</main><script>${new Html(SCRIPT)}</script></body>
</html>`.text;
}
