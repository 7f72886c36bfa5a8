import type { SqlPool } from "../db.ts";
import { creditPaymentsQuery, creditResultsOf, type CreditCounts, type CreditResult } from "../ledger/credit-statement.ts";

/**
 * Credits accepted payments, each exactly once: the ledger's one-statement credit (claims, postings, balances, outbox
 * rows) for all of them in one statement.
 */
export async function creditPayments(pool: SqlPool, paymentIds: readonly bigint[]): Promise<Map<bigint, CreditResult>> {
  const { rows } = await pool.query<CreditCounts>(creditPaymentsQuery(paymentIds));
  return creditResultsOf(paymentIds, rows[0]);
}

/** Credits one accepted payment: a batch of one. */
export async function creditPayment(pool: SqlPool, paymentId: bigint): Promise<CreditResult> {
  return (await creditPayments(pool, [paymentId])).get(paymentId)!;
}

/** Marks a payment whose crediting failed permanently, for an operator to see and retry. */
export const MARK_FAILED_SQL = `
UPDATE inbound_payment SET status = 'failed', failed_at = now(), failure_reason = $2
WHERE id = $1 AND status = 'accepted'`;

/** An operator's retry: a failed payment becomes accepted again and its outbox row unprocessed. */
export const RETRY_FAILED_SQL = `
WITH retried AS (
  UPDATE inbound_payment SET status = 'accepted', failed_at = NULL, failure_reason = NULL
  WHERE id = $1 AND status = 'failed' RETURNING id
)
UPDATE outbox SET processed_at = NULL, created_at = now()
WHERE topic = 'credit' AND payment_id IN (SELECT id FROM retried) RETURNING payment_id`;
