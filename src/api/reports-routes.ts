import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import type { Db } from "../db.ts";
import { csvFileName, reconciliationCsv } from "../reports/reconciliation-csv.ts";
import { reconciliationReport, type Figure, type Period, type ReconciliationReport } from "../reports/reconciliation.ts";
import { MAX_PERIOD_DAYS, periodProblem } from "../reports/period.ts";
import { defineGroup, groupRouter, issuesMessage, refusals, reply, RublesOut, TimeOut } from "./api-registry.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden } = refusals;

const Day = z.string({ error: "is required" }).meta({ description: "a day YYYY-MM-DD (Vladivostok)", examples: ["2026-11-01"] });

/** The period of a report: from ≤ to, both real dates, at most MAX_PERIOD_DAYS days. */
export const PeriodQuery = z
  .object({ from: Day, to: Day })
  .superRefine((period, context) => {
    const problem = periodProblem(period);
    if (problem) context.addIssue({ code: "custom", message: problem });
  })
  .meta({ description: `Vladivostok calendar days [from, to], inclusive, at most ${MAX_PERIOD_DAYS} days` });

const FigureJson = z.object({ count: z.number().int(), sum: RublesOut });
const figureJson = (figure: Figure) => ({ count: figure.count, sum: formatRubles(figure.sumKopecks) });

const ChannelJson = z.object({
  received: FigureJson.extend({ commission: RublesOut, payerAmount: RublesOut }).meta({ description: "recorded in the period (received_at); pending payments that closed without becoming money are left out" }),
  credited: FigureJson.meta({ description: "credited in the period (credited_at)" }),
  reversed: FigureJson.meta({ description: "provider refunds, reverses, cancels and cash storno in the period (payment_reversal.created_at)" }),
  net: RublesOut.meta({ description: "credited − reversed" }),
  open: FigureJson.meta({ description: "received before the period's end, neither credited nor closed by then" }),
});

const ReportJson = z.object({
  period: z.object({ from: z.string(), to: z.string(), start: TimeOut, end: TimeOut }),
  channels: z.array(ChannelJson.extend({ channel: z.string() })),
  totals: ChannelJson,
  openItems: z.array(FigureJson.extend({ channel: z.string(), status: z.enum(["pending", "accepted", "failed"]) })),
  desks: z
    .array(
      z.object({
        desk: z.string(),
        shifts: z.number().int(),
        payments: FigureJson,
        storno: FigureJson,
        stornoAfterClose: FigureJson,
        expected: RublesOut,
        counted: RublesOut,
        difference: RublesOut,
      }),
    )
    .meta({ description: "Z-reports of the shifts closed in the period, summed per desk" }),
  suspense: z.object({ received: FigureJson, assigned: FigureJson, open: FigureJson.meta({ description: "still open at the period's end" }) }),
  transfers: z.object({ approved: FigureJson, reversed: FigureJson }),
  ledger: z.object({
    total: RublesOut.meta({ description: "sum of every entry: 0.00 when every posting balances" }),
    unbalancedPostings: z.number().int(),
    balanceMismatches: z.array(z.object({ number: z.string(), cached: RublesOut, entries: RublesOut })),
  }),
  movements: z
    .array(z.object({ code: z.string(), movement: RublesOut, expected: RublesOut, difference: RublesOut }))
    .meta({ description: "per clearing and cash ledger account: the entries posted in the period against −(credited − reversed)" }),
  discrepancies: z.array(z.string()).meta({ description: "every difference found, in words; empty when everything squares" }),
});

function channelJson(line: Omit<ReconciliationReport["channels"][number], "channel">): z.input<typeof ChannelJson> {
  return {
    received: { ...figureJson(line.received), commission: formatRubles(line.received.commissionKopecks), payerAmount: formatRubles(line.received.payerKopecks) },
    credited: figureJson(line.credited),
    reversed: figureJson(line.reversed),
    net: formatRubles(line.netKopecks),
    open: figureJson(line.open),
  };
}

function reportJson(report: ReconciliationReport): z.input<typeof ReportJson> {
  return {
    period: { ...report.period, start: report.start.toISOString(), end: report.end.toISOString() },
    channels: report.channels.map((line) => ({ channel: line.channel, ...channelJson(line) })),
    totals: channelJson(report.totals),
    openItems: report.openItems.map((item) => ({ channel: item.channel, status: item.status, ...figureJson(item) })),
    desks: report.desks.map((desk) => ({
      desk: desk.desk,
      shifts: desk.shifts,
      payments: figureJson(desk.payments),
      storno: figureJson(desk.storno),
      stornoAfterClose: figureJson(desk.stornoAfterClose),
      expected: formatRubles(desk.expectedKopecks),
      counted: formatRubles(desk.countedKopecks),
      difference: formatRubles(desk.differenceKopecks),
    })),
    suspense: { received: figureJson(report.suspense.received), assigned: figureJson(report.suspense.assigned), open: figureJson(report.suspense.open) },
    transfers: { approved: figureJson(report.transfers.approved), reversed: figureJson(report.transfers.reversed) },
    ledger: {
      total: formatRubles(report.ledger.totalKopecks),
      unbalancedPostings: report.ledger.unbalancedPostings,
      balanceMismatches: report.ledger.balanceMismatches.map((m) => ({ number: m.number, cached: formatRubles(m.cachedKopecks), entries: formatRubles(m.entriesKopecks) })),
    },
    movements: report.movements.map((m) => ({ code: m.code, movement: formatRubles(m.movementKopecks), expected: formatRubles(m.expectedKopecks), difference: formatRubles(m.differenceKopecks) })),
    discrepancies: report.discrepancies,
  };
}

export const reportsApi = defineGroup({
  base: "/api/reports",
  tag: "reports",
  routes: {
    reconciliation: {
      method: "get",
      path: "/reconciliation",
      summary: "The month-end reconciliation of a period: per channel, cash desks, suspense, transfers and the ledger's checks",
      description:
        "Per channel: received (by received_at), credited (credited_at), provider reversals and storno (created_at), net = credited − reversed, and what was still open at the end. " +
        "Each clearing and cash ledger account's movement in the period must equal −(credited − reversed) of its channel or desk; every difference, and every failed ledger check, is a line of `discrepancies`. " +
        "The same figures per channel as CSV: GET /api/reports/reconciliation.csv.",
      auth: "supervisor",
      query: PeriodQuery,
      responses: { 200: { description: "the report", schema: ReportJson }, 400: badRequest, 401: unauthorized, 403: forbidden },
    },
  },
});

/**
 * The CSV route. The registry answers JSON only, so this group documents it (the OpenAPI document is written from it)
 * and a plain route serves it, validating the query with the same schema and refusing with the same JSON errors.
 */
export const reportsCsvApi = defineGroup({
  base: "/api/reports",
  tag: "reports",
  routes: {
    reconciliationCsv: {
      method: "get",
      path: "/reconciliation.csv",
      summary: "The reconciliation's per-channel figures as a CSV file for Excel",
      description:
        "text/csv; charset=utf-8, sent as an attachment reconciliation_<from>_<to>.csv: a UTF-8 BOM (so Excel reads Cyrillic), fields separated by semicolons, " +
        "rubles with a decimal comma and no grouping (1500,50), CRLF line ends; a header line, then one line per channel with the figures of the JSON report " +
        "(received count, sum, commission, payer amount; credited count, sum; reversed count, sum; net; open at the end count, sum). Errors are JSON.",
      auth: "supervisor",
      query: PeriodQuery,
      responses: { 200: { description: "the CSV file (text/csv)" }, 400: badRequest, 401: unauthorized, 403: forbidden },
    },
  },
});

/** Sends the CSV of a period as a download: what the API and the console's link both answer. */
export async function sendReconciliationCsv(db: Db, period: Period, res: Response): Promise<void> {
  const report = await reconciliationReport(db, period);
  res.set({ "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${csvFileName(report)}"` });
  res.send(reconciliationCsv(report));
}

export function reportsRoutes(db: Db): Router {
  const router = express.Router();
  const csv = reportsCsvApi.routes.reconciliationCsv;
  router[csv.method](csv.path, async (req: Request, res: Response) => {
    const parsed = csv.query.safeParse(req.query);
    if (!parsed.success) {
      return void res.status(400).json({ error: "bad_request", message: issuesMessage(parsed.error, "query") });
    }
    await sendReconciliationCsv(db, parsed.data, res);
  });
  return groupRouter(reportsApi, { reconciliation: async ({ query }) => reply(200, reportJson(await reconciliationReport(db, query, formatRubles))) }, router);
}
