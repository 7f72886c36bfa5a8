import type { Router } from "express";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import { findAccounts } from "../cashier/find-accounts.ts";
import { cashExternalId, issueReceiptNumber, stornoCashPayment, takeCashPayment } from "../cashier/cash-payments.ts";
import { assertMaySeeShift, closeShift, currentShift, listShifts, openShift, zReport, type ZReport } from "../cashier/shifts.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import type { IntakeDeps } from "../payments/accept-payment.ts";
import { actionContext } from "../staff/http-auth.ts";
import { BigId, defineGroup, groupRouter, IdOut, IntId, refusals, reply, RublesOut, TimeOut } from "./api-registry.ts";
import { AccountField, rublesField } from "./request-fields.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict } = refusals;

const PaymentRubles = rublesField().meta({ description: 'rubles as a string, up to two kopeck digits: "500.00", "500"', examples: ["500.00"] });
const CashRubles = rublesField({ allowZero: true }).meta({ description: 'rubles in the drawer as a string, zero allowed: "0", "5000.00"', examples: ["5000.00"] });
const ShiftIdParams = z.object({ id: IntId });

const Figure = z.object({ count: z.number().int(), sum: RublesOut });
const Staff = z.object({ login: z.string(), fullName: z.string() });

const ZReportJson = z
  .object({
    id: IdOut,
    desk: z.object({ code: z.string(), name: z.string() }),
    office: z.object({ code: z.string(), city: z.string(), address: z.string() }),
    cashier: Staff,
    openedAt: TimeOut,
    closedAt: TimeOut.nullable(),
    closedBy: z.string().nullable().meta({ description: "the full name of who closed it" }),
    open: z.boolean(),
    pastMidnight: z.boolean().meta({ description: "open over a midnight in Vladivostok: a shift is one working day" }),
    openingCash: RublesOut,
    payments: Figure,
    storno: Figure.meta({ description: "storno made while the shift was open: it left this drawer" }),
    stornoAfterClose: Figure.meta({ description: "storno a supervisor made after the close, listed apart; the close figures stay" }),
    expectedCash: RublesOut.meta({ description: "opening cash + payments − storno: now while open, as recorded at the close once closed" }),
    countedCash: RublesOut.nullable(),
    difference: RublesOut.nullable().meta({ description: "counted − expected: negative is a shortage" }),
    closeNote: z.string().nullable(),
    lines: z.array(
      z.object({
        paymentId: IdOut,
        receiptNumber: z.number().int(),
        account: z.string(),
        amount: RublesOut,
        status: z.string(),
        receivedAt: TimeOut,
        storno: z
          .object({
            reason: z.string(),
            afterClose: z.boolean(),
            at: TimeOut,
            by: z.string(),
            amount: RublesOut.meta({ description: "what the storno took back: the sum less what an approved transfer moved away" }),
          })
          .nullable(),
      }),
    ),
  })
  .meta({ description: "a shift with every figure of its Z-report" });

const ShiftSummaryJson = z.object({
  id: IdOut,
  desk: z.string(),
  office: z.string(),
  cashier: z.string().meta({ description: "full name" }),
  openedAt: TimeOut,
  closedAt: TimeOut.nullable(),
  pastMidnight: z.boolean(),
  expectedCash: RublesOut.nullable(),
  countedCash: RublesOut.nullable(),
  difference: RublesOut.nullable(),
});

const PaymentJson = z.object({
  id: IdOut,
  receipt: z.string().meta({ description: "desk:receipt number, the payment's external id", examples: ["vl-lugovaya-1:7"] }),
  receiptNumber: z.number().int(),
  shiftId: IdOut,
  account: z.string(),
  amount: RublesOut,
  status: z.string().meta({ description: "accepted (credit queued) or credited" }),
});

const rubles = (kopecks: bigint | null) => (kopecks === null ? null : formatRubles(kopecks));

function zReportJson(report: ZReport): z.input<typeof ZReportJson> {
  const figure = (value: { count: number; sumKopecks: bigint }) => ({ count: value.count, sum: formatRubles(value.sumKopecks) });
  return {
    id: String(report.shiftId),
    desk: report.desk,
    office: report.office,
    cashier: report.cashier,
    openedAt: report.openedAt.toISOString(),
    closedAt: report.closedAt?.toISOString() ?? null,
    closedBy: report.closedBy,
    open: report.open,
    pastMidnight: report.pastMidnight,
    openingCash: formatRubles(report.openingCashKopecks),
    payments: figure(report.payments),
    storno: figure(report.storno),
    stornoAfterClose: figure(report.stornoAfterClose),
    expectedCash: formatRubles(report.expectedCashKopecks),
    countedCash: rubles(report.countedCashKopecks),
    difference: rubles(report.differenceKopecks),
    closeNote: report.closeNote,
    lines: report.lines.map((line) => ({
      paymentId: line.paymentId.toString(),
      receiptNumber: line.receiptNumber,
      account: line.accountNumber,
      amount: formatRubles(line.amountKopecks),
      status: line.status,
      receivedAt: line.receivedAt.toISOString(),
      storno: line.storno && {
        reason: line.storno.reason,
        afterClose: line.storno.afterClose,
        at: line.storno.at.toISOString(),
        by: line.storno.by,
        amount: formatRubles(line.storno.amountKopecks),
      },
    })),
  };
}

export const cashierApi = defineGroup({
  base: "/api/cashier",
  tag: "cash desks",
  routes: {
    findAccounts: {
      method: "get",
      path: "/accounts",
      summary: "Find the account a payer names: its number, a login, or the owner's name with the address",
      description: "At most 10 accounts; the owner's name is masked. A search by words must match both the name and the address.",
      auth: "cashier",
      query: z.object({ q: z.string().trim().min(1, "say what to look for").max(200) }),
      responses: {
        200: {
          description: "the accounts found (maybe none)",
          schema: z.object({
            accounts: z.array(
              z.object({
                number: z.string(),
                login: z.string().nullable(),
                ownerName: z.string().meta({ description: "masked: И***в И. И." }),
                address: z.string(),
                status: z.enum(["active", "blocked", "closed"]),
                balance: RublesOut,
                monthlyFee: RublesOut,
              }),
            ),
          }),
        },
        400: badRequest,
        401: unauthorized,
      },
    },
    listDesks: {
      method: "get",
      path: "/desks",
      summary: "The desks of the actor's office (admins: every desk), with the shift open at each",
      auth: "cashier",
      responses: {
        200: {
          description: "the desks",
          schema: z.object({
            desks: z.array(
              z.object({
                code: z.string(),
                name: z.string(),
                office: z.string(),
                openShift: z.object({ id: IdOut, cashier: Staff, openedAt: TimeOut }).nullable(),
              }),
            ),
          }),
        },
        401: unauthorized,
      },
    },
    openShift: {
      method: "post",
      path: "/shifts",
      summary: "Open a shift at a desk of the actor's office with the cash in the drawer",
      description: "One open shift per desk and per cashier. Staff only: the automation token has no desk (403 staff_only).",
      auth: "cashier",
      body: z.object({ desk: z.string({ error: "is required" }).trim().min(1).max(60), openingCash: CashRubles }),
      responses: {
        201: { description: "the shift, open", schema: z.object({ shift: ZReportJson }) },
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        404: notFound,
        409: { description: "shift_already_open: the desk or the cashier has one", schema: refusals[409].schema },
      },
    },
    listShifts: {
      method: "get",
      path: "/shifts",
      summary: "Shift history of the actor's office (admins: any office or all), newest first",
      auth: "cashier",
      query: z.object({
        office: z.string().trim().min(1).max(60).optional(),
        open: z
          .enum(["true", "false"])
          .optional()
          .transform((text) => (text === undefined ? undefined : text === "true")),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      responses: { 200: { description: "the shifts", schema: z.object({ shifts: z.array(ShiftSummaryJson) }) }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound },
    },
    currentShift: {
      method: "get",
      path: "/shifts/current",
      summary: "The actor's open shift with its running figures, or null",
      auth: "cashier",
      responses: { 200: { description: "the open shift or null", schema: z.object({ shift: ZReportJson.nullable() }) }, 401: unauthorized },
    },
    getShift: {
      method: "get",
      path: "/shifts/:id",
      summary: "A shift's Z-report: every figure and payment line (the actor's office; admins any)",
      auth: "cashier",
      params: ShiftIdParams,
      responses: { 200: { description: "the Z-report", schema: ZReportJson }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound },
    },
    issueReceiptNumber: {
      method: "post",
      path: "/shifts/:id/receipt-numbers",
      summary: "Issue the next receipt number of the actor's open shift's desk, for one payment",
      description: "The payment carries it, so sending the payment again (a retry after a lost answer) names the same payment, recorded once.",
      auth: "cashier",
      params: ShiftIdParams,
      responses: {
        201: { description: "the receipt number", schema: z.object({ shiftId: IdOut, receiptNumber: z.number().int(), receipt: z.string().meta({ examples: ["vl-lugovaya-1:7"] }) }) },
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        404: notFound,
        409: conflict,
      },
    },
    takePayment: {
      method: "post",
      path: "/payments",
      summary: "Take a cash payment on the actor's open shift, exactly once per receipt number",
      description:
        "201 when this request recorded it, 200 when it repeats one recorded before (nothing credited again); 409 receipt_used when the receipt number is taken by another account or amount; 409 shift_closed after the close.",
      auth: "cashier",
      body: z.object({
        shiftId: IntId,
        receiptNumber: z.number({ error: "is required, a whole number" }).int().min(1).max(2_147_483_647),
        account: AccountField.meta({ description: "the account number: 1 to 12 digits", examples: ["100080"] }),
        amount: PaymentRubles,
      }),
      responses: {
        201: { description: "recorded; its credit is queued", schema: PaymentJson },
        200: { description: "a repeat of the payment recorded before", schema: PaymentJson },
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        404: notFound,
        409: conflict,
        503: { description: "try_again: nothing was recorded", schema: refusals[400].schema },
      },
    },
    stornoPayment: {
      method: "post",
      path: "/payments/:id/storno",
      summary: "Cancel a cash payment with a reason: a compensating posting, never a deletion",
      description: "The cashier cancels their own payment while the shift is open; after the close only a supervisor of the office may.",
      auth: "cashier",
      params: z.object({ id: BigId }),
      body: z.object({ reason: z.string({ error: "is required" }).trim().min(3, "say why the payment is cancelled").max(500) }),
      responses: {
        200: { description: "cancelled", schema: z.object({ paymentId: IdOut, shiftId: IdOut, amount: RublesOut, afterClose: z.boolean() }) },
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        404: notFound,
        409: conflict,
      },
    },
    closeShift: {
      method: "post",
      path: "/shifts/:id/close",
      summary: "Close a shift with the cash counted in the drawer: its Z-report",
      description: "The shift's cashier closes it, or a supervisor of its office. Expected cash and the difference are recorded with the close.",
      auth: "cashier",
      params: ShiftIdParams,
      body: z.object({ countedCash: CashRubles, note: z.string().trim().max(500).optional() }),
      responses: { 200: { description: "the Z-report", schema: ZReportJson }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict },
    },
  },
});

/** The cash desk API: /api/cashier. Who may do what on which desk is the core's decision (src/cashier). */
export function cashierRoutes(config: Config, db: Db, intake: IntakeDeps): Router {
  const report = async (shiftId: number) => zReportJson((await zReport(db, shiftId))!);
  return groupRouter(cashierApi, {
    findAccounts: async ({ query }) => {
      const accounts = await findAccounts(db, query.q);
      const json = accounts.map((account) => ({
        number: account.number,
        login: account.login,
        ownerName: account.maskedOwnerName,
        address: account.address,
        status: account.status,
        balance: formatRubles(account.balanceKopecks),
        monthlyFee: formatRubles(account.monthlyFeeKopecks),
      }));
      return reply(200, { accounts: json });
    },
    listDesks: async ({ actor }) => {
      const desks = await db.cashDesk.findMany({
        where: actor.role === "admin" ? {} : { officeId: actor.officeId ?? -1 },
        include: { office: true, shifts: { where: { closedAt: null }, include: { cashier: true } } },
        orderBy: { code: "asc" },
      });
      const json = desks.map((desk) => {
        const open = desk.shifts[0];
        return {
          code: desk.code,
          name: desk.name,
          office: desk.office.code,
          openShift: open ? { id: String(open.id), cashier: { login: open.cashier.login, fullName: open.cashier.fullName }, openedAt: open.openedAt.toISOString() } : null,
        };
      });
      return reply(200, { desks: json });
    },
    openShift: async ({ body, req }) => {
      const { shiftId } = await openShift(db, actionContext(req), { deskCode: body.desk, openingCashKopecks: body.openingCash });
      return reply(201, { shift: await report(shiftId) });
    },
    listShifts: async ({ query, actor }) => {
      const shifts = await listShifts(db, actor, { officeCode: query.office, open: query.open, limit: query.limit });
      const json = shifts.map((shift) => ({
        id: String(shift.id),
        desk: shift.desk,
        office: shift.office,
        cashier: shift.cashier,
        pastMidnight: shift.pastMidnight,
        openedAt: shift.openedAt.toISOString(),
        closedAt: shift.closedAt?.toISOString() ?? null,
        expectedCash: rubles(shift.expectedCashKopecks),
        countedCash: rubles(shift.countedCashKopecks),
        difference: rubles(shift.differenceKopecks),
      }));
      return reply(200, { shifts: json });
    },
    currentShift: async ({ actor }) => {
      const shift = await currentShift(db, actor);
      return reply(200, { shift: shift ? await report(shift.id) : null });
    },
    getShift: async ({ params, actor }) => {
      await assertMaySeeShift(db, actor, params.id);
      return reply(200, await report(params.id));
    },
    issueReceiptNumber: async ({ params, req }) => {
      const { receiptNumber, deskCode } = await issueReceiptNumber(db, actionContext(req), params.id);
      return reply(201, { shiftId: String(params.id), receiptNumber, receipt: cashExternalId(deskCode, receiptNumber) });
    },
    takePayment: async ({ body, req }) => {
      const input = { shiftId: body.shiftId, receiptNumber: body.receiptNumber, accountNumber: body.account, amountKopecks: body.amount };
      const result = await takeCashPayment(intake, config.cashier, actionContext(req), input);
      const payment = await db.inboundPayment.findUniqueOrThrow({ where: { id: result.paymentId } });
      const json = {
        id: payment.id.toString(),
        receipt: cashExternalId(result.deskCode, result.receiptNumber),
        receiptNumber: result.receiptNumber,
        shiftId: String(body.shiftId),
        account: payment.accountNumber,
        amount: formatRubles(payment.amountKopecks),
        status: payment.status,
      };
      return result.created ? reply(201, json) : reply(200, json);
    },
    stornoPayment: async ({ params, body, req }) => {
      const storno = await stornoCashPayment(db, actionContext(req), { paymentId: params.id, reason: body.reason });
      return reply(200, { paymentId: params.id.toString(), shiftId: String(storno.shiftId), amount: formatRubles(storno.amountKopecks), afterClose: storno.afterClose });
    },
    closeShift: async ({ params, body, req }) => {
      const closed = await closeShift(db, actionContext(req), { shiftId: params.id, countedCashKopecks: body.countedCash, note: body.note });
      return reply(200, zReportJson(closed));
    },
  });
}
