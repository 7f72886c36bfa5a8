import { parseRubles } from "../../lib/money.ts";
import { OFFICE_TIME_ZONE } from "../calendar/office-day.ts";
import { MAX_BIG_ID } from "../http/hostile-input.ts";
import { prismaTransactionClient, type Db, type SqlClient } from "../db.ts";
import { StaffActionError } from "../staff/actor.ts";

/** How the staff name the payment the money came with: the payer's receipt shows one of these. */
export type PaymentLookup =
  | { kind: "id"; paymentId: bigint }
  | { kind: "external"; channel: string; externalId: string }
  /** The account it went to, the day it was paid (Vladivostok time) and its sum (as credited, or as the payer paid). */
  | { kind: "receipt"; accountNumber: string; date: string; amountKopecks: bigint };

/** A payment with what is left of it to transfer. */
export interface PaymentFigures {
  id: bigint;
  channel: string;
  externalId: string;
  /** The account as the channel sent it. */
  accountNumber: string;
  /** The account it was credited to, its id and number (none: unknown to the hub, or in suspense). */
  accountId: number | null;
  creditedTo: string | null;
  amountKopecks: bigint;
  payerAmountKopecks: bigint | null;
  status: string;
  receivedAt: Date;
  /** Given back by the provider or cancelled at the desk (payment_reversal). */
  reversedKopecks: bigint;
  /** Moved by approved transfers that were not reversed. */
  transferredKopecks: bigint;
  /** Asked by transfer requests still waiting for a decision. */
  pendingKopecks: bigint;
  /** amount − reversed − transferred: what an approval may still move. */
  leftKopecks: bigint;
}

const PAYMENT_COLUMNS = `p.id, p.channel, p.external_id, p.account_number, p.account_id, p.amount_kopecks, p.payer_amount_kopecks,
  p.status::text AS status, p.received_at, s.number AS credited_to`;

interface PaymentRow {
  id: bigint;
  channel: string;
  external_id: string;
  account_number: string;
  account_id: number | null;
  amount_kopecks: bigint;
  payer_amount_kopecks: bigint | null;
  status: string;
  received_at: Date;
  credited_to: string | null;
}

/** Every payment query reads the payment with the account it was credited to. */
async function selectPayments(sql: SqlClient, where: string, values: unknown[]): Promise<PaymentRow[]> {
  return (await sql.query<PaymentRow>(`SELECT ${PAYMENT_COLUMNS} FROM inbound_payment p LEFT JOIN subscriber_account s ON s.id = p.account_id ${where}`, values)).rows;
}

/**
 * The payment's figures. Read in its own statement: called after the payment row is locked, it sees every reversal
 * and decision committed before the lock was granted (a statement that waited for the lock would not).
 */
async function withFigures(sql: SqlClient, rows: PaymentRow[]): Promise<PaymentFigures[]> {
  if (rows.length === 0) return [];
  const { rows: sums } = await sql.query<{ id: bigint; reversed: bigint; transferred: bigint; pending: bigint }>(
    `SELECT p.id,
       (SELECT COALESCE(SUM(r.amount_kopecks), 0) FROM payment_reversal r WHERE r.payment_id = p.id)::bigint AS reversed,
       (SELECT COALESCE(SUM(t.amount_kopecks), 0) FROM transfer_request t WHERE t.payment_id = p.id AND t.status = 'approved')::bigint AS transferred,
       (SELECT COALESCE(SUM(t.amount_kopecks), 0) FROM transfer_request t WHERE t.payment_id = p.id AND t.status = 'pending')::bigint AS pending
     FROM inbound_payment p WHERE p.id = ANY($1::bigint[])`,
    [rows.map((row) => row.id.toString())],
  );
  const byId = new Map(sums.map((sum) => [String(sum.id), sum]));
  return rows.map((row) => {
    const sum = byId.get(String(row.id))!;
    const [amount, reversed, transferred] = [BigInt(row.amount_kopecks), BigInt(sum.reversed), BigInt(sum.transferred)];
    return {
      id: BigInt(row.id),
      channel: row.channel,
      externalId: row.external_id,
      accountNumber: row.account_number,
      accountId: row.account_id,
      creditedTo: row.credited_to,
      amountKopecks: amount,
      payerAmountKopecks: row.payer_amount_kopecks === null ? null : BigInt(row.payer_amount_kopecks),
      status: row.status,
      receivedAt: row.received_at,
      reversedKopecks: reversed,
      transferredKopecks: transferred,
      pendingKopecks: BigInt(sum.pending),
      leftKopecks: amount - reversed - transferred,
    };
  });
}

/** The payments a lookup names, oldest first (several only for a receipt's account, date and sum). */
export async function findPayments(db: Db, lookup: PaymentLookup): Promise<PaymentFigures[]> {
  const sql = prismaTransactionClient(db);
  const select = (where: string, values: unknown[]) => selectPayments(sql, where, values);
  let rows: PaymentRow[];
  if (lookup.kind === "id") {
    rows = await select("WHERE p.id = $1::bigint", [lookup.paymentId.toString()]);
  } else if (lookup.kind === "external") {
    rows = await select("WHERE p.channel = $1 AND p.external_id = $2", [lookup.channel, lookup.externalId]);
  } else {
    rows = await select(
      `WHERE (p.account_number = $1 OR s.number = $1)
         AND (p.received_at AT TIME ZONE '${OFFICE_TIME_ZONE}')::date = $2::date
         AND (p.amount_kopecks = $3::bigint OR p.payer_amount_kopecks = $3::bigint)
       ORDER BY p.received_at, p.id LIMIT 50`,
      [lookup.accountNumber, lookup.date, lookup.amountKopecks.toString()],
    );
  }
  return withFigures(sql, rows);
}

/** The one payment a lookup names: 404 when none, 409 listing the candidates when a receipt matches several. */
export async function resolvePayment(db: Db, lookup: PaymentLookup): Promise<PaymentFigures> {
  const found = await findPayments(db, lookup);
  if (found.length === 0) throw new StaffActionError("payment_not_found", `no payment ${describeLookup(lookup)}`);
  if (found.length > 1) {
    const candidates = found.map((payment) => `${payment.id} (${payment.channel} ${payment.externalId})`).join(", ");
    throw new StaffActionError("payment_ambiguous", `${found.length} payments match ${describeLookup(lookup)}: ${candidates}; name one by its id`);
  }
  return found[0]!;
}

/** Locks the payment row (FOR UPDATE) and then reads its figures: transfers of one payment are serialised on it. */
export async function lockPayment(sql: SqlClient, paymentId: bigint): Promise<PaymentFigures | undefined> {
  return (await withFigures(sql, await selectPayments(sql, "WHERE p.id = $1::bigint FOR UPDATE OF p", [paymentId.toString()])))[0];
}

/** A real calendar day, YYYY-MM-DD (2026-02-30 is not). */
function isDay(text: string): boolean {
  const day = new Date(`${text}T00:00:00Z`);
  return /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text) && !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}

export function describeLookup(lookup: PaymentLookup): string {
  switch (lookup.kind) {
    case "id":
      return `with id ${lookup.paymentId}`;
    case "external":
      return `${lookup.externalId} in channel ${lookup.channel}`;
    case "receipt":
      return `to account ${lookup.accountNumber} on ${lookup.date} of ${lookup.amountKopecks} kopecks`;
  }
}

/** Reads a lookup from text fields (the API's query or a console form): exactly one of the three ways. */
export function lookupFromFields(fields: { paymentId?: string; channel?: string; externalId?: string; account?: string; date?: string; amount?: string }): PaymentLookup {
  const ways = [fields.paymentId !== undefined, fields.channel !== undefined || fields.externalId !== undefined, fields.account !== undefined || fields.date !== undefined || fields.amount !== undefined];
  if (ways.filter(Boolean).length !== 1) {
    throw new StaffActionError("bad_lookup", "name the payment one way: paymentId; or channel and externalId; or account, date (YYYY-MM-DD) and amount");
  }
  if (fields.paymentId !== undefined) {
    if (!/^[1-9][0-9]{0,18}$/.test(fields.paymentId) || BigInt(fields.paymentId) > MAX_BIG_ID) {
      throw new StaffActionError("bad_lookup", `paymentId must be an id from 1 to ${MAX_BIG_ID}`);
    }
    return { kind: "id", paymentId: BigInt(fields.paymentId) };
  }
  if (fields.channel !== undefined || fields.externalId !== undefined) {
    if (!fields.channel || !fields.externalId) throw new StaffActionError("bad_lookup", "name both the channel (osmp:qiwi, cashier…) and the externalId");
    return { kind: "external", channel: fields.channel, externalId: fields.externalId };
  }
  const { account, date, amount } = fields;
  if (!account || !/^[0-9]{1,12}$/.test(account)) throw new StaffActionError("bad_lookup", "account must be 1 to 12 digits");
  if (!date || !isDay(date)) {
    throw new StaffActionError("bad_lookup", "date must be a day, YYYY-MM-DD");
  }
  const parsed = parseRubles(amount);
  if (!parsed.ok) throw new StaffActionError("bad_lookup", `amount: ${parsed.reason} (write it like "500.00")`);
  return { kind: "receipt", accountNumber: account, date, amountKopecks: parsed.kopecks };
}
