import type { Router } from "express";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import type { IntakeDeps } from "../payments/accept-payment.ts";
import { actionContext } from "../staff/http-auth.ts";
import { StaffActionError } from "../staff/actor.ts";
import { assignSuspenseItem, getSuspenseItem, listSuspenseItems, type SuspenseItemView } from "../suspense/suspense-items.ts";
import { defineGroup, groupRouter, IdOut, IntId, refusals, reply, RublesOut, TimeOut } from "./api-registry.ts";
import { AccountField, requiredAs } from "./request-fields.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict } = refusals;

const Account = z.object({ number: z.string(), ownerName: z.string().meta({ description: "masked: И***в И. И." }), address: z.string() });

const SuspenseItemJson = z
  .object({
    id: IdOut,
    status: z.enum(["open", "assigned"]),
    reason: z.string().meta({ description: "unknown account, account closed or account blocked", examples: ["unknown account"] }),
    createdAt: TimeOut,
    payment: z.object({
      id: IdOut,
      channel: z.string(),
      externalId: z.string(),
      account: z.string().meta({ description: "the account number exactly as the channel sent it" }),
      amount: RublesOut,
      receivedAt: TimeOut,
      status: z.string().meta({ description: "accepted: still being credited to suspense (seconds); credited: in suspense, or assigned since" }),
    }),
    assignment: z
      .object({
        account: z.string(),
        assignedBy: z.string().nullable().meta({ description: "the login; null for the automation token" }),
        assignedAt: TimeOut,
        note: z.string(),
        postingId: IdOut,
      })
      .nullable(),
    suggestions: z
      .object({
        similar: z.array(Account.extend({ rule: z.enum(["one digit changed", "adjacent digits swapped", "one digit missing", "one digit extra"]) })),
        payer: z.string().nullable().meta({ description: "the payer as the channel names them (YooMoney wallet, WebMoney purse, QIWI customer phone)" }),
        payerAccounts: z.array(Account.extend({ payments: z.number().int(), lastPaidAt: TimeOut })),
      })
      .nullable()
      .meta({ description: "open items only: active accounts one typing mistake away, and the accounts the same payer's other payments went to" }),
  })
  .meta({ description: "a payment waiting in suspense, or assigned from it" });

function itemJson(item: SuspenseItemView): z.input<typeof SuspenseItemJson> {
  const account = (a: { number: string; maskedOwnerName: string; address: string }) => ({ number: a.number, ownerName: a.maskedOwnerName, address: a.address });
  return {
    id: String(item.id),
    status: item.status,
    reason: item.reason,
    createdAt: item.createdAt.toISOString(),
    payment: {
      id: item.payment.id.toString(),
      channel: item.payment.channel,
      externalId: item.payment.externalId,
      account: item.payment.accountNumber,
      amount: formatRubles(item.payment.amountKopecks),
      receivedAt: item.payment.receivedAt.toISOString(),
      status: item.payment.status,
    },
    assignment: item.assignment
      ? {
          account: item.assignment.accountNumber,
          assignedBy: item.assignment.assignedBy,
          assignedAt: item.assignment.assignedAt.toISOString(),
          note: item.assignment.note,
          postingId: item.assignment.postingId.toString(),
        }
      : null,
    suggestions: item.suggestions
      ? {
          similar: item.suggestions.similar.map((s) => ({ ...account(s), rule: s.rule })),
          payer: item.suggestions.payer ?? null,
          payerAccounts: item.suggestions.payerAccounts.map((s) => ({ ...account(s), payments: s.payments, lastPaidAt: s.lastPaidAt.toISOString() })),
        }
      : null,
  };
}

const ItemParams = z.object({ id: IntId });

export const suspenseApi = defineGroup({
  base: "/api/suspense",
  tag: "suspense",
  routes: {
    list: {
      method: "get",
      path: "/",
      summary: "The suspense queue: payments for an unknown, closed or blocked account that a channel could not be refused",
      description: "Open items oldest first, with match suggestions; assigned ones latest first.",
      auth: "supervisor",
      query: z.object({
        status: z.enum(["open", "assigned"]).default("open"),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      responses: {
        200: { description: "the items", schema: z.object({ items: z.array(SuspenseItemJson) }) },
        400: badRequest,
        401: unauthorized,
        403: forbidden,
      },
    },
    get: {
      method: "get",
      path: "/:id",
      summary: "One suspense item, with match suggestions while it is open",
      auth: "supervisor",
      params: ItemParams,
      responses: { 200: { description: "the item", schema: SuspenseItemJson }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound },
    },
    assign: {
      method: "post",
      path: "/:id/assign",
      summary: "Assign an open item to an active account: its money moves from suspense to the subscriber",
      description:
        "One transaction: a posting suspense-assignment (suspense −sum, subscriber +sum) linked to the payment, the balance, the item and the audit entry. " +
        "409 when the item is already assigned (also the loser of two concurrent assignments), the payment is not yet credited to suspense, or the account is not active.",
      auth: "supervisor",
      params: ItemParams,
      body: z.object({
        account: AccountField,
        note: z.string({ error: requiredAs("a string") }).trim().min(3, "say why the payment belongs to this account").max(500),
      }),
      responses: {
        200: { description: "assigned", schema: SuspenseItemJson },
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        404: notFound,
        409: conflict,
      },
    },
  },
});

export function suspenseRoutes(_config: Config, db: Db, _intake: IntakeDeps): Router {
  return groupRouter(suspenseApi, {
    list: async ({ query }) => reply(200, { items: (await listSuspenseItems(db, query)).map(itemJson) }),
    get: async ({ params }) => {
      const item = await getSuspenseItem(db, params.id);
      if (!item) throw new StaffActionError("suspense_not_found", `no suspense item ${params.id}`);
      return reply(200, itemJson(item));
    },
    assign: async ({ params, body, req }) =>
      reply(200, itemJson(await assignSuspenseItem(db, actionContext(req), { itemId: params.id, accountNumber: body.account, note: body.note }))),
  });
}
