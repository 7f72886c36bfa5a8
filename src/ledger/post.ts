import type { SqlClient } from "../db.ts";

/**
 * The ledger's one writer: every movement of money is a posting with its entries, and the cached balance of every
 * subscriber account among them moves by its entries in the same statement. Crediting posts with its own single
 * statement (./credit-statement.ts, the hot path); provider reversals, cash storno, transfers and their reversals and
 * suspense assignment post here.
 *
 * Guards, outermost first: post() refuses an unbalanced or one-legged posting before anything is sent; the database
 * refuses one in the statement that inserts it (the per-statement trigger ledger_entry_postings_balanced: a posting's
 * entries balance within the statement that writes them) and refuses any change to a posting or
 * an entry afterwards (append-only triggers). Every posting gets its billing notification row from a trigger on
 * posting, in the same transaction.
 */

/** What a posting is: the billing notification's `event` and the console's label. */
export type PostingKind = "payment-credit" | "provider-reversal" | "cash-storno" | "transfer" | "transfer-reversal" | "suspense-assignment";

export interface EntryInput {
  /** The ledger account: its id (a subscriber's, from subscriber_account.ledger_account_id) or its code (ledgerCodes). */
  ledgerAccount: number | string;
  /** Signed: positive raises the account's balance. */
  amountKopecks: bigint;
}

export interface PostingInput {
  kind: PostingKind;
  /** The payment the posting concerns (a credit, a refund, a transfer out of it). */
  paymentId?: bigint;
  /** Only a payment's credit: UNIQUE, so a payment is credited once. */
  creditOfPaymentId?: bigint;
  /** A correction: the posting it compensates. */
  reversesPostingId?: bigint;
  memo: string;
  /** At least two, summing to zero; written in this order. */
  entries: EntryInput[];
}

/** A posting refused before it reached the database: nothing was written. */
export class UnbalancedPostingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnbalancedPostingError";
  }
}

/** The entries' refusal, if any: fewer than two legs, or a sum other than zero. */
export function entriesProblem(entries: readonly EntryInput[]): string | undefined {
  if (entries.length < 2) return `a posting has at least two entries, not ${entries.length}`;
  const total = entries.reduce((sum, entry) => sum + entry.amountKopecks, 0n);
  return total === 0n ? undefined : `its entries sum to ${total} kopecks instead of 0`;
}

/**
 * The statement for a posting of `count` entries: the posting, its entries and the cached balances, in ONE statement
 * (so it is atomic even outside a transaction, and costs one round trip). Parameters: $1 kind, $2 payment id, $3
 * credit-of payment id, $4 reversed posting id, $5 memo, then per entry its ledger account id, its code and its
 * amount (id or code: the other is NULL). An unknown code leaves the entry's account NULL, which the NOT NULL column
 * refuses, so the statement writes nothing. A subscriber's balance moves by the sum of its entries (an account named
 * twice moves once, by both).
 */
function postingStatement(count: number): string {
  const lines = Array.from({ length: count }, (_, index) => {
    const at = 6 + index * 3;
    return `(${index + 1}, COALESCE($${at}::int, (SELECT id FROM ledger_account WHERE code = $${at + 1}::text)), $${at + 2}::bigint)`;
  });
  return `
WITH posting AS (
  INSERT INTO posting (kind, payment_id, credit_of_payment_id, reverses_posting_id, memo)
  VALUES ($1, $2::bigint, $3::bigint, $4::bigint, $5)
  RETURNING id
), lines (line, ledger_account_id, amount_kopecks) AS (
  VALUES ${lines.join(",\n    ")}
), entries AS (
  INSERT INTO ledger_entry (posting_id, ledger_account_id, amount_kopecks)
  SELECT p.id, l.ledger_account_id, l.amount_kopecks FROM posting p CROSS JOIN lines l ORDER BY l.line
  RETURNING ledger_account_id, amount_kopecks
), balances AS (
  UPDATE subscriber_account s SET balance_kopecks = s.balance_kopecks + m.amount_kopecks, updated_at = now()
  FROM (SELECT ledger_account_id, SUM(amount_kopecks)::bigint AS amount_kopecks FROM entries GROUP BY ledger_account_id) m
  WHERE s.ledger_account_id = m.ledger_account_id
  RETURNING s.id
)
SELECT (SELECT id FROM posting) AS id, (SELECT count(*) FROM entries)::int AS entries, (SELECT count(*) FROM balances)::int AS balances`;
}

const statements = new Map<number, string>();

/**
 * Posts a balanced posting with its entries and moves the cached balance of every subscriber account among them, in
 * the caller's transaction (or alone, atomically). Answers the posting's id. Locks: the balance update takes the row
 * lock of each subscriber account it moves; a caller that moves two subscribers locks them first, in its own order.
 */
export async function post(sql: SqlClient, posting: PostingInput): Promise<bigint> {
  const problem = entriesProblem(posting.entries);
  if (problem) throw new UnbalancedPostingError(`${posting.kind} posting "${posting.memo}" refused: ${problem}`);
  let text = statements.get(posting.entries.length);
  if (text === undefined) statements.set(posting.entries.length, (text = postingStatement(posting.entries.length)));
  const id = (value: bigint | undefined) => (value === undefined ? null : value.toString());
  const { rows } = await sql.query<{ id: bigint | string; entries: number }>(text, [
    posting.kind,
    id(posting.paymentId),
    id(posting.creditOfPaymentId),
    id(posting.reversesPostingId),
    posting.memo,
    ...posting.entries.flatMap((entry) =>
      typeof entry.ledgerAccount === "number" ? [entry.ledgerAccount, null, entry.amountKopecks.toString()] : [null, entry.ledgerAccount, entry.amountKopecks.toString()],
    ),
  ]);
  const written = rows[0];
  // Cannot happen (the statement inserts every line or fails): says what was wrong if it ever did.
  if (!written || written.entries !== posting.entries.length) {
    throw new Error(`${posting.kind} posting "${posting.memo}" wrote ${written?.entries ?? 0} of its ${posting.entries.length} entries`);
  }
  return BigInt(written.id);
}
