import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import type { SqlPool } from "../db.ts";
import type { IntakeDeps } from "../payments/handle-command.ts";
import { importRegistry, REGISTRY_CLASSES } from "../registries/import-registry.ts";
import { importStatement } from "../registries/import-statement.ts";
import { listOpenItems, openItemsCsv, recordFromLine, resolveWithNote, withdrawRegistry } from "../registries/open-items.ts";
import { actionContext } from "../staff/http-auth.ts";
import { defineGroup, groupRouter, issuesMessage, refusals, reply, RublesOut } from "./api-registry.ts";
import { requiredAs } from "./request-fields.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict } = refusals;

/** The largest registry file accepted (the API's body, the console's upload): a 100,000-line bank registry is about 10 MB. */
export const REGISTRY_MAX_BYTES = 64 * 1024 * 1024;

const ClassFigure = z.object({ count: z.number().int(), amount: RublesOut });
const LineJson = z.object({
  line: z.number().int(),
  externalId: z.string(),
  class: z.string(),
  registryAmount: RublesOut,
  hubAmount: RublesOut.optional(),
  account: z.string(),
  hubAccount: z.string().optional(),
  paymentId: z.string().optional(),
});
const ImportJson = z
  .object({
    id: z.number().int().optional().meta({ description: "the registry's id (accepted only)" }),
    status: z.enum(["accepted", "rejected"]),
    reason: z.string().optional().meta({ description: "why it was rejected: totals_mismatch, malformed_line, bad_encoding, bad_file_name, empty_file, already_imported, conflicting_import, unknown_channel" }),
    message: z.string().optional(),
    line: z.number().int().optional().meta({ description: "the line of the file the rejection names" }),
    channel: z.string(),
    day: z.string().optional(),
    classes: z.record(z.string(), ClassFigure).meta({ description: `count and sum per class of REGISTRIES.md §5: ${REGISTRY_CLASSES.join(", ")}` }),
    settlement: z.object({ status: z.string(), expected: RublesOut.optional(), found: RublesOut.optional() }),
    lines: z.array(LineJson),
    missingInRegistry: z.array(z.object({ paymentId: z.string(), externalId: z.string(), account: z.string(), amount: RublesOut })),
  })
  .meta({ description: "the import's answer: every line with its class, the hub's payments of the day the registry does not carry, the settlement" });

const RegistrySummary = z.object({
  id: z.number().int(),
  channel: z.string(),
  day: z.string(),
  sequence: z.number().int(),
  fileName: z.string(),
  source: z.string(),
  lines: z.number().int(),
  total: RublesOut,
  commission: RublesOut.nullable(),
  transfer: RublesOut.nullable(),
  settlement: z.object({ status: z.string(), found: RublesOut.nullable() }),
  open: z.number().int().meta({ description: "open items: unresolved lines of the open classes and open missing_in_registry items" }),
  importedBy: z.string(),
  importedAt: z.string(),
});

const OpenItemJson = z.object({
  kind: z.enum(["line", "missing"]),
  id: z.string(),
  registryId: z.number().int(),
  channel: z.string(),
  day: z.string(),
  class: z.string(),
  line: z.number().int().optional(),
  externalId: z.string(),
  account: z.string(),
  hubAccount: z.string().optional(),
  amount: RublesOut,
  hubAmount: RublesOut.optional(),
  paymentId: z.string().optional(),
  date: z.string().optional(),
  actions: z.array(z.enum(["record", "transfer", "note"])),
});

const ChannelQuery = z.string().regex(/^[a-z0-9:-]{1,40}$/, "a channel id such as bank:sberbank");
const ItemId = z.string().regex(/^[1-9][0-9]{0,17}$/, "an id");
const Note = z.object({ note: z.string({ error: requiredAs("a string") }).trim().min(3, "say what was checked and done").max(1000) });

export const registriesApi = defineGroup({
  base: "/api/registries",
  tag: "registries",
  routes: {
    import: {
      method: "post",
      path: "/",
      summary: "Import a provider's registry file (the raw file as the body)",
      description:
        "The file is checked whole before anything is recorded: its encoding (the channel's profile, cp1251 or UTF-8, a BOM skipped; `encoding` forces one), every line, the footer against the lines, and whether it was imported already. " +
        "Accepted (201): the registry, every line with its class and the hub's payments of the day it does not carry are recorded; nothing moves money. Rejected (422): the reason and the line; nothing is recorded.",
      auth: "supervisor",
      query: z.object({
        channel: ChannelQuery,
        fileName: z.string().min(1).max(255),
        encoding: z.enum(["utf-8", "windows-1251"]).optional(),
      }),
      responses: {
        201: { description: "accepted", schema: ImportJson },
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        422: { description: "rejected whole: the reason (and line); nothing recorded", schema: ImportJson },
      },
    },
    importStatement: {
      method: "post",
      path: "/statements",
      summary: "Import a bank statement (1CClientBankExchange, the raw file as the body) and find each waiting registry's transfer in it",
      description:
        "Each registry whose settlement is pending (or was not found before) looks for its transfer among the statement's incoming documents: by the payment order its registry names, else by the channel's payer and a purpose naming the day. " +
        "matched: the transfer equals total − commission; mismatch (settlement_mismatch): it differs, with the difference (found − expected); not_found: no transfer yet. Nothing moves money.",
      auth: "supervisor",
      query: z.object({ fileName: z.string().min(1).max(255) }),
      responses: {
        201: {
          description: "the statement was read; the settlements found",
          schema: z.object({
            status: z.literal("accepted"),
            statement: z.object({ account: z.string(), from: z.string(), to: z.string(), documents: z.number().int(), incoming: z.number().int() }),
            settlements: z.array(
              z.object({
                registryId: z.number().int(),
                channel: z.string(),
                day: z.string(),
                status: z.string(),
                expected: RublesOut,
                found: RublesOut.optional(),
                difference: z.string().optional(),
                document: z.object({ number: z.string(), date: z.string(), payer: z.string(), purpose: z.string() }).optional(),
              }),
            ),
          }),
        },
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        422: { description: "the statement could not be read: the reason and line; nothing recorded", schema: z.object({ status: z.literal("rejected"), reason: z.string(), line: z.number().int().optional(), message: z.string() }) },
      },
    },
    list: {
      method: "get",
      path: "/",
      summary: "Registries by channel and day, latest first, with their sums, settlement and open items",
      auth: "supervisor",
      query: z.object({ channel: ChannelQuery.optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
      responses: { 200: { description: "the registries", schema: z.object({ registries: z.array(RegistrySummary) }) }, 400: badRequest, 401: unauthorized, 403: forbidden },
    },
    openItems: {
      method: "get",
      path: "/open-items",
      summary: "Open items of every registry (or one channel's), oldest day first",
      description: "CSV for the accountant: GET /api/registries/open-items.csv.",
      auth: "supervisor",
      query: z.object({ channel: ChannelQuery.optional() }),
      responses: { 200: { description: "the open items", schema: z.object({ items: z.array(OpenItemJson) }) }, 400: badRequest, 401: unauthorized, 403: forbidden },
    },
    recordLine: {
      method: "post",
      path: "/lines/:id/record",
      summary: "Record a missing_in_hub line as the payment (through intake; into suspense when the account is unknown or not active); audited",
      auth: "supervisor",
      params: z.object({ id: ItemId }),
      responses: {
        200: { description: "recorded (or the payment existed already)", schema: z.object({ paymentId: z.string(), outcome: z.string() }) },
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        404: notFound,
        409: conflict,
      },
    },
    resolveLine: {
      method: "post",
      path: "/lines/:id/resolve",
      summary: "Resolve an open line with a note (moves no money); audited",
      auth: "supervisor",
      params: z.object({ id: ItemId }),
      body: Note,
      responses: { 204: { description: "resolved" }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict },
    },
    withdraw: {
      method: "post",
      path: "/:id/withdraw",
      summary: "Withdraw an imported registry (a corrected file replaces it), with the reason; audited",
      description:
        "Its lines stop confirming payments and its open items leave the list; the missing_in_registry items its lines had closed open again; its channel, day and number may be imported anew. " +
        "Payments recorded from its lines stay (money is corrected with transfers and suspense).",
      auth: "supervisor",
      params: z.object({ id: z.string().regex(/^[1-9][0-9]{0,8}$/, "a registry id") }),
      body: Note,
      responses: { 204: { description: "withdrawn" }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict },
    },
    resolveMissing: {
      method: "post",
      path: "/missing/:id/resolve",
      summary: "Resolve a missing_in_registry item with a note (moves no money); audited",
      auth: "supervisor",
      params: z.object({ id: ItemId }),
      body: Note,
      responses: { 204: { description: "resolved" }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict },
    },
  },
});

/** The CSV download: documented here, served by a plain route (the registry answers JSON only). */
export const registriesCsvApi = defineGroup({
  base: "/api/registries",
  tag: "registries",
  routes: {
    openItemsCsv: {
      method: "get",
      path: "/open-items.csv",
      summary: "The open items as a CSV file for the accountant",
      description: "text/csv; charset=utf-8 attachment: a UTF-8 BOM, `;`-separated, rubles with a decimal comma, CRLF; one line per open item. Errors are JSON.",
      auth: "supervisor",
      query: z.object({ channel: ChannelQuery.optional() }),
      responses: { 200: { description: "the CSV file (text/csv)" }, 400: badRequest, 401: unauthorized, 403: forbidden },
    },
  },
});

/** Sends the open items (of one channel, or all) as the accountant's CSV download: what the API and the console's link both answer. */
export async function sendOpenItemsCsv(pool: SqlPool, channel: string | undefined, res: Response): Promise<void> {
  const items = await listOpenItems(pool, channel ? { channel } : {});
  res.set({ "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="registry_open_items${channel ? `_${channel.replace(/:/g, "-")}` : ""}.csv"` });
  res.send(openItemsCsv(items));
}

export async function listRegistries(pool: SqlPool, query: { channel?: string | undefined; limit: number }): Promise<z.input<typeof RegistrySummary>[]> {
  const { rows } = await pool.query<{
    id: number;
    channel: string;
    day: string;
    sequence: number;
    file_name: string;
    source: string;
    line_count: number;
    total_kopecks: string;
    commission_kopecks: string | null;
    transfer_kopecks: string | null;
    settlement_status: string;
    settlement_found_kopecks: string | null;
    open: number;
    imported_by: string;
    created_at: Date;
  }>(
    `SELECT r.id, r.channel, to_char(r.day, 'YYYY-MM-DD') AS day, r.sequence, r.file_name, r.source, r.line_count, r.total_kopecks::text,
            r.commission_kopecks::text, r.transfer_kopecks::text, r.settlement_status, r.settlement_found_kopecks::text, r.imported_by, r.created_at,
            ((SELECT count(*) FROM registry_line l WHERE l.registry_id = r.id AND l.resolved_at IS NULL
                AND l.class IN ('missing_in_hub', 'amount_mismatch', 'account_mismatch', 'duplicate_line'))
             + (SELECT count(*) FROM registry_missing m WHERE m.registry_id = r.id AND m.closed_at IS NULL))::int AS open
     FROM registry r WHERE r.withdrawn_at IS NULL AND ($1::text IS NULL OR r.channel = $1)
     ORDER BY r.day DESC, r.id DESC LIMIT $2`,
    [query.channel ?? null, query.limit],
  );
  const rubles = (kopecks: string | null) => (kopecks === null ? null : formatRubles(BigInt(kopecks)));
  return rows.map((row) => ({
    id: row.id,
    channel: row.channel,
    day: row.day,
    sequence: row.sequence,
    fileName: row.file_name,
    source: row.source,
    lines: row.line_count,
    total: formatRubles(BigInt(row.total_kopecks)),
    commission: rubles(row.commission_kopecks),
    transfer: rubles(row.transfer_kopecks),
    settlement: { status: row.settlement_status, found: rubles(row.settlement_found_kopecks) },
    open: row.open,
    importedBy: row.imported_by,
    importedAt: row.created_at.toISOString(),
  }));
}


export function registriesRoutes(intake: IntakeDeps): Router {
  const router = express.Router();
  // The file is the body, whatever its content type; apiInput's JSON parser leaves a non-JSON body unread.
  const rawFile = express.raw({ type: () => true, limit: REGISTRY_MAX_BYTES });
  router.post("/", rawFile);
  router.post("/statements", rawFile);
  const csv = registriesCsvApi.routes.openItemsCsv;
  router[csv.method](csv.path, async (req: Request, res: Response) => {
    const parsed = csv.query.safeParse(req.query);
    if (!parsed.success) return void res.status(400).json({ error: "bad_request", message: issuesMessage(parsed.error, "query") });
    await sendOpenItemsCsv(intake.pool, parsed.data.channel, res);
  });
  return groupRouter(
    registriesApi,
    {
      import: async ({ query, req }) => {
        const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const answer = await importRegistry(intake.pool, actionContext(req), {
          channel: query.channel,
          fileName: query.fileName,
          bytes,
          ...(query.encoding ? { encoding: query.encoding } : {}),
        });
        if (answer.status === "rejected") {
          req.log.warn({ channel: query.channel, fileName: query.fileName, reason: answer.reason, line: answer.line, problem: answer.message }, "registry rejected");
          return reply(422, answer);
        }
        req.log.info({ channel: query.channel, fileName: query.fileName, registryId: answer.id, lines: answer.lines.length }, "registry imported");
        return reply(201, answer);
      },
      importStatement: async ({ query, req }) => {
        const answer = await importStatement(intake.pool, actionContext(req), { fileName: query.fileName, bytes: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0) });
        if (answer.status === "rejected") {
          req.log.warn({ fileName: query.fileName, reason: answer.reason, line: answer.line, problem: answer.message }, "bank statement rejected");
          return reply(422, answer);
        }
        req.log.info({ fileName: query.fileName, settlements: answer.settlements.length }, "bank statement imported");
        return reply(201, answer);
      },
      list: async ({ query }) => reply(200, { registries: await listRegistries(intake.pool, query) }),
      openItems: async ({ query }) => reply(200, { items: await listOpenItems(intake.pool, query.channel ? { channel: query.channel } : {}) }),
      recordLine: async ({ params, req }) => reply(200, await recordFromLine(intake, actionContext(req), BigInt(params.id))),
      resolveLine: async ({ params, body, req }) => {
        await resolveWithNote(intake.pool, actionContext(req), { kind: "line", id: BigInt(params.id), note: body.note });
        return reply(204, undefined);
      },
      withdraw: async ({ params, body, req }) => {
        await withdrawRegistry(intake.pool, actionContext(req), Number(params.id), body.note);
        return reply(204, undefined);
      },
      resolveMissing: async ({ params, body, req }) => {
        await resolveWithNote(intake.pool, actionContext(req), { kind: "missing", id: BigInt(params.id), note: body.note });
        return reply(204, undefined);
      },
    },
    router,
  );
}
