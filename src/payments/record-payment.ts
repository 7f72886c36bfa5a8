import type { OpenCommand, Outcome, PayCommand, PaymentView } from "../../adapters/contract/index.ts";
import { findAccount, refusalFor, type AccountRow } from "./check-account.ts";
import type { IntakeDeps, IntakeRequest } from "./handle-command.ts";
import { issuedPaymentRule } from "./issued-payments.ts";
import { findPayment, unrecordedPayment } from "./payment-rows.ts";
import { refuseOrRepeat, repeatOutcome } from "./repeated-payment.ts";
import { SUSPENSE_REASONS } from "./suspense-reasons.ts";
import { GroupCommit, type GroupCommitOptions } from "../infra/group-commit.ts";

/**
 * A pay in one statement, hence one transaction and one round trip: the payment is inserted only if its account
 * exists and is active, together with its outbox row, so both are durable or neither. The account's status comes
 * back so that a refusal can say why; no id comes back when the account refused or the external id was known.
 *
 * A pay the provider cannot take back ($16, PayCommand.unrefusable) is inserted whatever the account: when the account
 * is unknown, closed or blocked, or when intake already knows it cannot be matched ($17, the reason: a reference
 * payhub never issued, another amount than issued), with account_id NULL and a suspense_item saying why, in the same
 * statement; crediting then posts it to the suspense ledger account for an operator to assign. For every other pay $16
 * is false, $17 NULL, and the one-row LEFT JOIN filters exactly as the inner join did.
 *
 * On a channel whose rules link autopayments ($18, IntakeRules.linksAutopayments: ArsenalPay), a payment (not a hold)
 * for an account with an active autopayment of the same amount, not past its until-date (a day in Vladivostok, where
 * the company is), is that autopayment's recurring charge: it is linked and the autopayment's last_charged_at set, in
 * the same statement. For every other channel $18 is false and a one-time filter, so the autopayment table is never
 * read nor written.
 */
const INSERT_PAYMENT_SQL = `
  WITH account AS (
    SELECT id, status FROM subscriber_account WHERE number = $6
  ), autopay AS (
    SELECT autopayment.id FROM autopayment JOIN account ON autopayment.account_id = account.id
    WHERE $18::boolean AND $15::text = 'accepted' AND autopayment.state = 'active'
      AND autopayment.amount_kopecks = $7::bigint
      AND (autopayment.until_date IS NULL OR autopayment.until_date >= ($11::timestamptz AT TIME ZONE 'Asia/Vladivostok')::date)
    ORDER BY autopayment.id LIMIT 1
  ), inserted AS (
    INSERT INTO inbound_payment (id, channel, protocol, profile, external_id, account_number, account_id,
      amount_kopecks, commission_kopecks, payer_amount_kopecks, provider_time, received_at, request, response, request_id, status,
      autopayment_id)
    SELECT $1, $2, $3, $4, $5, $6, CASE WHEN account.status = 'active' AND $17::text IS NULL THEN account.id END, $7, $8, $9, $10, $11,
      $12::jsonb, $13, $14, $15::"PaymentStatus", (SELECT id FROM autopay)
    FROM (SELECT 1) AS one LEFT JOIN account ON true
    WHERE (account.status = 'active' AND $17::text IS NULL) OR $16::boolean
    ON CONFLICT (channel, external_id) DO NOTHING
    RETURNING id, account_id, autopayment_id
  ), suspended AS (
    INSERT INTO suspense_item (payment_id, reason)
    SELECT inserted.id, COALESCE($17::text, CASE (SELECT status FROM account) WHEN 'closed' THEN '${SUSPENSE_REASONS.closed}'
      WHEN 'blocked' THEN '${SUSPENSE_REASONS.blocked}' ELSE '${SUSPENSE_REASONS.unknown}' END)
    FROM inserted WHERE inserted.account_id IS NULL
    RETURNING reason
  ), queued AS (
    -- A pending payment (two-phase channels) is not money yet: its outbox row comes with its confirmation.
    INSERT INTO outbox (topic, payment_id) SELECT 'credit', id FROM inserted WHERE $15 = 'accepted'
  ), charged AS (
    UPDATE autopayment SET last_charged_at = $11 WHERE $18::boolean AND id = (SELECT autopayment_id FROM inserted)
  )
  SELECT (SELECT status::text FROM account) AS account_status, (SELECT id FROM inserted) AS id,
    (SELECT reason FROM suspended) AS suspense_reason`;

/**
 * The same statement for many payments at once (group commit at intake, src/infra/group-commit.ts): one round trip
 * and one commit for every pay waiting when it starts, each answered after that commit. The parameters are the single
 * statement's, one array each; the rows are inserted in (channel, external id) order, so two batches holding the same
 * keys (a provider's concurrent retries) wait on each other in one order only. Payments of a channel that links
 * autopayments go through the single statement.
 */
const INSERT_PAYMENTS_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
      $9::bigint[], $10::text[], $11::timestamptz[], $12::jsonb[], $13::text[], $14::text[], $15::text[], $16::boolean[], $17::text[])
      AS i(id, channel, protocol, profile, external_id, account_number, amount_kopecks, commission_kopecks, payer_amount_kopecks,
        provider_time, received_at, request, response, request_id, status, unrefusable, suspense_reason)
  ), matched AS (
    SELECT i.*, a.id AS found_account_id, a.status::text AS account_status
    FROM input i LEFT JOIN subscriber_account a ON a.number = i.account_number
  ), inserted AS (
    INSERT INTO inbound_payment (id, channel, protocol, profile, external_id, account_number, account_id,
      amount_kopecks, commission_kopecks, payer_amount_kopecks, provider_time, received_at, request, response, request_id, status)
    SELECT id, channel, protocol, profile, external_id, account_number,
      CASE WHEN account_status = 'active' AND suspense_reason IS NULL THEN found_account_id END, amount_kopecks, commission_kopecks,
      payer_amount_kopecks, provider_time, received_at, request, response, request_id, status::"PaymentStatus"
    FROM matched WHERE (account_status = 'active' AND suspense_reason IS NULL) OR unrefusable
    ORDER BY channel, external_id
    ON CONFLICT (channel, external_id) DO NOTHING
    RETURNING id, account_id, status
  ), suspended AS (
    INSERT INTO suspense_item (payment_id, reason)
    SELECT inserted.id, COALESCE(m.suspense_reason, CASE m.account_status WHEN 'closed' THEN '${SUSPENSE_REASONS.closed}'
      WHEN 'blocked' THEN '${SUSPENSE_REASONS.blocked}' ELSE '${SUSPENSE_REASONS.unknown}' END)
    FROM inserted JOIN matched m ON m.id = inserted.id WHERE inserted.account_id IS NULL
    RETURNING payment_id, reason
  ), queued AS (
    INSERT INTO outbox (topic, payment_id) SELECT 'credit', id FROM inserted WHERE status = 'accepted'
  )
  SELECT m.id::text AS payment_id, m.account_status, inserted.id::text AS id, suspended.reason AS suspense_reason
  FROM matched m LEFT JOIN inserted ON inserted.id = m.id LEFT JOIN suspended ON suspended.payment_id = m.id`;

/** What the intake statement answers of one payment: its account's status, its id when inserted, why it is in suspense. */
interface InsertedRow {
  account_status: AccountRow["status"] | null;
  id: string | null;
  suspense_reason: string | null;
}

/** The single statement's parameters of one payment: $1 … $18. */
type PaymentValues = unknown[];

async function insertOne(pool: IntakeDeps["pool"], values: PaymentValues): Promise<InsertedRow> {
  const { rows } = await pool.query<InsertedRow>({ name: "intake-insert-payment", text: INSERT_PAYMENT_SQL, values });
  return rows[0]!;
}

/** The intake's group commit of payments: each pay waits at most for the statement in flight before its own. */
export function createPaymentRecorder(pool: IntakeDeps["pool"], onBatchFailed: (error: unknown, size: number) => void, options: GroupCommitOptions): PaymentRecorder {
  return new GroupCommit<PaymentValues, InsertedRow>(
    options,
    async (batch) => {
      // Column by column: $k of the single statement is the array of every payment's $k.
      const columns = Array.from({ length: 17 }, (_, column) => batch.map((values) => values[column]));
      const { rows } = await pool.query<InsertedRow & { payment_id: string }>({ name: "intake-insert-payments", text: INSERT_PAYMENTS_SQL, values: columns });
      const byId = new Map(rows.map((row) => [row.payment_id, row]));
      return batch.map((values) => byId.get(String(values[0]))!);
    },
    (values) => insertOne(pool, values),
    onBatchFailed,
  );
}

export type PaymentRecorder = Pick<GroupCommit<PaymentValues, InsertedRow>, "submit">;

/** A pay, or the opening of a pending payment (recorded the same way, but not money until confirmed). */
export async function recordPayment(deps: IntakeDeps, request: IntakeRequest, asked: PayCommand | OpenCommand): Promise<Outcome> {
  const { pool } = deps;
  const { channel, protocol, profile } = request.source;
  const { minKopecks, maxKopecks } = request.profile;
  const unrefusable = asked.unrefusable === true;
  if (asked.amountKopecks < minKopecks || asked.amountKopecks > maxKopecks) {
    // Rare: read the account first, so that an unknown account is reported before the sum (as check does). A pay
    // that goes to suspense whatever the account is refused for its sum alone.
    const account = unrefusable ? undefined : await findAccount(pool, asked.accountNumber);
    return refuseOrRepeat(deps, request, asked, refusalFor(unrefusable ? "active" : account?.status, asked.amountKopecks, request.profile)!);
  }
  const matched: { command: PayCommand | OpenCommand; suspenseReason?: string } =
    asked.kind === "pay" && asked.intentReference !== undefined ? await issuedPaymentRule(request).match(pool, request.source, asked) : { command: asked };
  const command = matched.command;
  const suspenseReason = matched.suspenseReason;
  if (suspenseReason !== undefined && !unrefusable) {
    return refuseOrRepeat(deps, request, command, { kind: "operationRefused", payment: unrecordedPayment(command.externalId, command.accountNumber, command.amountKopecks), reason: suspenseReason });
  }

  const payment: PaymentView = {
    id: await deps.paymentIds.next(),
    externalId: command.externalId,
    accountNumber: command.accountNumber,
    amountKopecks: command.amountKopecks,
    receivedAt: new Date(),
  };
  const pending = command.kind === "open";
  const outcome: Outcome = pending ? { kind: "opened", payment, repeat: false } : { kind: "accepted", payment };
  const answer = request.answer(outcome);
  const linksAutopayments = request.rules?.linksAutopayments === true;
  const values: PaymentValues = [
    payment.id, channel, protocol, profile, command.externalId, command.accountNumber, command.amountKopecks,
    command.commissionKopecks, command.payerAmountKopecks ?? null, command.providerTime ?? null, payment.receivedAt,
    JSON.stringify(command.request), answer.body, request.requestId ?? null, pending ? "pending" : "accepted", unrefusable,
    suspenseReason ?? null, linksAutopayments,
  ];
  const result = deps.paymentRecorder && !linksAutopayments ? await deps.paymentRecorder.submit(values) : await insertOne(pool, values);
  if (result.id !== null) {
    if (result.suspense_reason !== null) {
      deps.log.warn(
        { channel, externalId: command.externalId, account: command.accountNumber, paymentId: payment.id.toString(), suspense: result.suspense_reason, requestId: request.requestId },
        `payment ${payment.id} recorded in suspense (${result.suspense_reason}: ${command.accountNumber}): credited to the suspense account, waiting for an operator to assign it`,
      );
    }
    if (!pending) deps.dispatchCredit(payment.id, request.requestId);
    return outcome;
  }
  const refusal = refusalFor(result.account_status ?? undefined, command.amountKopecks, request.profile);
  if (refusal) return refuseOrRepeat(deps, request, command, refusal);
  // Another request with the same external id committed first (a provider's concurrent retry).
  const existing = await findPayment(pool, channel, command.externalId);
  if (!existing) throw new Error(`payment ${channel}/${command.externalId} conflicted on insert but cannot be read`);
  return repeatOutcome(deps, request, command, existing);
}
