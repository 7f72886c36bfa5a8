import { type Command, type Outcome, type PaymentSource } from "../../adapters/contract/index.ts";
import { formatRubles } from "../../lib/money.ts";
import type { Db, SqlPool } from "../db.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { StaffActionError, type ActionContext } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";

/**
 * Intake incidents: what an operator must look at because a provider says money moved and payhub did not take it as
 * sent (rule 2 of issue 9: a log line alone is not a record). Listed on the console and under /api/operations, counted
 * in /metrics (payhub_intake_incidents_open), resolved by an operator with a note.
 */
export const INCIDENT_KINDS = {
  /** A known external id repeated with another account or sum. */
  conflict: "conflict",
  /** A payment or confirmation the provider made that payhub refused (after expiry, for a closed order, another amount, a step its table forbids). */
  moneyRefused: "money-refused",
  /** A payment amount a notification channel delivered outside the channel's limits: the money is at the provider. */
  outOfLimits: "out-of-limits",
  /** A provider's refund or reversal payhub could not post (more than is left, a payment in suspense, moved by a transfer). */
  reversalRefused: "reversal-refused",
  /** A reversal repeated with an unsigned field changed: a replay, or a second reversal the signed fields cannot tell apart. Posted once. */
  possibleSecondReversal: "possible-second-reversal",
  /** A status report contradicting what the payment already is (a failure after a success, a pending after either), or a provider id paired with another payment or amount. */
  statusContradiction: "status-contradiction",
  /** Money moved (or did not) on a field the provider does not sign: an operator confirms with the provider. */
  toConfirm: "to-confirm",
} as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[keyof typeof INCIDENT_KINDS];

export interface IncidentInput {
  kind: IncidentKind;
  channel: string;
  externalId: string;
  paymentId: bigint | undefined;
  detail: string;
  request: Record<string, unknown>;
  requestId: string | undefined;
}

/**
 * Records an incident, once: a provider that keeps re-sending the same request, even concurrently, does not bury the
 * operator under copies (the same kind, payment and detail while unresolved: a partial unique index). Answers whether this call recorded it. On the caller's
 * connection, so that intake running inside a transaction (the cash desk) needs no second one.
 */
export async function recordIncident(pool: SqlPool, incident: IncidentInput): Promise<boolean> {
  const { rows } = await pool.query<{ id: string }>({
    name: "intake-record-incident",
    text: `INSERT INTO intake_incident (kind, channel, external_id, payment_id, detail, request, request_id)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
           ON CONFLICT (kind, channel, external_id, md5(detail)) WHERE resolved_at IS NULL DO NOTHING
           RETURNING id`,
    values: [incident.kind, incident.channel, incident.externalId, incident.paymentId ?? null, incident.detail.slice(0, 2000), JSON.stringify(incident.request), incident.requestId ?? null],
  });
  return rows.length > 0;
}

/** Commands in which the provider tells of money it moved (or of a payment's fate): refusing them must leave a record. */
const MONEY_WORD: Partial<Record<Command["kind"], IncidentKind>> = {
  pay: INCIDENT_KINDS.moneyRefused,
  confirm: INCIDENT_KINDS.moneyRefused,
  reverse: INCIDENT_KINDS.reversalRefused,
  close: INCIDENT_KINDS.statusContradiction,
  stillPending: INCIDENT_KINDS.statusContradiction,
};

/**
 * The incident an outcome calls for, if any: a refused step in which the provider said money moved, a notification's
 * payment refused for its sum, or a step done safely that an operator should still confirm (`flag`). Conflicts are flagged where they are found (repeated-payment.ts), and a
 * reconcile's own steps by the commands it runs (src/card/poll-orders.ts).
 */
export function incidentFor(
  source: PaymentSource,
  command: Command,
  outcome: Outcome,
  requestId: string | undefined,
  received: Record<string, unknown> | undefined,
): IncidentInput | undefined {
  const base = {
    channel: source.channel,
    externalId: command.externalId ?? ("reference" in command ? command.reference : ""),
    request: received ?? ("request" in command && command.request ? command.request : { command: command.kind, ...("reference" in command ? { reference: command.reference } : {}) }),
    requestId,
  };
  if (outcome.kind === "operationRefused") {
    const kind = MONEY_WORD[command.kind];
    if (!kind) return undefined;
    return { ...base, kind, paymentId: outcome.payment.id === 0n ? undefined : outcome.payment.id, detail: `${command.kind} refused: ${outcome.reason}` };
  }
  if (outcome.kind === "reversed" && outcome.flag) return { ...base, kind: INCIDENT_KINDS.possibleSecondReversal, paymentId: outcome.payment.id, detail: outcome.flag };
  if (outcome.kind === "confirmed" && outcome.flag) return { ...base, kind: INCIDENT_KINDS.toConfirm, paymentId: outcome.payment.id, detail: outcome.flag };
  if (outcome.kind === "acknowledged" && outcome.flag) return { ...base, kind: INCIDENT_KINDS.toConfirm, paymentId: undefined, detail: outcome.flag };
  if (command.kind === "pay" && command.unrefusable && (outcome.kind === "amountTooSmall" || outcome.kind === "amountTooLarge")) {
    const limit = outcome.kind === "amountTooSmall" ? `below the minimum ${formatRubles(outcome.minKopecks)}` : `above the maximum ${formatRubles(outcome.maxKopecks)}`;
    return {
      ...base,
      kind: INCIDENT_KINDS.outOfLimits,
      paymentId: undefined,
      detail: `${formatRubles(command.amountKopecks)} rubles for account ${command.accountNumber} is ${limit}: refused, though the provider already holds the money`,
    };
  }
  return undefined;
}

export interface IncidentView {
  id: bigint;
  kind: string;
  channel: string;
  externalId: string;
  paymentId: bigint | null;
  detail: string;
  request: unknown;
  requestId: string | null;
  createdAt: Date;
  resolution: { at: Date; by: string | null; note: string } | null;
}

type IncidentRecord = Awaited<ReturnType<typeof findIncidents>>[number];

function findIncidents(db: Db, where: Prisma.IntakeIncidentWhereInput, take: number) {
  return db.intakeIncident.findMany({ where, take, orderBy: { id: where.resolvedAt === null ? "asc" : "desc" }, include: { resolvedBy: { select: { login: true } } } });
}

function incidentView(row: IncidentRecord): IncidentView {
  return {
    id: row.id,
    kind: row.kind,
    channel: row.channel,
    externalId: row.externalId,
    paymentId: row.paymentId,
    detail: row.detail,
    request: row.request,
    requestId: row.requestId,
    createdAt: row.createdAt,
    resolution: row.resolvedAt ? { at: row.resolvedAt, by: row.resolvedBy?.login ?? null, note: row.resolutionNote ?? "" } : null,
  };
}

/** Open incidents oldest first (the queue to work through); resolved ones latest first. */
export async function listIncidents(db: Db, filter: { status: "open" | "resolved"; kind?: string; limit: number }): Promise<IncidentView[]> {
  const where: Prisma.IntakeIncidentWhereInput = { resolvedAt: filter.status === "open" ? null : { not: null }, ...(filter.kind ? { kind: filter.kind } : {}) };
  return (await findIncidents(db, where, filter.limit)).map(incidentView);
}

export async function getIncident(db: Db, id: bigint): Promise<IncidentView | undefined> {
  const [row] = await findIncidents(db, { id }, 1);
  return row ? incidentView(row) : undefined;
}

/**
 * An operator resolves an incident with a note saying what was done (credited by a transfer, confirmed with the
 * provider, nothing to do). Moves no money: corrections are made with their own tools. Audited in the same
 * transaction; a second resolution is refused.
 */
export async function resolveIncident(db: Db, context: ActionContext, input: { id: bigint; note: string }): Promise<IncidentView> {
  await db.$transaction(async (tx) => {
    const resolved = await tx.intakeIncident.updateMany({
      where: { id: input.id, resolvedAt: null },
      data: { resolvedAt: new Date(), resolvedById: context.actor.staffId, resolutionNote: input.note },
    });
    if (resolved.count === 0) {
      const exists = await tx.intakeIncident.findUnique({ where: { id: input.id }, select: { id: true } });
      throw exists ? new StaffActionError("already_resolved", `incident ${input.id} is already resolved`) : new StaffActionError("incident_not_found", `no incident ${input.id}`);
    }
    await audit(tx, context, { action: "incident.resolve", target: `incident:${input.id}`, reason: input.note });
  });
  return (await getIncident(db, input.id))!;
}

/** Open incidents by kind, for /metrics and the console's health page. */
export async function openIncidentCounts(db: Db): Promise<Record<string, number>> {
  const rows = await db.intakeIncident.groupBy({ by: ["kind"], where: { resolvedAt: null }, _count: { _all: true } });
  return Object.fromEntries(rows.map((row) => [row.kind, row._count._all]));
}
