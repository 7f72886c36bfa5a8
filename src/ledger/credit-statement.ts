import type { SqlClient } from "../db.ts";
import { counterAccountCodeSql, ledgerCodes } from "./ledger-accounts.ts";

/**
 * Credits of accepted payments, each exactly once, in ONE SQL statement (hence one transaction and one commit for
 * all of them): claim the payments by a compare-and-set of their status, post a balanced posting "payment-credit" for
 * each (subscriber +sum, the channel's clearing account −sum, or for cash the desk's cash account), raise the cached
 * balances by each account's total, and mark their outbox rows processed. A payment intake recorded in suspense
 * (account_id NULL: an unknown, closed or blocked account a provider could not be refused for) is posted to the
 * suspense ledger account instead, and no subscriber balance changes; an operator assigns it later (src/suspense).
 *
 * Concurrency: the payments are claimed in one order, the table's (found by the primary key, a bitmap scan visits them
 * in physical order, the same for every batch), and the accounts locked in id order before their balances move, so two
 * batches never wait on each other in a cycle. The lock is FOR
 * NO KEY UPDATE, the one the balance UPDATE takes anyway: FOR UPDATE would also block the FOR KEY SHARE locks that
 * the foreign-key checks of payments being recorded for the same accounts take, and measured with the server and the
 * worker as separate processes, that stalled intake behind credits (p99 1.3 s at 500 pays/s, 62 ms without it). Two deliveries of
 * one payment serialise on its row; the loser finds it `credited` and changes nothing. The posting's UNIQUE
 * credit_of_payment_id and the per-statement zero-sum trigger are the second and third guards.
 *
 * The one posting the ledger does not write through post() (./post.ts): it runs for every payment, so it is one
 * statement; the credit worker hands it as many payments as are waiting (see
 * src/crediting/credit-batcher.ts), and a single payment is a batch of one. The benchmark executes it directly over
 * `pg` to measure the bare transaction's rate.
 */
export const CREDIT_PAYMENTS_SQL = `
WITH claimed AS (
  -- status compared as text: the (status, received_at) index cannot serve it, so the payments are found by primary
  -- key whatever the statistics. The worker's generic plan is made once per connection, often on a fresh database
  -- whose statistics make the status index look as cheap; that plan walked every accepted payment (the whole backlog)
  -- for each batch.
  UPDATE inbound_payment SET status = 'credited', credited_at = now()
  WHERE id = ANY($1::bigint[]) AND status::text = 'accepted'
  RETURNING id, channel, profile, account_id, amount_kopecks
), posting AS (
  INSERT INTO posting (kind, credit_of_payment_id, payment_id, memo)
  SELECT 'payment-credit', c.id, c.id, 'credit of payment ' || c.id || ' via ' || c.channel FROM claimed c ORDER BY c.id
  RETURNING id, credit_of_payment_id
), entries AS (
  INSERT INTO ledger_entry (posting_id, ledger_account_id, amount_kopecks)
  -- The suspense lookup is an InitPlan that COALESCE reaches only for a payment in suspense: none for the others.
  SELECT p.id, COALESCE(s.ledger_account_id, (SELECT id FROM ledger_account WHERE code = '${ledgerCodes.suspense}')), c.amount_kopecks
    FROM posting p JOIN claimed c ON c.id = p.credit_of_payment_id LEFT JOIN subscriber_account s ON s.id = c.account_id
  UNION ALL
  SELECT p.id, l.id, -c.amount_kopecks
    FROM posting p JOIN claimed c ON c.id = p.credit_of_payment_id JOIN ledger_account l ON l.code = ${counterAccountCodeSql("c")}
  RETURNING amount_kopecks
), locked AS (
  SELECT s.id FROM subscriber_account s WHERE s.id IN (SELECT account_id FROM claimed) ORDER BY s.id FOR NO KEY UPDATE
), balance AS (
  UPDATE subscriber_account s SET balance_kopecks = s.balance_kopecks + moved.kopecks, updated_at = now()
  FROM (SELECT c.account_id, sum(c.amount_kopecks) AS kopecks FROM claimed c JOIN locked ON locked.id = c.account_id GROUP BY c.account_id) AS moved
  WHERE s.id = moved.account_id
  RETURNING s.id
), processed AS (
  -- Found by the unique (topic, payment_id) index alone: a filter on processed_at IS NULL lets the planner walk the
  -- processed_at index through every unprocessed row instead, which is the whole backlog when the worker is behind.
  UPDATE outbox SET processed_at = COALESCE(processed_at, now())
  WHERE topic = 'credit' AND payment_id IN (SELECT id FROM claimed)
  RETURNING id
)
SELECT ARRAY(SELECT id::text FROM claimed) AS claimed,
       (SELECT count(*) FROM entries)::int AS entries,
       (SELECT count(*) FROM balance)::int AS balances,
       (SELECT count(DISTINCT account_id) FROM claimed)::int AS accounts`;

/** What the credit statement answers: the payments it credited, and how many rows its other steps wrote. */
export interface CreditCounts {
  claimed: string[];
  entries: number;
  balances: number;
  /** Distinct subscriber accounts among the claimed payments (those in suspense have none). */
  accounts: number;
}

export type CreditResult = "credited" | "already-done";

/**
 * The credit statement as the worker runs it: named, so each connection parses and plans it once (the worker's pool
 * forces generic plans, src/db.ts createPool; the claim is written so that its plan is a primary-key lookup).
 */
export const creditPaymentsQuery = (paymentIds: readonly (bigint | string)[]) => ({ name: "credit-payments", text: CREDIT_PAYMENTS_SQL, values: [paymentIds.map(String)] });

/** Reads the statement's answer: per payment, credited now, or found credited (or not accepted) already. */
export function creditResultsOf(paymentIds: readonly bigint[], counts: CreditCounts | undefined): Map<bigint, CreditResult> {
  const claimed = new Set(counts?.claimed ?? []);
  // The zero-sum trigger already refuses a one-legged posting; this names what was wrong if it ever got through.
  // A payment in suspense moves no subscriber balance: its entries are the suspense account's and the clearing's.
  if (counts && (counts.entries !== 2 * claimed.size || counts.balances !== counts.accounts)) {
    throw new Error(`payments ${[...claimed].join(", ")} credited with ${counts.entries} entries and ${counts.balances} balance updates for ${counts.accounts} accounts`);
  }
  return new Map(paymentIds.map((id) => [id, claimed.has(id.toString()) ? "credited" : "already-done"]));
}

/** Credits a payment inside the caller's transaction (a reversal that outruns the queued credit), same statement. */
export async function creditInTransaction(sql: SqlClient, paymentId: bigint): Promise<CreditResult> {
  const { rows } = await sql.query<CreditCounts>(CREDIT_PAYMENTS_SQL, [[paymentId.toString()]]);
  return creditResultsOf([paymentId], rows[0]).get(paymentId)!;
}
