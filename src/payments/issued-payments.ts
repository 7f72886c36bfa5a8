import type { CheckCommand, Outcome, PaymentSource, PayCommand } from "../../adapters/contract/index.ts";
import { formatRubles } from "../../lib/money.ts";
import type { SqlClient, SqlPool } from "../db.ts";
import type { IntakeRequest } from "./handle-command.ts";
import { unrecordedPayment } from "./payment-rows.ts";
import { SUSPENSE_REASONS } from "./suspense-reasons.ts";

/**
 * Payments payhub issued itself before the payer paid (table payment_intent): a WebMoney invoice, whose
 * LMI_PAYMENT_NO is its own id, and a QIWI bill, whose billId payhub chose. A provider's notification is signed over
 * that reference, so the account and the amount payhub recorded here are what the payment is for; the notification's
 * unsigned account field only describes. Only payhub's API writes here; an unsigned request never does.
 */

export interface IssuedPayment {
  reference: string;
  accountNumber: string;
  amountKopecks: bigint;
}

export async function findIssuedPayment(pool: SqlPool, channel: string, reference: string): Promise<IssuedPayment | undefined> {
  const { rows } = await pool.query<{ account_number: string; amount_kopecks: string }>({
    name: "intake-find-issued",
    text: "SELECT account_number, amount_kopecks FROM payment_intent WHERE channel = $1 AND reference = $2",
    values: [channel, reference],
  });
  const row = rows[0];
  return row ? { reference, accountNumber: row.account_number, amountKopecks: BigInt(row.amount_kopecks) } : undefined;
}

/**
 * Records an issued payment. Without a reference, its own id is the reference (a WebMoney invoice number: WebMoney
 * wants LMI_PAYMENT_NO to be a whole number).
 */
export async function recordIssuedPayment(sql: SqlClient, input: { channel: string; reference?: string; accountNumber: string; amountKopecks: bigint }): Promise<IssuedPayment> {
  const { rows } = await sql.query<{ reference: string }>(
    `WITH next AS (SELECT nextval(pg_get_serial_sequence('payment_intent', 'id')) AS id)
     INSERT INTO payment_intent (id, channel, reference, account_number, amount_kopecks)
     SELECT id, $1, COALESCE($2, id::text), $3, $4::bigint FROM next
     RETURNING reference`,
    [input.channel, input.reference ?? null, input.accountNumber, input.amountKopecks.toString()],
  );
  return { reference: rows[0]!.reference, accountNumber: input.accountNumber, amountKopecks: input.amountKopecks };
}

/** How intake treats a command naming a payment payhub issued (IntakeRules.issuedPayments). */
export interface IssuedPaymentRule {
  /** A pre-request: the refusal, or undefined when it may go on. */
  check(pool: SqlPool, source: PaymentSource, command: CheckCommand): Promise<Outcome | undefined>;
  /** A pay: the command to record (its account payhub's), and why it goes to suspense when it cannot be matched. */
  match(pool: SqlPool, source: PaymentSource, command: PayCommand): Promise<{ command: PayCommand; suspenseReason?: string }>;
}

/** The rule of the channels whose provider is paid against what payhub issued: WebMoney invoices, QIWI bills. */
export const ISSUED_PAYMENTS: IssuedPaymentRule = { check: checkIssuedPayment, match: matchIssuedPayment };

/** The rule for a command naming an issued payment; a channel that declares none has an adapter out of step with its entry. */
export function issuedPaymentRule(request: IntakeRequest): IssuedPaymentRule {
  const rule = request.rules?.issuedPayments;
  if (!rule) throw new Error(`channel ${request.source.channel} names a payment payhub issued, but its catalogue entry declares no issued-payment rule`);
  return rule;
}

/**
 * A pre-request naming a payment payhub issued (CheckCommand.intentReference) is approved only for that issued
 * payment's own account and amount: the refusal, or undefined when it may go on.
 */
async function checkIssuedPayment(pool: SqlPool, source: PaymentSource, command: CheckCommand): Promise<Outcome | undefined> {
  if (command.intentReference === undefined) return undefined;
  const issued = await findIssuedPayment(pool, source.channel, command.intentReference);
  const asked = unrecordedPayment(command.intentReference, command.accountNumber, command.amountKopecks ?? 0n);
  if (!issued) return { kind: "operationRefused", payment: asked, reason: `payment ${command.intentReference} was not issued by payhub` };
  if (issued.accountNumber !== command.accountNumber || issued.amountKopecks !== command.amountKopecks) {
    return {
      kind: "operationRefused",
      payment: asked,
      reason: `payment ${command.intentReference} was issued for account ${issued.accountNumber} and ${formatRubles(issued.amountKopecks)}, the request names ${command.accountNumber} and ${command.amountKopecks === undefined ? "no amount" : formatRubles(command.amountKopecks)}`,
    };
  }
  return undefined;
}

/**
 * A notification paying something payhub issued: its account is payhub's record of it, not the notification's
 * unsigned field. Answers the command to record, and why it goes to suspense when it cannot be matched.
 */
async function matchIssuedPayment(pool: SqlPool, source: PaymentSource, command: PayCommand): Promise<{ command: PayCommand; suspenseReason?: string }> {
  if (command.intentReference === undefined) return { command };
  const issued = await findIssuedPayment(pool, source.channel, command.intentReference);
  if (!issued) return { command, suspenseReason: `${SUSPENSE_REASONS.notIssued} (${command.intentReference})` };
  if (issued.amountKopecks !== command.amountKopecks) {
    return { command, suspenseReason: `${SUSPENSE_REASONS.amountDiffers} (${command.intentReference}: ${formatRubles(issued.amountKopecks)} for account ${issued.accountNumber})` };
  }
  return { command: { ...command, accountNumber: issued.accountNumber } };
}
