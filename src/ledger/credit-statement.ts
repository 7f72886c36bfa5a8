import type { SqlClient } from "../db.ts";
import { counterAccountCodeSql, ledgerCodes } from "./ledger-accounts.ts";

/**
 * A payment's credit, exactly once, in ONE SQL statement (hence one transaction): claim the payment by a
 * compare-and-set of its status, post a balanced posting "payment-credit" (subscriber +sum, the channel's clearing
 * account −sum, or for cash the desk's cash account), raise the cached balance, and mark the outbox row processed. A
 * payment intake recorded in suspense (account_id NULL: an unknown, closed or blocked account a provider could not be
 * refused for) is posted to the suspense ledger account instead, and no subscriber balance changes; an operator
 * assigns it later (src/suspense). Two workers crediting the same payment serialise on the payment row; the loser
 * finds the status already `credited` and changes nothing. The posting's UNIQUE credit_of_payment_id and the deferred
 * zero-sum trigger are the second and third guards.
 *
 * The one posting the ledger does not write through post() (./post.ts): it runs for every payment, so it is one
 * statement, prepared once per connection (`creditPaymentQuery`); the benchmark executes this same statement directly
 * over `pg` to measure the bare transaction's rate.
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

/** What the credit statement answers: how many rows each of its steps wrote. */
export interface CreditCounts {
  claimed: number;
  entries: number;
  balances: number;
  suspense: number;
}

export type CreditResult = "credited" | "already-done";

/** The credit statement as a named prepared statement over pg, so PostgreSQL plans this CTE once per connection. */
export const creditPaymentQuery = (paymentId: bigint) => ({ name: "credit-payment", text: CREDIT_PAYMENT_SQL, values: [paymentId] });

/** Reads the statement's answer: credited now, or found credited (or not accepted) already. */
export function creditResultOf(paymentId: bigint, counts: CreditCounts | undefined): CreditResult {
  if (!counts || counts.claimed === 0) return "already-done";
  // The zero-sum trigger already refuses a one-legged posting; this names what was wrong if it ever got through.
  // A payment in suspense moves no subscriber balance: its entries are the suspense account's and the clearing's.
  if (counts.entries !== 2 || counts.balances !== 1 - counts.suspense) {
    throw new Error(`payment ${paymentId} credited with ${counts.entries} entries and ${counts.balances} balance updates`);
  }
  return "credited";
}

/** Credits a payment inside the caller's transaction (a reversal that outruns the queued credit), same statement. */
export async function creditInTransaction(sql: SqlClient, paymentId: bigint): Promise<CreditResult> {
  const { rows } = await sql.query<CreditCounts>(CREDIT_PAYMENT_SQL, [paymentId]);
  return creditResultOf(paymentId, rows[0]);
}
