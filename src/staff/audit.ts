import type { Db } from "../db.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { ActionContext } from "./actor.ts";

type AuditWriter = Pick<Db, "auditEntry"> | Prisma.TransactionClient;

export interface AuditRecord {
  action: string;
  target?: string;
  reason?: string;
  detail?: Record<string, unknown>;
}

/**
 * Appends one line to the audit log: who (staff id and login), what (action and target), when, from where (ip and
 * request id), why (reason). Pass the transaction client when the action itself is a transaction, so the record
 * and the action commit together. Secrets never go into `detail`.
 */
export async function audit(db: AuditWriter, context: ActionContext, record: AuditRecord): Promise<void> {
  await db.auditEntry.create({
    data: {
      staffId: context.actor.staffId,
      actor: context.actor.login,
      action: record.action,
      target: record.target ?? null,
      reason: record.reason ?? null,
      detail: (record.detail ?? {}) as Prisma.InputJsonValue,
      ip: context.ip,
      requestId: context.requestId ?? null,
    },
  });
}
