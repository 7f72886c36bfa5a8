import type { Outcome, PaymentSource, PaymentView, ReverseCommand } from "../../adapters/contract/index.ts";
import { inTransaction, type SqlClient, type SqlPool } from "../db.ts";
import { creditInTransaction } from "../ledger/credit-statement.ts";
import { counterAccountCode } from "../ledger/ledger-accounts.ts";
import { post } from "../ledger/post.ts";

/** The payment row, locked. What was reversed before is read after the lock, in statements that see it. */
interface LockedPayment {
  id: string;
  external_id: string;
  account_number: string;
  amount_kopecks: string;
  received_at: Date;
  status: string;
  channel: string;
  profile: string;
  /** Null while the payment is in suspense (src/suspense): no subscriber holds its money yet. */
  subscriber_ledger_id: number | null;
  account_id: number | null;
}

/**
 * A provider's refund, reverse or cancel of a credited payment, in one transaction: the payment row is locked, so
 * two reversals of one payment are serialised and their sum can never exceed it; the compensating posting
 * (subscriber −sum, the channel's clearing account +sum) links to the payment and to its credit posting; the cached
 * balance follows (it may go below zero: the money was already spent on service). A repeat of the same reversal key
 * changes nothing and answers like the first.
 */
export async function reversePayment(pool: SqlPool, source: PaymentSource, command: ReverseCommand): Promise<Outcome> {
  // A refusal or a repeat wrote nothing: committing it only releases the lock.
  return (await inTransaction(pool, (client) => reverseInTransaction(client, source, command))).outcome;
}

/**
 * The reversal inside a transaction the caller opened and commits (a cashier's storno adds its own records to it).
 * `reversalId` is set when this call posted the reversal.
 */
export async function reverseInTransaction(client: SqlClient, source: PaymentSource, command: ReverseCommand): Promise<{ outcome: Outcome; reversalId?: bigint }> {
  const { rows } = await client.query<LockedPayment>(
    `SELECT p.id, p.external_id, p.account_number, p.amount_kopecks, p.received_at, p.status::text AS status, p.channel, p.profile,
       s.ledger_account_id AS subscriber_ledger_id, s.id AS account_id
     FROM inbound_payment p LEFT JOIN subscriber_account s ON s.id = p.account_id
     WHERE p.channel = $1 AND p.external_id = $2
     FOR UPDATE OF p`,
    [source.channel, command.reference],
  );
  const row = rows[0];
  if (!row) return { outcome: { kind: "paymentNotFound" } };
  const payment: PaymentView = {
    id: BigInt(row.id),
    externalId: row.external_id,
    accountNumber: row.account_number,
    amountKopecks: BigInt(row.amount_kopecks),
    receivedAt: row.received_at,
  };
  const known = await client.query<{ amount_kopecks: string; provider_time: string | null }>(
    "SELECT amount_kopecks, provider_time FROM payment_reversal WHERE payment_id = $1::bigint AND reversal_key = $2",
    [row.id, command.reversalKey],
  );
  if (!known.rows[0] && row.status === "accepted") {
    // Only money that reached the ledger can go back. An accepted payment's credit is seconds away in the queue: the
    // reversal does it now, with the worker's own statement, in this transaction (the payment row is locked); the
    // worker's delivery then finds it credited and changes nothing. No provider has to repeat its refund for it.
    await creditInTransaction(client, BigInt(row.id));
    row.status = "credited";
  }
  if (known.rows[0]) {
    const first = known.rows[0];
    // The same signed reversal with another (unsigned) time: a replay, or a second reversal of the same amount that
    // the signed fields cannot tell apart. Posted once; an operator confirms with the provider whether there were two.
    const flag =
      command.providerTime !== undefined && first.provider_time !== null && command.providerTime !== first.provider_time
        ? `${command.reason} "${command.reversalKey}" of payment ${row.id} came again with another time than its first (${first.provider_time}): taken back once; ask the provider whether there were two`
        : undefined;
    return { outcome: { kind: "reversed", payment, amountKopecks: BigInt(first.amount_kopecks), repeat: true, ...(flag ? { flag } : {}) } };
  }
  const history = await client.query<{ credit_posting_id: string | null; reversed_kopecks: string; transferred_kopecks: string }>(
    `SELECT (SELECT id FROM posting WHERE credit_of_payment_id = $1::bigint) AS credit_posting_id,
       (SELECT COALESCE(SUM(amount_kopecks), 0)::bigint FROM payment_reversal WHERE payment_id = $1::bigint) AS reversed_kopecks,
       (SELECT COALESCE(SUM(amount_kopecks), 0)::bigint FROM transfer_request
         WHERE payment_id = $1::bigint AND status = 'approved') AS transferred_kopecks`,
    [row.id],
  );
  const { credit_posting_id: creditPostingId, reversed_kopecks: reversedKopecks, transferred_kopecks: transferredKopecks } = history.rows[0]!;
  const refuse = (reason: string) => ({ outcome: { kind: "operationRefused" as const, payment, reason } });
  if (row.status !== "credited" || creditPostingId === null) return refuse(`the payment is ${row.status}, not credited`);
  // Its money sits in the suspense account, not a subscriber's: an operator assigns it first (then it reverses as usual).
  if (row.account_id === null) return refuse("the payment is in suspense: assign or resolve it first");
  // What is left on the account it was credited to: money staff moved to another account by an approved transfer
  // is not there to take back (the transfer approval locks the same payment row, so the two cannot interleave).
  // The provider's retry succeeds once an operator reverses the transfer.
  const transferred = BigInt(transferredKopecks);
  const left = payment.amountKopecks - BigInt(reversedKopecks) - transferred;
  if (command.cumulativeKopecks !== undefined) {
    // The provider's own total: what payhub has not reversed of it yet, decided under the lock.
    const missing = command.cumulativeKopecks - BigInt(reversedKopecks);
    if (missing <= 0n) return { outcome: { kind: "reversed", payment, amountKopecks: 0n, repeat: true } };
    if (command.cumulativeKopecks > payment.amountKopecks) return refuse(`the provider reports ${command.cumulativeKopecks} kopecks reversed of a payment of ${payment.amountKopecks}`);
  }
  const amount = command.cumulativeKopecks !== undefined ? command.cumulativeKopecks - BigInt(reversedKopecks) : (command.amountKopecks ?? left);
  const movedAway = transferred > 0n ? ` (${transferred} kopecks were moved to another account by an approved transfer: reverse the transfer first)` : "";
  if (amount <= 0n) return refuse(`nothing is left of the payment to reverse${movedAway}`);
  if (amount > left) return refuse(`${amount} kopecks asked, only ${left} of ${payment.amountKopecks} left to reverse${movedAway}`);

  // The subscriber gives back what the channel's clearing account (or the desk's cash) takes back.
  const postingId = await post(client, {
    kind: command.reason === "storno" ? "cash-storno" : "provider-reversal",
    paymentId: payment.id,
    reversesPostingId: BigInt(creditPostingId),
    memo: `${command.reason} of payment ${row.id} via ${row.channel} (${command.reversalKey})`,
    entries: [
      { ledgerAccount: row.subscriber_ledger_id!, amountKopecks: -amount },
      { ledgerAccount: counterAccountCode(row.channel, row.profile), amountKopecks: amount },
    ],
  });
  const reversal = await client.query<{ id: string }>(
    `INSERT INTO payment_reversal (payment_id, reversal_key, amount_kopecks, reason, posting_id, provider_time, request)
     VALUES ($1::bigint, $2, $3::bigint, $4, $5::bigint, $6, $7::jsonb) RETURNING id`,
    [row.id, command.reversalKey, amount, command.reason, postingId, command.providerTime ?? null, command.request ? JSON.stringify(command.request) : null],
  );
  return { outcome: { kind: "reversed", payment, amountKopecks: amount, repeat: false }, reversalId: BigInt(reversal.rows[0]!.id) };
}
