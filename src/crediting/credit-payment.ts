import type { SqlPool } from "../db.ts";
import { counterAccountCodeSql, ledgerCodes } from "../ledger/ledger-accounts.ts";

/**
 * Credits one accepted payment, exactly once, in ONE SQL statement (hence one transaction): claim the payment by a
 * compare-and-set of its status, post a balanced posting (subscriber +sum, the channel's clearing account −sum, or
 * for cash the desk's cash account),
 * raise the cached balance, and mark the outbox row processed. A payment intake recorded in suspense (account_id
 * NULL: an unknown, closed or blocked account a provider could not be refused for) is posted to the suspense ledger
 * account instead, and no subscriber balance changes; an operator assigns it later (src/suspense). Two workers
 * crediting the same payment serialise on the payment row; the loser finds the status already `credited` and changes nothing. The posting's
 * UNIQUE credit_of_payment_id and the deferred zero-sum trigger are the second and third guards.
 *
 * The benchmark executes this same statement directly over `pg` to measure the bare transaction's rate.
 */
export const CREDIT_PAYMENT_SQL = `
WITH claimed AS (
  UPDATE inbound_payment SET status = 'credited', credited_at = now()
  WHERE id = $1 AND status = 'accepted'
  RETURNING id, channel, profile, account_id, amount_kopecks
), posting AS (
  INSERT INTO posting (kind, credit_of_payment_id, payment_id, memo)
  SELECT 'payment-credit', c.id, c.id, 'credit of payment ' || c.id || ' via ' || c.channel FROM claimed c
  RETURNING id
), entries AS (
  INSERT INTO ledger_entry (posting_id, ledger_account_id, amount_kopecks)
  -- The suspense lookup is an InitPlan that COALESCE reaches only for a payment in suspense: none for the others.
  SELECT p.id, COALESCE(s.ledger_account_id, (SELECT id FROM ledger_account WHERE code = '${ledgerCodes.suspense}')), c.amount_kopecks
    FROM posting p CROSS JOIN claimed c LEFT JOIN subscriber_account s ON s.id = c.account_id
  UNION ALL
  SELECT p.id, l.id, -c.amount_kopecks
    FROM posting p CROSS JOIN claimed c JOIN ledger_account l ON l.code = ${counterAccountCodeSql("c")}
  RETURNING amount_kopecks
), balance AS (
  UPDATE subscriber_account s SET balance_kopecks = s.balance_kopecks + c.amount_kopecks, updated_at = now()
  FROM claimed c WHERE s.id = c.account_id
  RETURNING s.id
), processed AS (
  UPDATE outbox SET processed_at = now()
  WHERE topic = 'credit' AND payment_id = $1 AND processed_at IS NULL
  RETURNING id
)
SELECT (SELECT count(*) FROM claimed)::int AS claimed,
       (SELECT count(*) FROM entries)::int AS entries,
       (SELECT count(*) FROM balance)::int AS balances,
       (SELECT count(*) FROM claimed WHERE account_id IS NULL)::int AS suspense`;

export type CreditResult = "credited" | "already-done";

/** Credits one payment: a named prepared statement, so PostgreSQL plans this CTE once per connection. */
export async function creditPayment(pool: SqlPool, paymentId: bigint): Promise<CreditResult> {
  const { rows } = await pool.query<{ claimed: number; entries: number; balances: number; suspense: number }>({
    name: "credit-payment",
    text: CREDIT_PAYMENT_SQL,
    values: [paymentId],
  });
  const result = rows[0];
  if (!result || result.claimed === 0) return "already-done";
  // The zero-sum trigger already refuses a one-legged posting; this names what was wrong if it ever got through.
  // A payment in suspense moves no subscriber balance: its entries are the suspense account's and the clearing's.
  if (result.entries !== 2 || result.balances !== 1 - result.suspense) {
    throw new Error(`payment ${paymentId} credited with ${result.entries} entries and ${result.balances} balance updates`);
  }
  return "credited";
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
