import { prismaTransactionClient, type Db, type SqlClient } from "../db.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { ActionContext } from "./actor.ts";

/** Where an audit line is written: the Prisma client, a Prisma transaction, or a pg connection inside a transaction. */
type AuditWriter = Pick<Db, "$queryRawUnsafe"> | Prisma.TransactionClient | SqlClient;

export interface AuditRecord {
  action: string;
  target?: string;
  reason?: string;
  detail?: Record<string, unknown>;
}

const INSERT_AUDIT_SQL = `
  INSERT INTO audit_entry (staff_id, actor, action, target, reason, detail, ip, request_id)
  VALUES ($1::int, $2, $3, $4, $5, $6::jsonb, $7, $8)`;

/**
 * Appends one line to the audit log: who (staff id and login), what (action and target), when, from where (ip and
 * request id), why (reason). Pass the transaction (Prisma's, or the pg connection of one) when the action itself is
 * a transaction, so the record and the action commit together. Secrets never go into `detail`.
 */
export async function audit(db: AuditWriter, context: ActionContext, record: AuditRecord): Promise<void> {
  const sql = "query" in db ? db : prismaTransactionClient(db);
  await sql.query(INSERT_AUDIT_SQL, [
    context.actor.staffId,
    context.actor.login,
    record.action,
    record.target ?? null,
    record.reason ?? null,
    JSON.stringify(record.detail ?? {}),
    context.ip,
    context.requestId ?? null,
  ]);
}
