import { createHash } from "node:crypto";
import { formatRubles } from "../../lib/money.ts";
import { inTransaction, type SqlClient, type SqlPool } from "../db.ts";
import type { ActionContext } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import type { ParsedRegistry, ParseResult, RegistryLine, RegistryRejection } from "./format.ts";
import { REGISTRY_FORMATS } from "./formats/index.ts";
import { API_REGISTRY_CHANNELS, dayBounds, registryProfile, type RegistryProfile } from "./profiles.ts";

/**
 * Import of a provider's registry (REGISTRIES.md): the file is parsed and checked whole, its lines are matched with
 * the hub's payments of the channel (§5), and the registry, each line with its class, and the hub's payments of the
 * day the registry does not carry are recorded in one transaction. Importing never moves money and never creates a
 * payment: the open items wait for an operator.
 */

/** The classes of REGISTRIES.md §5, in its order: the answer counts every one of them. */
export const REGISTRY_CLASSES = [
  "matched",
  "missing_in_hub",
  "missing_in_registry",
  "amount_mismatch",
  "account_mismatch",
  "date_shift",
  "duplicate_line",
  "totals_mismatch",
  "registry_missing",
  "settlement_mismatch",
] as const;
export type RegistryClass = (typeof REGISTRY_CLASSES)[number];
/** The classes a line can have (the others describe the file, the day or the transfer). */
export type LineClass = "matched" | "missing_in_hub" | "amount_mismatch" | "account_mismatch" | "date_shift" | "duplicate_line";

/** A hub payment as the matching sees it. */
interface HubPayment {
  id: string;
  external_id: string;
  account_number: string;
  amount_kopecks: string;
  status: string;
  reversed_kopecks: string;
}

export interface ClassifiedLine {
  source: RegistryLine;
  class: LineClass;
  paymentId?: bigint;
  hubAmountKopecks?: bigint;
  hubAccount?: string;
}

/**
 * REGISTRIES.md §5, per line: duplicate first (the id repeats within the file, or an earlier registry confirmed that
 * payment), then an unknown id (or one never to be credited: a pending or closed payment), then account and amount
 * (a line differing in both is an amount_mismatch that names the hub's account too: a transfer of the hub's sum would
 * be wrong), then the date. A refund line is matched against what the hub has reversed of its payment.
 */
export function classifyLines(registry: ParsedRegistry, hubByExternalId: Map<string, HubPayment>, confirmedBefore: Set<string>): ClassifiedLine[] {
  const seen = new Set<string>();
  return registry.lines.map((line): ClassifiedLine => {
    const key = `${line.operation}:${line.externalId}`;
    const hub = hubByExternalId.get(line.externalId);
    const paymentId = hub ? BigInt(hub.id) : undefined;
    const hubFields = hub ? { paymentId, hubAccount: hub.account_number } : {};
    if (seen.has(key) || (line.operation === "payment" && hub && confirmedBefore.has(hub.id))) {
      return { source: line, class: "duplicate_line", ...hubFields, ...(hub ? { hubAmountKopecks: BigInt(hub.amount_kopecks) } : {}) };
    }
    seen.add(key);
    if (!hub || hub.status === "pending" || hub.status === "closed") {
      return { source: line, class: "missing_in_hub", ...hubFields };
    }
    const hubAmount = line.operation === "refund" ? BigInt(hub.reversed_kopecks) : BigInt(hub.amount_kopecks);
    const amountDiffers = line.operation === "refund" ? hubAmount < line.amountKopecks : hubAmount !== line.amountKopecks;
    if (amountDiffers) return { source: line, class: "amount_mismatch", ...hubFields, hubAmountKopecks: hubAmount };
    // A line that names no account (QIWI Kassa's report for a bill payhub did not issue) is not an account mismatch.
    if (line.account.trim() !== "" && hub.account_number.trim() !== line.account.trim()) return { source: line, class: "account_mismatch", ...hubFields, hubAmountKopecks: hubAmount };
    return { source: line, class: line.date === registry.day ? "matched" : "date_shift", ...hubFields, hubAmountKopecks: hubAmount };
  });
}

export interface ImportRequest {
  channel: string;
  fileName: string;
  bytes: Buffer;
  encoding?: "utf-8" | "windows-1251";
  source?: "file" | "api";
}

export interface ImportAnswerLine {
  line: number;
  externalId: string;
  class: LineClass;
  registryAmount: string;
  hubAmount?: string;
  account: string;
  hubAccount?: string;
  paymentId?: string;
}

export interface ImportAnswer {
  id?: number;
  status: "accepted" | "rejected";
  reason?: RegistryRejection;
  /** Why it was rejected, with the line number where there is one. */
  message?: string;
  line?: number;
  channel: string;
  day?: string;
  classes: Record<RegistryClass, { count: number; amount: string }>;
  settlement: { status: string; expected?: string; found?: string };
  lines: ImportAnswerLine[];
  /** The hub's payments of the day the registry does not carry (missing_in_registry). */
  missingInRegistry: { paymentId: string; externalId: string; account: string; amount: string }[];
}

function emptyClasses(): Record<RegistryClass, { count: number; kopecks: bigint }> {
  return Object.fromEntries(REGISTRY_CLASSES.map((name) => [name, { count: 0, kopecks: 0n }])) as Record<RegistryClass, { count: number; kopecks: bigint }>;
}

function classesJson(classes: Record<RegistryClass, { count: number; kopecks: bigint }>): ImportAnswer["classes"] {
  return Object.fromEntries(Object.entries(classes).map(([name, { count, kopecks }]) => [name, { count, amount: formatRubles(kopecks) }])) as ImportAnswer["classes"];
}

function rejected(channel: string, reason: RegistryRejection, message: string, extra: { line?: number; day?: string } = {}): ImportAnswer {
  return {
    status: "rejected",
    reason,
    message,
    ...extra,
    channel,
    classes: classesJson(emptyClasses()),
    settlement: { status: "not_checked" },
    lines: [],
    missingInRegistry: [],
  };
}

/** Parses the file with the channel's profile. */
export function parseRegistry(channel: string, request: Pick<ImportRequest, "fileName" | "bytes" | "encoding">): { profile: RegistryProfile; result: ParseResult } | { profile: undefined; message: string } {
  const profile = registryProfile(channel);
  if (!profile) {
    const message = API_REGISTRY_CHANNELS.has(channel)
      ? `${channel} sends no registry file: its registry is built from its API by the worker`
      : `channel ${channel} has no registry profile (file registries: ${Object.keys(REGISTRY_FORMATS).length} formats, see REGISTRIES.md)`;
    return { profile: undefined, message };
  }
  const format = REGISTRY_FORMATS[profile.format];
  if (!format) return { profile: undefined, message: `channel ${channel}: registry format ${profile.format} is not available` };
  return { profile, result: format.parse(request.bytes, { fileName: request.fileName, ...(request.encoding ? { encoding: request.encoding } : {}) }) };
}

const REGISTRY_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('payhub:registry:' || $1))";

/**
 * Imports one registry: all or nothing. Rejected (nothing recorded): a file that does not parse or whose footer
 * disagrees with its lines, the same file again (already_imported), another file for an imported (channel, day,
 * sequence) (conflicting_import: withdraw the first).
 */
export async function importRegistry(pool: SqlPool, context: ActionContext, request: ImportRequest): Promise<ImportAnswer> {
  const parsed = parseRegistry(request.channel, request);
  if (!parsed.profile) return rejected(request.channel, "unknown_channel", parsed.message);
  const { profile, result } = parsed;
  if (!result.ok) return rejected(request.channel, result.reason, result.message, result.line === undefined ? {} : { line: result.line });
  const sha256 = createHash("sha256").update(request.bytes).digest("hex");
  return importParsedRegistry(pool, context, { channel: request.channel, fileName: request.fileName, source: request.source ?? "file", sha256, profile, registry: result.registry });
}

/**
 * Records a registry already parsed (a file's, or one built from a provider's API by the worker: source "api"), with
 * the same checks and matching: the same content (sha256 of its bytes, or of the API's answer) again is
 * already_imported, another for the same (channel, day, sequence) conflicting_import.
 */
export async function importParsedRegistry(
  pool: SqlPool,
  context: ActionContext,
  input: { channel: string; fileName: string; source: "file" | "api"; sha256: string; profile: RegistryProfile; registry: ParsedRegistry },
): Promise<ImportAnswer> {
  const { registry, sha256, profile } = input;
  const request = { channel: input.channel, fileName: input.fileName, source: input.source };
  return inTransaction(pool, async (sql) => {
    // One import of a channel at a time: the duplicate check and the missing items see every earlier import.
    await sql.query(REGISTRY_LOCK_SQL, [request.channel]);
    const earlier = await sql.query<{ id: number; sha256: string; file_name: string }>(
      `SELECT id, sha256, file_name FROM registry WHERE channel = $1 AND day = $2::date AND sequence = $3 AND withdrawn_at IS NULL`,
      [request.channel, registry.day, registry.sequence],
    );
    const same = earlier.rows.find((row) => row.sha256 === sha256);
    if (same) return rejected(request.channel, "already_imported", `this file was imported already as registry ${same.id} (${same.file_name}); nothing recorded`, { day: registry.day });
    if (earlier.rows.length > 0) {
      const first = earlier.rows[0]!;
      return rejected(
        request.channel,
        "conflicting_import",
        `registry ${first.id} (${first.file_name}) is already imported for ${request.channel}, ${registry.day}, number ${registry.sequence}, with other content: withdraw it first`,
        { day: registry.day },
      );
    }
    return record(sql, context, request, profile, registry, sha256);
  });
}

async function record(
  sql: SqlClient,
  context: ActionContext,
  request: { channel: string; fileName: string; source: "file" | "api" },
  profile: RegistryProfile,
  registry: ParsedRegistry,
  sha256: string,
): Promise<ImportAnswer> {
  const channel = request.channel;
  const externalIds = [...new Set(registry.lines.map((line) => line.externalId))];
  const hub = await sql.query<HubPayment>(
    `SELECT p.id::text, p.external_id, p.account_number, p.amount_kopecks::text, p.status::text,
            COALESCE((SELECT SUM(r.amount_kopecks) FROM payment_reversal r WHERE r.payment_id = p.id), 0)::text AS reversed_kopecks
     FROM inbound_payment p WHERE p.channel = $1 AND p.external_id = ANY($2::text[])`,
    [channel, externalIds],
  );
  const hubByExternalId = new Map(hub.rows.map((row) => [row.external_id, row]));
  const confirmed = await sql.query<{ payment_id: string }>(
    `SELECT DISTINCT l.payment_id::text FROM registry_line l JOIN registry r ON r.id = l.registry_id
     WHERE r.withdrawn_at IS NULL AND l.class IN ('matched', 'date_shift') AND l.operation = 'payment' AND l.payment_id = ANY($1::bigint[])`,
    [hub.rows.map((row) => row.id)],
  );
  const classified = classifyLines(registry, hubByExternalId, new Set(confirmed.rows.map((row) => row.payment_id)));

  // The hub's payments of the day (the provider's time zone) that no line names and no registry confirmed yet.
  const { from, to } = dayBounds(registry.day, profile.utcOffsetHours);
  const named = new Set(classified.flatMap((line) => (line.paymentId === undefined ? [] : [line.paymentId.toString()])));
  const ofTheDay = await sql.query<{ id: string; external_id: string; account_number: string; amount_kopecks: string }>(
    `SELECT p.id::text, p.external_id, p.account_number, p.amount_kopecks::text FROM inbound_payment p
     WHERE p.status IN ('accepted', 'credited', 'failed') AND p.received_at >= $2 AND p.received_at < $3 AND p.channel = $1
       AND NOT EXISTS (SELECT 1 FROM registry_line l JOIN registry r ON r.id = l.registry_id
                       WHERE l.payment_id = p.id AND r.withdrawn_at IS NULL AND l.class IN ('matched', 'date_shift'))`,
    [channel, from, to],
  );
  const missing = ofTheDay.rows.filter((row) => !named.has(row.id));

  const classes = emptyClasses();
  for (const line of classified) {
    classes[line.class].count += 1;
    classes[line.class].kopecks += line.source.operation === "refund" ? -line.source.amountKopecks : line.source.amountKopecks;
  }
  for (const row of missing) {
    classes.missing_in_registry.count += 1;
    classes.missing_in_registry.kopecks += BigInt(row.amount_kopecks);
  }
  const totals = registry.totals;
  const total = registry.lines.reduce((sum, line) => sum + (line.operation === "refund" ? -line.amountKopecks : line.amountKopecks), 0n);
  const commission = totals?.commissionKopecks ?? registry.lines.reduce((sum, line) => sum + (line.commissionKopecks ?? 0n), 0n);
  const transfer = totals?.transferKopecks ?? (profile.settles ? total - commission : undefined);
  const settlementStatus = profile.settles ? "pending" : "not_applicable";

  const inserted = await sql.query<{ id: number }>(
    `INSERT INTO registry (channel, day, sequence, source, file_name, sha256, encoding, line_count, total_kopecks, commission_kopecks,
                           transfer_kopecks, payment_order_number, payment_order_date, settlement_status, imported_by_id, imported_by)
     VALUES ($1, $2::date, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::date, $14, $15, $16) RETURNING id`,
    [
      channel,
      registry.day,
      registry.sequence,
      request.source,
      request.fileName,
      sha256,
      registry.encoding,
      registry.lines.length,
      total.toString(),
      commission.toString(),
      transfer?.toString() ?? null,
      totals?.paymentOrder?.number ?? null,
      totals?.paymentOrder?.date ?? null,
      settlementStatus,
      context.actor.staffId,
      context.actor.login,
    ],
  );
  const registryId = inserted.rows[0]!.id;
  const column = <T>(pick: (line: ClassifiedLine) => T) => classified.map(pick);
  // One statement for every line (unnest of column arrays): 100,000 lines are one round trip.
  const lineIds = await sql.query<{ id: string; payment_id: string | null; class: string; operation: string }>(
    `INSERT INTO registry_line (registry_id, line, external_id, account, amount_kopecks, commission_kopecks, operation, line_date, line_time,
                                payer, "references", class, payment_id, hub_amount_kopecks, hub_account)
     SELECT $1, t.line, t.external_id, t.account, t.amount, t.commission, t.operation, t.line_date, t.line_time, t.payer, t.refs, t.class,
            t.payment_id, t.hub_amount, t.hub_account
     FROM unnest($2::int[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::date[], $9::text[], $10::text[], $11::jsonb[],
                 $12::text[], $13::bigint[], $14::bigint[], $15::text[])
          AS t(line, external_id, account, amount, commission, operation, line_date, line_time, payer, refs, class, payment_id, hub_amount, hub_account)
     RETURNING id::text, payment_id::text, class, operation`,
    [
      registryId,
      column((line) => line.source.line),
      column((line) => line.source.externalId),
      column((line) => line.source.account),
      column((line) => line.source.amountKopecks.toString()),
      column((line) => line.source.commissionKopecks?.toString() ?? null),
      column((line) => line.source.operation),
      column((line) => line.source.date),
      column((line) => line.source.time ?? null),
      column((line) => line.source.payer ?? null),
      column((line) => (line.source.references ? JSON.stringify(line.source.references) : null)),
      column((line) => line.class),
      column((line) => line.paymentId?.toString() ?? null),
      column((line) => line.hubAmountKopecks?.toString() ?? null),
      column((line) => line.hubAccount ?? null),
    ],
  );
  if (missing.length > 0) {
    await sql.query(
      `INSERT INTO registry_missing (registry_id, payment_id, channel, day, amount_kopecks, account)
       SELECT $1, t.payment_id, $2, $3::date, t.amount, t.account FROM unnest($4::bigint[], $5::bigint[], $6::text[]) AS t(payment_id, amount, account)`,
      [registryId, channel, registry.day, missing.map((row) => row.id), missing.map((row) => row.amount_kopecks), missing.map((row) => row.account_number)],
    );
  }
  // A later registry carrying a payment an earlier one missed closes that item (date_shift, or matched on its day).
  const confirming = lineIds.rows.filter((row) => row.payment_id !== null && row.operation === "payment" && (row.class === "matched" || row.class === "date_shift"));
  if (confirming.length > 0) {
    await sql.query(
      `UPDATE registry_missing m SET closed_at = now(), closed_by_line_id = t.line_id
       FROM unnest($1::bigint[], $2::bigint[]) AS t(payment_id, line_id)
       WHERE m.payment_id = t.payment_id AND m.closed_at IS NULL AND m.registry_id <> $3`,
      [confirming.map((row) => row.payment_id), confirming.map((row) => row.id), registryId],
    );
  }
  await audit(sql, context, {
    action: "registry.import",
    target: `registry:${registryId}`,
    detail: { channel, day: registry.day, sequence: registry.sequence, fileName: request.fileName, lines: registry.lines.length, sha256 },
  });

  return {
    id: registryId,
    status: "accepted",
    channel,
    day: registry.day,
    classes: classesJson(classes),
    settlement: { status: settlementStatus, ...(transfer !== undefined ? { expected: formatRubles(transfer) } : {}) },
    lines: classified.map((line) => ({
      line: line.source.line,
      externalId: line.source.externalId,
      class: line.class,
      registryAmount: formatRubles(line.source.amountKopecks),
      ...(line.hubAmountKopecks !== undefined ? { hubAmount: formatRubles(line.hubAmountKopecks) } : {}),
      account: line.source.account,
      ...(line.hubAccount !== undefined ? { hubAccount: line.hubAccount } : {}),
      ...(line.paymentId !== undefined ? { paymentId: line.paymentId.toString() } : {}),
    })),
    missingInRegistry: missing.map((row) => ({ paymentId: row.id, externalId: row.external_id, account: row.account_number, amount: formatRubles(BigInt(row.amount_kopecks)) })),
  };
}
