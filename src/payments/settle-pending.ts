import type { CloseCommand, ConfirmCommand, Outcome, PaymentSource, ProviderBinding, StillPendingCommand } from "../../adapters/contract/index.ts";
import type { SqlPool } from "../db.ts";
import type { DispatchCredit } from "./handle-command.ts";
import { findPayment, paymentViewOf, type PaymentRow } from "./payment-rows.ts";

/**
 * The second phase of two-phase payments (an SMS awaiting confirmation, a card order, an ArsenalPay hold): the
 * provider reports that a pending payment succeeded, failed, or is still pending. A pending payment is found by its
 * external id in the channel only: never by a hub payment id that happens to equal the reference.
 */

interface TwoPhaseRow extends PaymentRow {
  commission_kopecks: string;
  changed_id: string | null;
  changed_amount: string | null;
}

const TARGET = `target AS (SELECT id FROM inbound_payment WHERE channel = $1 AND external_id = $2)`;

/**
 * Confirms a pending payment and queues its credit in one statement. The amount, when given, must be the sum or the
 * sum with commission; a capture ($4) may be smaller than the hold and becomes the payment's sum with its own
 * commission ($5) and payer's amount ($6): the hold was never money, so only the captured sum ever is.
 */
const CONFIRM_SQL = `
  WITH ${TARGET}, changed AS (
    UPDATE inbound_payment p SET status = 'accepted',
      amount_kopecks = CASE WHEN $4::boolean THEN $3::bigint ELSE p.amount_kopecks END,
      commission_kopecks = CASE WHEN $4::boolean THEN $5::bigint ELSE p.commission_kopecks END,
      payer_amount_kopecks = CASE WHEN $4::boolean THEN $6::bigint ELSE p.payer_amount_kopecks END
    FROM target WHERE p.id = target.id AND p.status = 'pending'
      AND ($3::bigint IS NULL OR CASE WHEN $4::boolean THEN $3::bigint <= p.amount_kopecks
        ELSE $3::bigint IN (p.amount_kopecks, p.amount_kopecks + p.commission_kopecks) END)
    RETURNING p.id, p.amount_kopecks
  ), queued AS (
    INSERT INTO outbox (topic, payment_id) SELECT 'credit', id FROM changed
  )
  SELECT p.id, p.external_id, p.account_number, p.amount_kopecks, p.commission_kopecks, p.received_at,
    p.status::text AS status, (SELECT id FROM changed) AS changed_id, (SELECT amount_kopecks FROM changed) AS changed_amount
  FROM inbound_payment p JOIN target ON p.id = target.id`;

const CLOSE_SQL = `
  WITH ${TARGET}, changed AS (
    UPDATE inbound_payment p SET status = 'closed', closed_at = now(), close_reason = $3
    FROM target WHERE p.id = target.id AND p.status = 'pending'
    RETURNING p.id
  )
  SELECT p.id, p.external_id, p.account_number, p.amount_kopecks, p.commission_kopecks, p.received_at,
    p.status::text AS status, (SELECT id FROM changed) AS changed_id, NULL AS changed_amount
  FROM inbound_payment p JOIN target ON p.id = target.id`;

/** The provider says a pending payment succeeded: it becomes accepted and is credited once, like any pay. */
export async function confirm(pool: SqlPool, dispatchCredit: DispatchCredit, source: PaymentSource, command: ConfirmCommand, requestId: string | undefined): Promise<Outcome> {
  const bound = await checkBinding(pool, source.channel, command.reference, command.binding, "success");
  if (bound.refusal) return bound.refusal;
  const capture = command.capture;
  const { rows } = await pool.query<TwoPhaseRow>({
    name: "intake-confirm",
    text: CONFIRM_SQL,
    values: [source.channel, command.reference, command.amountKopecks ?? null, capture !== undefined, capture?.commissionKopecks ?? null, capture?.payerAmountKopecks ?? null],
  });
  const found = rows[0];
  if (!found) return { kind: "paymentNotFound" };
  if (found.changed_id !== null) {
    dispatchCredit(BigInt(found.id), requestId);
    const confirmed: Outcome = { kind: "confirmed", payment: { ...paymentViewOf(found), amountKopecks: BigInt(found.changed_amount!) }, repeat: false };
    // The provider's id was bound by an earlier report of another kind (a "pending" report, say), and only that id is
    // signed: this success may be that report replayed with its status changed. Credited once; an operator confirms it.
    if (command.binding && !bound.byThisKind) {
      return { ...confirmed, flag: `success for payment ${found.id} came on the provider's payment ${command.binding.providerReference}, first seen with an earlier report; its status is not signed: confirm with the provider` };
    }
    return confirmed;
  }
  const row = await settledBySomeoneElse(pool, source.channel, command.reference, found);
  const payment = paymentViewOf(row);
  if (row.status === "accepted" || row.status === "credited" || row.status === "failed") return { kind: "confirmed", payment, repeat: true };
  if (row.status === "closed") return { kind: "operationRefused", payment, reason: "the payment was closed before this confirmation: the provider reports money payhub did not take" };
  return {
    kind: "operationRefused",
    payment,
    reason: capture
      ? `the captured amount ${command.amountKopecks} kopecks is more than the ${row.amount_kopecks} held`
      : `the confirmed amount ${command.amountKopecks} kopecks matches neither the sum ${row.amount_kopecks} nor the sum with commission`,
  };
}

/** The provider says a pending payment failed: it closes without money. A payment already confirmed stays money. */
export async function close(pool: SqlPool, source: PaymentSource, command: CloseCommand): Promise<Outcome> {
  const bound = await checkBinding(pool, source.channel, command.reference, command.binding, "failure");
  if (bound.refusal) return bound.refusal;
  const { rows } = await pool.query<TwoPhaseRow>({
    name: "intake-close",
    text: CLOSE_SQL,
    values: [source.channel, command.reference, command.reason.slice(0, 500)],
  });
  const found = rows[0];
  if (!found) return { kind: "paymentNotFound" };
  if (found.changed_id !== null) return { kind: "closed", payment: paymentViewOf(found), repeat: false };
  const row = await settledBySomeoneElse(pool, source.channel, command.reference, found);
  const payment = paymentViewOf(row);
  if (row.status === "closed") return { kind: "closed", payment, repeat: true };
  return { kind: "operationRefused", payment, reason: `the payment is already ${row.status}: a failure report cannot undo it` };
}

/**
 * The payment as it is now, when a confirm or close changed nothing. The statement's own read of the row is its
 * snapshot from before it waited for the row: a concurrent copy of the same report (or the opposite one) that settled
 * the payment meanwhile shows there as still pending. A new statement sees what that one committed.
 */
async function settledBySomeoneElse(pool: SqlPool, channel: string, reference: string, found: TwoPhaseRow): Promise<PaymentRow> {
  if (found.status !== "pending") return found;
  return (await findPayment(pool, channel, reference)) ?? found;
}

/** The provider says a payment is still pending: nothing moves; after a success or a failure it is a contradiction. */
export async function stillPending(pool: SqlPool, source: PaymentSource, command: StillPendingCommand): Promise<Outcome> {
  const bound = await checkBinding(pool, source.channel, command.reference, command.binding, "pending");
  if (bound.refusal) return bound.refusal;
  const row = await findPayment(pool, source.channel, command.reference);
  if (!row) return { kind: "paymentNotFound" };
  if (row.status === "pending") return { kind: "acknowledged" };
  return { kind: "operationRefused", payment: paymentViewOf(row), reason: `the payment is already ${row.status}: a "pending" report cannot follow it` };
}

const BIND_SQL = `
  WITH ${TARGET}
  INSERT INTO provider_binding (channel, provider_reference, payment_id, amount_kopecks, first_report)
  SELECT $1, $3, id, $4, $5 FROM target
  ON CONFLICT DO NOTHING
  RETURNING id`;

const BINDINGS_SQL = `
  SELECT b.provider_reference, b.amount_kopecks, b.first_report, p.external_id
  FROM provider_binding b JOIN inbound_payment p ON p.id = b.payment_id
  WHERE b.channel = $1 AND (b.provider_reference = $3 OR (p.channel = $1 AND p.external_id = $2))`;

type ReportKind = "success" | "failure" | "pending";

/**
 * Binds the provider's signed id of a payment to the payment it first names, with the amount and the kind of report it
 * first comes with; a refusal when this message pairs it with another payment or amount, or names a payment bound to
 * another provider id. No refusal: go on (`byThisKind`: bound by this message or by an earlier report of the same
 * kind, such as a copy of this one arriving at the same moment; else bound by a report of another kind, or no such
 * payment for the caller to report).
 * The insert and the read are two statements: a binding committed by a concurrent message after the insert's
 * snapshot is seen by the read.
 */
async function checkBinding(pool: SqlPool, channel: string, reference: string, binding: ProviderBinding | undefined, report: ReportKind): Promise<{ refusal?: Outcome; byThisKind: boolean }> {
  if (!binding) return { byThisKind: false };
  const values = [channel, reference, binding.providerReference, binding.amountKopecks, report];
  const inserted = await pool.query({ name: "intake-bind-provider-reference", text: BIND_SQL, values });
  if (inserted.rows.length > 0) return { byThisKind: true };
  const { rows } = await pool.query<{ provider_reference: string; amount_kopecks: string; first_report: string | null; external_id: string }>({ name: "intake-provider-bindings", text: BINDINGS_SQL, values: values.slice(0, 3) });
  const problems: string[] = [];
  let byThisKind = false;
  for (const row of rows) {
    if (row.provider_reference === binding.providerReference && row.external_id === reference && row.first_report === report) byThisKind = true;
    if (row.provider_reference === binding.providerReference && row.external_id !== reference) {
      problems.push(`the provider's payment ${binding.providerReference} belongs to payment ${row.external_id}, not ${reference}`);
    } else if (row.provider_reference !== binding.providerReference) {
      problems.push(`payment ${reference} belongs to the provider's payment ${row.provider_reference}, not ${binding.providerReference}`);
    } else if (BigInt(row.amount_kopecks) !== binding.amountKopecks) {
      problems.push(`the provider's payment ${binding.providerReference} first reported ${row.amount_kopecks} kopecks, now ${binding.amountKopecks}`);
    }
  }
  if (problems.length === 0) return { byThisKind };
  const target = await findPayment(pool, channel, reference);
  if (!target) return { refusal: { kind: "paymentNotFound" }, byThisKind: false };
  return { refusal: { kind: "operationRefused", payment: paymentViewOf(target), reason: problems.join("; ") }, byThisKind: false };
}
