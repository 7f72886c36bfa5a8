import type { NextFunction, Request, Response } from "express";
import type { InboundPayment } from "../generated/prisma/client.ts";
import { hasRole, type Actor } from "../staff/actor.ts";
import { html, money, officeTime, page, type Html } from "./html.ts";
import { forbiddenPage, send } from "./respond.ts";
import { PAYMENT_STATUS } from "./shift-pages.ts";

// What every page of the operator console (/console) shares: the role gate, the section links, the payments table.

const SECTIONS = [
  { key: "search", href: "/console", label: "Поиск платежа" },
  { key: "transfers", href: "/console/transfers", label: "Заявки на перенос" },
  { key: "suspense", href: "/console/suspense", label: "Невыясненные платежи" },
  { key: "incidents", href: "/console/incidents", label: "Инциденты" },
  { key: "failed", href: "/console/failed", label: "Сбои" },
  { key: "health", href: "/console/health", label: "Очереди" },
  { key: "reports", href: "/console/reports", label: "Сверка" },
  { key: "registries", href: "/console/registries", label: "Реестры" },
] as const;

export type ConsoleSection = (typeof SECTIONS)[number]["key"] | "";

/** Supervisors and admins only: a cashier gets the "Нет доступа" page. */
export function requireSupervisor(req: Request, res: Response, next: NextFunction) {
  if (req.actor && hasRole(req.actor, "supervisor")) return next();
  req.log.warn({ path: req.originalUrl, role: req.actor?.role }, "console page refused: not a supervisor");
  forbiddenPage(req, res, "Операторская доступна только старшим кассирам и администраторам.");
}

/** Sends a console page: the layout, the section links (the current one marked), then `body`. */
export function sendConsole(res: Response, status: number, actor: Actor, section: ConsoleSection, title: string, body: Html): void {
  const links = SECTIONS.map((item) => html`<a href="${item.href}" ${item.key === section ? html`aria-current="page"` : ""}>${item.label}</a>`);
  send(res, status, page({ title, actor, body: html`<nav class="console" aria-label="Разделы операторской">${links}</nav>${body}` }));
}

export const paymentStatus = (status: string) => PAYMENT_STATUS[status] ?? status;

/** "3 мин", "2 ч 5 мин", "1 д 4 ч": how long ago, for ages of queues and backlogs. */
export function age(since: Date | null | undefined, now = Date.now()): string {
  if (!since) return "—";
  const minutes = Math.max(0, Math.floor((now - since.getTime()) / 60_000));
  if (minutes < 1) return "меньше минуты";
  if (minutes < 60) return `${minutes} мин`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} ч ${minutes % 60} мин`;
  return `${Math.floor(hours / 24)} д ${hours % 24} ч`;
}

/** Payments as a list: each line leads to the payment's story. */
export function paymentsTable(payments: InboundPayment[], extra?: { head: string; cell: (payment: InboundPayment) => Html | string }): Html {
  const rows = payments.map(
    (payment) => html`<tr data-payment="${payment.id}">
      <td><a href="/console/payments/${payment.id}">${payment.id}</a></td>
      <td>${payment.channel}</td><td>${payment.externalId}</td><td>${payment.accountNumber}</td>
      <td class="num">${money(payment.amountKopecks)}</td><td>${paymentStatus(payment.status)}</td>
      <td class="when">${officeTime(payment.receivedAt)}</td>
      ${extra ? html`<td>${extra.cell(payment)}</td>` : ""}
    </tr>`,
  );
  return html`<table class="payments"><thead><tr><th>Платёж №</th><th>Канал</th><th>Внешний номер</th><th>Лицевой счёт</th><th class="num">Сумма</th><th>Состояние</th><th>Получен</th>${extra ? html`<th>${extra.head}</th>` : ""}</tr></thead>
    <tbody>${rows}</tbody></table>`;
}
