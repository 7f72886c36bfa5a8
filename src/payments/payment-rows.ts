import type { PaymentState, PaymentView } from "../../adapters/contract/index.ts";
import type { SqlClient, SqlPool } from "../db.ts";

/** An inbound payment as `pg` returns it: int8 columns arrive as decimal strings and are read with BigInt. */
export interface PaymentRow {
  id: string;
  external_id: string;
  account_number: string;
  amount_kopecks: string;
  received_at: Date;
  status: PaymentState["status"];
}

const FIND_PAYMENT_SQL = `
  SELECT id, external_id, account_number, amount_kopecks, received_at, status::text AS status
  FROM inbound_payment WHERE channel = $1 AND external_id = $2`;

export async function findPayment(pool: SqlPool | SqlClient, channel: string, externalId: string): Promise<PaymentRow | undefined> {
  const result = await (pool as SqlPool).query<PaymentRow>({ name: "intake-find-payment", text: FIND_PAYMENT_SQL, values: [channel, externalId] });
  return result.rows[0];
}

export function paymentViewOf(row: PaymentRow): PaymentView {
  return {
    id: BigInt(row.id),
    externalId: row.external_id,
    accountNumber: row.account_number,
    amountKopecks: BigInt(row.amount_kopecks),
    receivedAt: row.received_at,
  };
}

/** A payment that was never recorded (refused before its insert): id 0 says so wherever it is shown. */
export function unrecordedPayment(externalId: string, accountNumber: string, amountKopecks: bigint): PaymentView {
  return { id: 0n, externalId, accountNumber, amountKopecks, receivedAt: new Date() };
}

const PAYMENT_STATE_SQL = `
  SELECT p.id, p.external_id, p.account_number, p.amount_kopecks, p.received_at, p.status::text AS status,
    COALESCE((SELECT json_agg(json_build_object('key', r.reversal_key, 'amount', r.amount_kopecks::text, 'reason', r.reason) ORDER BY r.id)
      FROM payment_reversal r WHERE r.payment_id = p.id), '[]'::json) AS reversals
  FROM inbound_payment p WHERE p.channel = $1 AND p.external_id = $2`;

/** A payment with its reversals, for a channel's table of steps; undefined when the channel never saw the id. */
export async function loadPaymentState(pool: SqlPool, channel: string, externalId: string): Promise<{ view: PaymentView; state: PaymentState } | undefined> {
  const { rows } = await pool.query<PaymentRow & { reversals: { key: string; amount: string; reason: string }[] }>({
    name: "intake-payment-state",
    text: PAYMENT_STATE_SQL,
    values: [channel, externalId],
  });
  const row = rows[0];
  if (!row) return undefined;
  return {
    view: paymentViewOf(row),
    state: {
      status: row.status,
      accountNumber: row.account_number,
      amountKopecks: BigInt(row.amount_kopecks),
      reversals: row.reversals.map((reversal) => ({ key: reversal.key, amountKopecks: BigInt(reversal.amount), reason: reversal.reason })),
    },
  };
}
