import { formatRubles } from "../../lib/money.ts";
import { inTransaction, type SqlPool } from "../db.ts";
import type { ActionContext } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import { parseBankStatement1C } from "./bank-statement-1c.ts";
import { documentKey, findSettlement, DEFAULT_SETTLEMENT_RULES, type SettlementRules } from "./settlement.ts";

/**
 * The bank statement side of the three-way reconciliation: a 1C client-bank statement (1CClientBankExchange) is
 * parsed, and each registry still waiting for its transfer (pending or not found before) looks for it among the
 * statement's incoming documents: by the payment order its registry names, else by payer and purpose (REGISTRIES.md
 * §5). A transfer differing from total − commission is settlement_mismatch with the difference. Nothing moves money.
 */

export interface SettlementLine {
  registryId: number;
  channel: string;
  day: string;
  status: string;
  expected: string;
  found?: string;
  difference?: string;
  document?: { number: string; date: string; payer: string; purpose: string };
}

export type StatementAnswer =
  | { status: "accepted"; statement: { account: string; from: string; to: string; documents: number; incoming: number }; settlements: SettlementLine[] }
  | { status: "rejected"; reason: string; line?: number; message: string };

export async function importStatement(pool: SqlPool, context: ActionContext, request: { fileName: string; bytes: Buffer }, rules: SettlementRules = DEFAULT_SETTLEMENT_RULES): Promise<StatementAnswer> {
  const parsed = parseBankStatement1C(request.bytes);
  if (!parsed.ok) return { status: "rejected", reason: parsed.reason, line: parsed.line, message: parsed.message };
  const { statement } = parsed;
  const incoming = statement.documents.filter((document) => document.direction === "in");
  return inTransaction(pool, async (sql) => {
    await sql.query("SELECT pg_advisory_xact_lock(hashtext('payhub:registry-settlement'))");
    const { rows } = await sql.query<{
      id: number;
      channel: string;
      day: string;
      total_kopecks: string;
      commission_kopecks: string | null;
      payment_order_number: string | null;
      payment_order_date: string | null;
    }>(
      `SELECT id, channel, to_char(day, 'YYYY-MM-DD') AS day, total_kopecks::text, commission_kopecks::text, payment_order_number,
              to_char(payment_order_date, 'YYYY-MM-DD') AS payment_order_date
       FROM registry WHERE withdrawn_at IS NULL AND settlement_status IN ('pending', 'not_found') ORDER BY day, id`,
    );
    const taken = await sql.query<{ key: string }>("SELECT settlement_document->>'key' AS key FROM registry WHERE settlement_document ? 'key'");
    const exclude = new Set(taken.rows.map((row) => row.key));
    const settlements: SettlementLine[] = [];
    for (const registry of rows) {
      const result = findSettlement(
        {
          channel: registry.channel,
          day: registry.day,
          totals: {
            count: 0,
            amountKopecks: BigInt(registry.total_kopecks),
            ...(registry.commission_kopecks !== null ? { commissionKopecks: BigInt(registry.commission_kopecks) } : {}),
            ...(registry.payment_order_number !== null && registry.payment_order_date !== null ? { paymentOrder: { number: registry.payment_order_number, date: registry.payment_order_date } } : {}),
          },
        },
        {},
        incoming,
        rules,
        { exclude },
      );
      if (result.status === "not_applicable") continue;
      const line: SettlementLine = { registryId: registry.id, channel: registry.channel, day: registry.day, status: result.status, expected: formatRubles(result.expectedKopecks) };
      if (result.status === "matched" || result.status === "mismatch") {
        const key = documentKey(result.document);
        exclude.add(key);
        const document = { key, number: result.document.number, date: result.document.date, payer: result.document.payerName, payerInn: result.document.payerInn, purpose: result.document.purpose, amount: formatRubles(result.document.amountKopecks), foundBy: result.foundBy };
        await sql.query("UPDATE registry SET settlement_status = $2, settlement_found_kopecks = $3, settlement_document = $4::jsonb WHERE id = $1", [
          registry.id,
          result.status,
          result.foundKopecks.toString(),
          JSON.stringify(document),
        ]);
        Object.assign(line, {
          found: formatRubles(result.foundKopecks),
          difference: formatRubles(result.differenceKopecks),
          document: { number: document.number, date: document.date, payer: document.payer, purpose: document.purpose },
        });
      } else {
        await sql.query("UPDATE registry SET settlement_status = 'not_found' WHERE id = $1", [registry.id]);
      }
      settlements.push(line);
    }
    await audit(sql, context, {
      action: "registry.import-statement",
      target: `statement:${statement.account}:${statement.from}..${statement.to}`,
      detail: { fileName: request.fileName, documents: statement.documents.length, settled: settlements.filter((line) => line.status !== "not_found").map((line) => line.registryId) },
    });
    return { status: "accepted", statement: { account: statement.account, from: statement.from, to: statement.to, documents: statement.documents.length, incoming: incoming.length }, settlements };
  });
}
