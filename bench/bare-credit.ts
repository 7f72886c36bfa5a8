import { performance } from "node:perf_hooks";
import { createPool } from "../src/db.ts";
import { creditPaymentsQuery } from "../src/ledger/credit-statement.ts";
import { BENCH_ACCOUNTS, PAY_CHANNEL, PAY_KOPECKS, PAY_SUM, progress } from "./osmp-wire.ts";

export interface BareCreditResult {
  payments: number;
  seconds: number;
  transactionsPerSecond: number;
  /** Payments whose statement failed or did not credit each of them with two entries and its balance. */
  failures: number;
  failureSamples: string[];
}

/**
 * Accepted payments with their outbox rows, shaped like the intake's INSERT (src/payments/record-payment.ts), over
 * the same accounts as the HTTP phases so both meet the same row-lock contention on the balances.
 */
const INSERT_ACCEPTED_SQL = `
WITH accounts AS (
  SELECT id, number, (row_number() OVER (ORDER BY number) - 1)::int AS slot
  FROM subscriber_account WHERE number = ANY($3::text[])
), inserted AS (
  INSERT INTO inbound_payment (channel, protocol, profile, external_id, account_number, account_id,
    amount_kopecks, commission_kopecks, payer_amount_kopecks, provider_time, received_at, request, response, request_id)
  SELECT $4, 'osmp', 'qiwi', ($2::bigint + g)::text, a.number, a.id,
    $5::bigint, 0, NULL, to_char(now(), 'YYYYMMDDHH24MISS'), now(),
    jsonb_build_object('command', 'pay', 'txn_id', ($2::bigint + g)::text, 'account', a.number, 'sum', $6::text,
      'txn_date', to_char(now(), 'YYYYMMDDHH24MISS')),
    '<?xml version="1.0" encoding="UTF-8"?><response><result>0</result></response>', NULL
  FROM generate_series(0, $1::int - 1) AS g JOIN accounts a ON a.slot = g % $7::int
  RETURNING id
), queued AS (
  INSERT INTO outbox (topic, payment_id) SELECT 'credit', id FROM inserted
)
SELECT id FROM inserted ORDER BY id`;

/**
 * The bare crediting transaction: the credit statement (src/ledger/credit-statement.ts) executed directly by `concurrency` clients, each taking the
 * next `batch` payment ids until none is left (the worker's group commit with its statements in flight). No HTTP, no
 * Redis, no BullMQ, no Prisma: the ceiling crediting can reach.
 */
export async function runBareCredit(databaseUrl: string, payments: number, concurrency: number, batch: number, firstTxnId: number): Promise<BareCreditResult> {
  // The worker's pool: generic plans (src/db.ts createPool).
  const pool = createPool(databaseUrl, concurrency, undefined, true);
  try {
    const inserted = await pool.query<{ id: string }>(INSERT_ACCEPTED_SQL, [
      payments,
      firstTxnId,
      [...BENCH_ACCOUNTS],
      PAY_CHANNEL,
      PAY_KOPECKS,
      PAY_SUM,
      BENCH_ACCOUNTS.length,
    ]);
    const ids = inserted.rows.map((row) => row.id);
    if (ids.length !== payments) throw new Error(`phase C inserted ${ids.length} payments instead of ${payments}`);
    // Fresh statistics, as autovacuum would have them on a hub that has been running: without them the first
    // seconds plan against a table that looks nearly empty, and autovacuum's own ANALYZE lands mid-measurement.
    await pool.query("ANALYZE inbound_payment, outbox, posting, ledger_entry");
    progress(`phase C: ${payments} accepted payments inserted; crediting them with ${concurrency} clients`);

    // Connections are opened before the clock starts: the figure is about the transaction, not about connecting.
    const clients = await Promise.all(Array.from({ length: concurrency }, () => pool.connect()));
    let next = 0;
    let credited = 0;
    let failures = 0;
    const failureSamples: string[] = [];
    const fail = (what: string, payments = 1) => {
      failures += payments;
      if (failureSamples.length < 3) failureSamples.push(what);
    };
    const startedAt = performance.now();
    const ticker = setInterval(() => {
      const seconds = (performance.now() - startedAt) / 1000;
      progress(`phase C: ${seconds.toFixed(0)} s, ${credited}/${payments} credited, ${(credited / seconds).toFixed(0)} tx/s so far`);
    }, 1000);
    try {
      await Promise.all(
        clients.map(async (client) => {
          for (let start = next; start < ids.length; start = next) {
            next += batch;
            const chunk = ids.slice(start, start + batch);
            try {
              // Named, as the hub's worker prepares it: both sides plan the statement once per connection.
              const { rows } = await client.query<{ claimed: string[]; entries: number; balances: number; accounts: number }>(creditPaymentsQuery(chunk));
              const row = rows[0];
              if (row?.claimed.length === chunk.length && row.entries === 2 * chunk.length && row.balances === row.accounts) credited += chunk.length;
              else fail(`payments ${chunk[0]}…: ${JSON.stringify(row)}`, chunk.length);
            } catch (error) {
              fail(`payments ${chunk[0]}…: ${error instanceof Error ? error.message : String(error)}`, chunk.length);
            }
          }
        }),
      );
    } finally {
      clearInterval(ticker);
      for (const client of clients) client.release();
    }
    const seconds = (performance.now() - startedAt) / 1000;
    return { payments, seconds, transactionsPerSecond: credited / seconds, failures, failureSamples };
  } finally {
    await pool.end();
  }
}
