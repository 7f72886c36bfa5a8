import { formatRubles } from "../../lib/money.ts";
import type { Outcome } from "../../adapters/contract/index.ts";
import { inTransaction, type SqlPool } from "../db.ts";
import { handleCommand, type IntakeDeps } from "../payments/handle-command.ts";
import { StaffActionError, type ActionContext } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";

/**
 * The registries' open items and what an operator does with each: a line the hub lacks is recorded as a payment
 * through intake (external id = the line's id, so the provider's late callback is a repeat, not a second credit);
 * an account mismatch is resolved as a mis-sent transfer (the console opens the transfer form prefilled); the rest are
 * resolved with a note. Every action is audited.
 */

export interface OpenItem {
  /** "line" (a registry line of an open class) or "missing" (a hub payment the registry does not carry). */
  kind: "line" | "missing";
  id: string;
  registryId: number;
  channel: string;
  day: string;
  class: string;
  line?: number;
  externalId: string;
  account: string;
  hubAccount?: string;
  amount: string;
  hubAmount?: string;
  paymentId?: string;
  date?: string;
  /** What the operator can do: record (missing_in_hub), transfer (account_mismatch), note (every item). */
  actions: ("record" | "transfer" | "note")[];
}

const OPEN_LINE_CLASSES = ["missing_in_hub", "amount_mismatch", "account_mismatch", "duplicate_line"];

export interface OpenItemFilter {
  channel?: string;
  registryId?: number;
  limit?: number;
}

export async function listOpenItems(pool: SqlPool, filter: OpenItemFilter = {}): Promise<OpenItem[]> {
  const limit = filter.limit ?? 1000;
  const lines = await pool.query<{
    id: string;
    registry_id: number;
    channel: string;
    day: string;
    class: string;
    line: number;
    external_id: string;
    account: string;
    hub_account: string | null;
    amount_kopecks: string;
    hub_amount_kopecks: string | null;
    payment_id: string | null;
    line_date: string;
  }>(
    `SELECT l.id::text, l.registry_id, r.channel, to_char(r.day, 'YYYY-MM-DD') AS day, l.class, l.line, l.external_id, l.account, l.hub_account,
            l.amount_kopecks::text, l.hub_amount_kopecks::text, l.payment_id::text, to_char(l.line_date, 'YYYY-MM-DD') AS line_date
     FROM registry_line l JOIN registry r ON r.id = l.registry_id
     WHERE l.class = ANY($1::text[]) AND l.resolved_at IS NULL AND r.withdrawn_at IS NULL
       AND ($2::text IS NULL OR r.channel = $2) AND ($3::int IS NULL OR r.id = $3)
     ORDER BY r.day, r.id, l.line LIMIT $4`,
    [OPEN_LINE_CLASSES, filter.channel ?? null, filter.registryId ?? null, limit],
  );
  const missing = await pool.query<{ id: string; registry_id: number; channel: string; day: string; external_id: string; account: string; amount_kopecks: string; payment_id: string }>(
    `SELECT m.id::text, m.registry_id, m.channel, to_char(m.day, 'YYYY-MM-DD') AS day, p.external_id, m.account, m.amount_kopecks::text, m.payment_id::text
     FROM registry_missing m JOIN inbound_payment p ON p.id = m.payment_id JOIN registry r ON r.id = m.registry_id
     WHERE m.closed_at IS NULL AND r.withdrawn_at IS NULL AND ($1::text IS NULL OR m.channel = $1) AND ($2::int IS NULL OR m.registry_id = $2)
     ORDER BY m.day, m.id LIMIT $3`,
    [filter.channel ?? null, filter.registryId ?? null, limit],
  );
  return [
    ...lines.rows.map(
      (row): OpenItem => ({
        kind: "line",
        id: row.id,
        registryId: row.registry_id,
        channel: row.channel,
        day: row.day,
        class: row.class,
        line: row.line,
        externalId: row.external_id,
        account: row.account,
        ...(row.hub_account !== null ? { hubAccount: row.hub_account } : {}),
        amount: formatRubles(BigInt(row.amount_kopecks)),
        ...(row.hub_amount_kopecks !== null ? { hubAmount: formatRubles(BigInt(row.hub_amount_kopecks)) } : {}),
        ...(row.payment_id !== null ? { paymentId: row.payment_id } : {}),
        date: row.line_date,
        actions: row.class === "missing_in_hub" ? ["record", "note"] : row.class === "account_mismatch" ? ["transfer", "note"] : ["note"],
      }),
    ),
    ...missing.rows.map(
      (row): OpenItem => ({
        kind: "missing",
        id: row.id,
        registryId: row.registry_id,
        channel: row.channel,
        day: row.day,
        class: "missing_in_registry",
        externalId: row.external_id,
        account: row.account,
        amount: formatRubles(BigInt(row.amount_kopecks)),
        paymentId: row.payment_id,
        actions: ["note"],
      }),
    ),
  ];
}

/** The accountant's CSV of open items: `;`, decimal comma, a UTF-8 BOM (Excel reads Cyrillic), CRLF. */
export function openItemsCsv(items: OpenItem[]): string {
  const CLASS_NAMES: Record<string, string> = {
    missing_in_hub: "нет в payhub",
    missing_in_registry: "нет в реестре",
    amount_mismatch: "сумма отличается",
    account_mismatch: "счёт отличается",
    duplicate_line: "повтор строки",
  };
  const cell = (value: string | number | undefined) => {
    const text = value === undefined ? "" : String(value);
    return /[;"\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const money = (rubles: string | undefined) => (rubles === undefined ? "" : rubles.replace(".", ","));
  const header = ["Канал", "День реестра", "Реестр", "Строка", "Расхождение", "Id платежа у провайдера", "Лицевой счёт", "Счёт в payhub", "Сумма", "Сумма в payhub", "Платёж payhub"];
  const rows = items.map((item) =>
    [
      item.channel,
      item.day,
      item.registryId,
      item.line,
      CLASS_NAMES[item.class] ?? item.class,
      item.externalId,
      item.account,
      item.hubAccount,
      money(item.amount),
      money(item.hubAmount),
      item.paymentId,
    ]
      .map(cell)
      .join(";"),
  );
  return `\uFEFF${[header.join(";"), ...rows].join("\r\n")}\r\n`;
}

interface LineRow {
  id: string;
  registry_id: number;
  channel: string;
  class: string;
  external_id: string;
  account: string;
  amount_kopecks: string;
  commission_kopecks: string | null;
  line_date: string;
  line_time: string | null;
  resolved_at: Date | null;
  operation: string;
}

async function openLine(pool: SqlPool, lineId: bigint): Promise<LineRow> {
  const { rows } = await pool.query<LineRow>(
    `SELECT l.id::text, l.registry_id, r.channel, l.class, l.external_id, l.account, l.amount_kopecks::text, l.commission_kopecks::text,
            to_char(l.line_date, 'YYYY-MM-DD') AS line_date, l.line_time, l.resolved_at, l.operation
     FROM registry_line l JOIN registry r ON r.id = l.registry_id WHERE l.id = $1 AND r.withdrawn_at IS NULL`,
    [lineId.toString()],
  );
  const line = rows[0];
  if (!line) throw new StaffActionError("registry_line_not_found", `no registry line ${lineId}`);
  if (line.resolved_at) throw new StaffActionError("item_already_resolved", `registry line ${lineId} was resolved already`);
  if (!OPEN_LINE_CLASSES.includes(line.class)) throw new StaffActionError("nothing_to_resolve", `registry line ${lineId} is ${line.class}: nothing to resolve`);
  return line;
}

/** The channel's source as intake records it: "osmp:qiwi" → protocol osmp, profile qiwi; "card" → card, card. */
function sourceOf(channel: string) {
  const [protocol, profile] = channel.includes(":") ? (channel.split(":", 2) as [string, string]) : [channel, channel];
  return { channel, protocol, profile };
}

/**
 * Records a missing_in_hub line as the payment the provider says it took: the same intake as any payment (one
 * insert with its outbox row, credited once by the worker), external id = the line's id, unrefusable (the money
 * moved): an unknown, closed or blocked account sends it to suspense. The line is resolved "recorded" with the
 * payment in the same transaction as the audit line. A later callback for it is then a repeat.
 */
export async function recordFromLine(intake: IntakeDeps, context: ActionContext, lineId: bigint): Promise<{ paymentId: string; outcome: Outcome["kind"] }> {
  const line = await openLine(intake.pool, lineId);
  if (line.class !== "missing_in_hub") throw new StaffActionError("not_missing_in_hub", `registry line ${lineId} is ${line.class}: only a line the hub lacks is recorded as a payment`);
  if (line.operation !== "payment") throw new StaffActionError("not_a_payment", `registry line ${lineId} is a ${line.operation}: a refund the hub lacks is resolved with a note after checking with the provider`);
  const source = sourceOf(line.channel);
  const { outcome } = await handleCommand(intake, {
    source,
    profile: { source, minKopecks: 1n, maxKopecks: 10n ** 15n, commissionBasisPoints: 0n },
    command: {
      kind: "pay",
      externalId: line.external_id,
      accountNumber: line.account,
      amountKopecks: BigInt(line.amount_kopecks),
      commissionKopecks: BigInt(line.commission_kopecks ?? "0"),
      payerAmountKopecks: undefined,
      providerTime: line.line_time ? `${line.line_date} ${line.line_time}` : line.line_date,
      request: { registryId: line.registry_id, registryLineId: line.id, recordedBy: context.actor.login },
      unrefusable: true,
    },
    requestId: context.requestId,
    answer: (answered) => ({ status: 200, contentType: "application/json", body: JSON.stringify({ outcome: answered.kind }) }),
  });
  if (outcome.kind !== "accepted" && outcome.kind !== "duplicate") {
    throw new StaffActionError("not_recorded", `the payment was not recorded (${outcome.kind}); the line stays open`);
  }
  const payment = await intake.pool.query<{ id: string }>("SELECT id::text FROM inbound_payment WHERE channel = $1 AND external_id = $2", [line.channel, line.external_id]);
  const paymentId = payment.rows[0]!.id;
  await inTransaction(intake.pool, async (sql) => {
    const updated = await sql.query(`UPDATE registry_line SET resolved_at = now(), resolved_by_id = $2, resolution = 'recorded', payment_id = $3 WHERE id = $1 AND resolved_at IS NULL RETURNING id`, [
      line.id,
      context.actor.staffId,
      paymentId,
    ]);
    // Two operators at once: intake recorded the payment once; the one whose update lost is told, as if it came second.
    if (updated.rows.length === 0) throw new StaffActionError("item_already_resolved", `registry line ${lineId} was resolved already`);
    await audit(sql, context, {
      action: "registry.record-payment",
      target: `registry-line:${line.id}`,
      detail: { registryId: line.registry_id, channel: line.channel, externalId: line.external_id, account: line.account, amount: formatRubles(BigInt(line.amount_kopecks)), paymentId, outcome: outcome.kind },
    });
  });
  return { paymentId, outcome: outcome.kind };
}

/** Resolves a registry line or a missing_in_registry item with the operator's note (what was checked and done). */
export async function resolveWithNote(pool: SqlPool, context: ActionContext, item: { kind: "line" | "missing"; id: bigint; note: string; resolution?: "note" | "transfer" }): Promise<void> {
  if (item.kind === "line") {
    const line = await openLine(pool, item.id);
    await inTransaction(pool, async (sql) => {
      const updated = await sql.query(`UPDATE registry_line SET resolved_at = now(), resolved_by_id = $2, resolution = $3, resolution_note = $4 WHERE id = $1 AND resolved_at IS NULL RETURNING id`, [
        line.id,
        context.actor.staffId,
        item.resolution ?? "note",
        item.note,
      ]);
      if (updated.rows.length === 0) throw new StaffActionError("item_already_resolved", `registry line ${item.id} was resolved already`);
      await audit(sql, context, { action: "registry.resolve-line", target: `registry-line:${line.id}`, reason: item.note, detail: { class: line.class, registryId: line.registry_id, resolution: item.resolution ?? "note" } });
    });
    return;
  }
  await inTransaction(pool, async (sql) => {
    const { rows } = await sql.query<{ id: string; closed_at: Date | null; registry_id: number }>("SELECT id::text, closed_at, registry_id FROM registry_missing WHERE id = $1 FOR UPDATE", [item.id.toString()]);
    const missing = rows[0];
    if (!missing) throw new StaffActionError("registry_item_not_found", `no missing_in_registry item ${item.id}`);
    if (missing.closed_at) throw new StaffActionError("item_already_resolved", `missing_in_registry item ${item.id} was closed already`);
    await sql.query("UPDATE registry_missing SET closed_at = now(), resolved_by_id = $2, resolution_note = $3 WHERE id = $1", [missing.id, context.actor.staffId, item.note]);
    await audit(sql, context, { action: "registry.resolve-missing", target: `registry-missing:${missing.id}`, reason: item.note, detail: { registryId: missing.registry_id } });
  });
}

/**
 * Withdraws an imported registry (a provider's corrected file replaces it): its lines stop confirming payments, its
 * open items leave the list, the missing_in_registry items its lines closed open again, and the (channel, day,
 * number) may be imported anew. What was done from it (a payment recorded from a line) stays: that is money, and
 * corrections go through transfers and suspense. Audited with the reason.
 */
export async function withdrawRegistry(pool: SqlPool, context: ActionContext, registryId: number, note: string): Promise<void> {
  await inTransaction(pool, async (sql) => {
    const { rows } = await sql.query<{ id: number; withdrawn_at: Date | null; channel: string; day: string; file_name: string }>(
      "SELECT id, withdrawn_at, channel, to_char(day, 'YYYY-MM-DD') AS day, file_name FROM registry WHERE id = $1 FOR UPDATE",
      [registryId],
    );
    const registry = rows[0];
    if (!registry) throw new StaffActionError("registry_not_found", `no registry ${registryId}`);
    if (registry.withdrawn_at) throw new StaffActionError("item_already_resolved", `registry ${registryId} was withdrawn already`);
    await sql.query("UPDATE registry SET withdrawn_at = now() WHERE id = $1", [registryId]);
    await sql.query(
      "UPDATE registry_missing SET closed_at = NULL, closed_by_line_id = NULL WHERE closed_by_line_id IN (SELECT id FROM registry_line WHERE registry_id = $1) AND resolved_by_id IS NULL",
      [registryId],
    );
    await audit(sql, context, { action: "registry.withdraw", target: `registry:${registryId}`, reason: note, detail: { channel: registry.channel, day: registry.day, fileName: registry.file_name } });
  });
}
