import type { OpenCommand, Outcome, PayCommand, PaymentView } from "../../adapters/contract/index.ts";
import { findAccount, refusalFor, type AccountRow } from "./check-account.ts";
import type { IntakeDeps, IntakeRequest } from "./handle-command.ts";
import { issuedPaymentRule } from "./issued-payments.ts";
import { findPayment, unrecordedPayment } from "./payment-rows.ts";
import { refuseOrRepeat, repeatOutcome } from "./repeated-payment.ts";
import { SUSPENSE_REASONS } from "./suspense-reasons.ts";

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
  const { rows } = await pool.query<{ account_status: AccountRow["status"] | null; id: string | null; suspense_reason: string | null }>({
    name: "intake-insert-payment",
    text: INSERT_PAYMENT_SQL,
    values: [
      payment.id, channel, protocol, profile, command.externalId, command.accountNumber, command.amountKopecks,
      command.commissionKopecks, command.payerAmountKopecks ?? null, command.providerTime ?? null, payment.receivedAt,
      JSON.stringify(command.request), answer.body, request.requestId ?? null, pending ? "pending" : "accepted", unrefusable,
      suspenseReason ?? null, request.rules?.linksAutopayments === true,
    ],
  });
  const result = rows[0]!;
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
