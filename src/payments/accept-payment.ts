import type {
  AccountView,
  ChannelProfile,
  CheckCommand,
  Command,
  HttpReply,
  OpenCommand,
  Outcome,
  PayCommand,
  PaymentSource,
  PaymentState,
  PaymentView,
  ReconcileCommand,
  StepDecision,
} from "../../adapters/contract/index.ts";
import { assertNever, maskOwnerName } from "../../adapters/contract/index.ts";
import { formatRubles } from "../../lib/money.ts";
import type { Db, SqlPool } from "../db.ts";
import type { Logger } from "../log.ts";
import type { InFlight } from "./in-flight.ts";
import { INCIDENT_KINDS, incidentFor, recordIncident } from "./intake-incidents.ts";
import { findIssuedPayment } from "./issued-payments.ts";
import type { PaymentIds } from "./payment-ids.ts";
import { findPayment, loadPaymentState, paymentViewOf, unrecordedPayment, type PaymentRow } from "./payment-rows.ts";
import { reversePayment } from "./reverse-payment.ts";
import { close, confirm, stillPending } from "./settle-pending.ts";

/** Hands a committed payment to the crediting queue; never throws (the sweeper covers what it could not hand over). */
export type DispatchCredit = (paymentId: bigint, requestId: string | undefined) => void;

export interface IntakeDeps {
  db: Db;
  /** The pool under `db`, for the prepared statements of the hot path. */
  pool: SqlPool;
  dispatchCredit: DispatchCredit;
  log: Logger;
  inFlight: InFlight;
  paymentIds: Pick<PaymentIds, "next">;
  /** Told once per request, at the log point below: the metrics (src/metrics) count outcomes and latency. */
  onOutcome?: (event: { channel: string; command: string; outcome: string; seconds: number }) => void;
  /**
   * Asks a provider's own API about a payment and settles it from the answer (the card acquirer's status API): what a
   * ReconcileCommand runs. Unset: such a command is a temporary failure, and the provider repeats.
   */
  reconcile?: (source: PaymentSource, command: ReconcileCommand, requestId: string | undefined) => Promise<Outcome>;
}

export interface IntakeRequest {
  source: PaymentSource;
  profile: ChannelProfile;
  command: Command;
  requestId: string | undefined;
  /** Renders an outcome in the provider's format; the answer to an accepted payment is stored with it. */
  answer: (outcome: Outcome) => HttpReply;
  /** The channel's table of steps per payment (ChannelAdapter.decide), with the request already bound. */
  decide?: (command: Command, state: PaymentState | undefined) => StepDecision;
  /** The provider's request as received, signatures and secrets removed: kept with an intake incident. */
  received?: Record<string, unknown>;
}

/** Rows as `pg` returns them: int8 columns arrive as decimal strings and are read with BigInt. */
interface AccountRow {
  id: number;
  number: string;
  status: "active" | "blocked" | "closed";
  owner_name: string;
  address: string;
  balance_kopecks: string;
  monthly_fee_kopecks: string;
}

const FIND_ACCOUNT_SQL = `
  SELECT id, number, status::text AS status, owner_name, address, balance_kopecks, monthly_fee_kopecks
  FROM subscriber_account WHERE number = $1`;

/** Why a payment is in suspense: the reasons intake writes on its suspense_item. */
export const SUSPENSE_REASONS = {
  unknown: "unknown account",
  closed: "account closed",
  blocked: "account blocked",
  /** The signed reference names nothing payhub issued: the account the notification names is unsigned, hence only a suggestion. */
  notIssued: "not issued by payhub",
  /** The signed amount differs from what payhub issued under that reference. */
  amountDiffers: "amount differs from what payhub issued",
} as const;

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
 * An ArsenalPay payment (not a hold) for an account with an active autopayment of the same amount, not past its
 * until-date (a day in Vladivostok, where the company is), is that autopayment's recurring charge: it is linked and
 * the autopayment's last_charged_at set, in the same statement. For every other channel the `$2 = 'arsenalpay'`
 * conditions are one-time filters, so the autopayment table is never read nor written.
 */
const INSERT_PAYMENT_SQL = `
  WITH account AS (
    SELECT id, status FROM subscriber_account WHERE number = $6
  ), autopay AS (
    SELECT autopayment.id FROM autopayment JOIN account ON autopayment.account_id = account.id
    WHERE $2::text = 'arsenalpay' AND $15::text = 'accepted' AND autopayment.state = 'active'
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
    UPDATE autopayment SET last_charged_at = $11 WHERE $2::text = 'arsenalpay' AND id = (SELECT autopayment_id FROM inserted)
  )
  SELECT (SELECT status::text FROM account) AS account_status, (SELECT id FROM inserted) AS id,
    (SELECT reason FROM suspended) AS suspense_reason`;

/**
 * The intake use case: turns a Command from any adapter into an Outcome. A `pay` is committed together with its
 * outbox row before this returns, so the provider hears "accepted" only about a payment that is durable.
 * Expected refusals are outcomes; only infrastructure failures become `temporaryFailure`.
 */
const ROUTINE_OUTCOMES: ReadonlySet<Outcome["kind"]> = new Set(["checked", "accepted", "duplicate", "acknowledged", "opened", "confirmed", "closed", "reversed"]);

export async function handleCommand(deps: IntakeDeps, request: IntakeRequest): Promise<{ outcome: Outcome; reply: HttpReply }> {
  let outcome: Outcome;
  const started = performance.now();
  if (!deps.inFlight.tryEnter()) {
    deps.log.warn({ channel: request.source.channel, inFlight: deps.inFlight.size, requestId: request.requestId }, "intake overloaded: answering a temporary error");
    outcome = { kind: "temporaryFailure" };
  } else {
    try {
      outcome = await dispatch(deps, request);
      await flagForOperator(deps, request, outcome);
    } catch (error) {
      deps.log.error({ err: error, channel: request.source.channel, requestId: request.requestId }, "intake failed: answering a temporary error");
      outcome = { kind: "temporaryFailure" };
    } finally {
      deps.inFlight.leave();
    }
  }
  const reply = request.answer(outcome);
  // Refusals and failures are warnings an operator may look at; everything that went as the provider asked is info.
  const log = ROUTINE_OUTCOMES.has(outcome.kind) ? deps.log.info : deps.log.warn;
  log.call(
    deps.log,
    {
      channel: request.source.channel,
      command: request.command.kind,
      externalId: request.command.externalId,
      account: request.command.accountNumber,
      outcome: outcome.kind,
      paymentId: "payment" in outcome ? outcome.payment.id.toString() : undefined,
      reason: outcome.kind === "operationRefused" ? outcome.reason : undefined,
      requestId: request.requestId,
    },
    `${request.command.kind} ${outcome.kind}`,
  );
  deps.onOutcome?.({ channel: request.source.channel, command: request.command.kind, outcome: outcome.kind, seconds: (performance.now() - started) / 1000 });
  return { outcome, reply };
}

/**
 * Money a provider says it moved that payhub did not take as sent is recorded for an operator, not only logged. If
 * the record cannot be written the provider hears a temporary failure (the throw), so it repeats and nothing is lost.
 */
async function flagForOperator(deps: IntakeDeps, request: IntakeRequest, outcome: Outcome): Promise<void> {
  const incident = incidentFor(request.source, request.command, outcome, request.requestId, request.received);
  if (!incident) return;
  const recorded = await recordIncident(deps.pool, incident);
  deps.log.warn(
    { channel: incident.channel, externalId: incident.externalId, paymentId: incident.paymentId?.toString(), kind: incident.kind, alreadyFlagged: !recorded, requestId: request.requestId },
    `intake incident (${incident.kind}) for an operator: ${incident.detail}`,
  );
}

/** The payment a command names: its external id (pay, open, check) or the reference of a later step. */
function referenceOf(command: Command): string | undefined {
  return "reference" in command ? command.reference : command.externalId;
}

async function dispatch(deps: IntakeDeps, request: IntakeRequest): Promise<Outcome> {
  let { command } = request;
  const reference = referenceOf(command);
  if (request.decide && command.kind !== "acknowledge" && reference !== undefined) {
    // The channel's own table of steps decides on the payment as it is now; the statements below keep the money
    // rules (once only, never more than paid) when two of its callbacks race.
    const known = await loadPaymentState(deps.pool, request.source.channel, reference);
    const decision = request.decide(command, known?.state);
    if (!decision.ok) {
      const payment = known?.view ?? unrecordedPayment(reference, command.accountNumber ?? "", "amountKopecks" in command ? (command.amountKopecks ?? 0n) : 0n);
      return { kind: "operationRefused", payment, reason: decision.reason };
    }
    command = decision.command;
  }
  switch (command.kind) {
    case "check":
      return check(deps, request, command);
    case "pay":
    case "open":
      return pay(deps, request, command);
    case "confirm":
      return confirm(deps.pool, deps.dispatchCredit, request.source, command, request.requestId);
    case "close":
      return close(deps.pool, request.source, command);
    case "stillPending":
      return stillPending(deps.pool, request.source, command);
    case "reverse":
      return reversePayment(deps.pool, request.source, command);
    case "reconcile":
      if (!deps.reconcile) {
        deps.log.error({ channel: request.source.channel, reference: command.reference }, "no provider API to ask about this payment: answering a temporary error");
        return { kind: "temporaryFailure" };
      }
      return deps.reconcile(request.source, command, request.requestId);
    case "acknowledge": {
      deps.log.info({ channel: request.source.channel, externalId: command.externalId, reason: command.reason, requestId: request.requestId }, `acknowledged without moving money: ${command.reason}`);
      // A flagged acknowledgement of a payment payhub recorded already (a replay of it) has nothing for an operator.
      const recorded = command.flag !== undefined && command.externalId !== undefined && (await findPayment(deps.pool, request.source.channel, command.externalId)) !== undefined;
      return command.flag !== undefined && !recorded ? { kind: "acknowledged", flag: command.flag } : { kind: "acknowledged" };
    }
    default:
      return assertNever(command);
  }
}

/**
 * May this account be paid? A pre-request naming a payment payhub issued (intentReference) is approved only for that
 * issued payment's own account and amount, and writes nothing: an unsigned pre-request can confirm, never change, what
 * payhub recorded.
 */
async function check(deps: IntakeDeps, request: IntakeRequest, command: CheckCommand): Promise<Outcome> {
  const account = await findAccount(deps.pool, command.accountNumber);
  const refusal = refusalFor(account?.status, command.amountKopecks, request.profile);
  if (refusal) return refusal;
  if (command.intentReference !== undefined) {
    const issued = await findIssuedPayment(deps.pool, request.source.channel, command.intentReference);
    const asked = unrecordedPayment(command.intentReference, command.accountNumber, command.amountKopecks ?? 0n);
    if (!issued) return { kind: "operationRefused", payment: asked, reason: `payment ${command.intentReference} was not issued by payhub` };
    if (issued.accountNumber !== command.accountNumber || issued.amountKopecks !== command.amountKopecks) {
      return {
        kind: "operationRefused",
        payment: asked,
        reason: `payment ${command.intentReference} was issued for account ${issued.accountNumber} and ${formatRubles(issued.amountKopecks)}, the request names ${command.accountNumber} and ${command.amountKopecks === undefined ? "no amount" : formatRubles(command.amountKopecks)}`,
      };
    }
  }
  return { kind: "checked", account: accountView(account!) };
}

/**
 * A notification paying something payhub issued: its account is payhub's record of it, not the notification's
 * unsigned field. Answers the command to record, and why it goes to suspense when it cannot be matched.
 */
async function matchIssued(deps: IntakeDeps, channel: string, command: PayCommand): Promise<{ command: PayCommand; suspenseReason?: string }> {
  if (command.intentReference === undefined) return { command };
  const issued = await findIssuedPayment(deps.pool, channel, command.intentReference);
  if (!issued) return { command, suspenseReason: `${SUSPENSE_REASONS.notIssued} (${command.intentReference})` };
  if (issued.amountKopecks !== command.amountKopecks) {
    return { command, suspenseReason: `${SUSPENSE_REASONS.amountDiffers} (${command.intentReference}: ${formatRubles(issued.amountKopecks)} for account ${issued.accountNumber})` };
  }
  return { command: { ...command, accountNumber: issued.accountNumber } };
}

/** A pay, or the opening of a pending payment (recorded the same way, but not money until confirmed). */
async function pay(deps: IntakeDeps, request: IntakeRequest, asked: PayCommand | OpenCommand): Promise<Outcome> {
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
  const matched: { command: PayCommand | OpenCommand; suspenseReason?: string } = asked.kind === "pay" ? await matchIssued(deps, channel, asked) : { command: asked };
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
      suspenseReason ?? null,
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

/** A repeat of a payment accepted earlier keeps its answer even if its account was closed or its limits changed since. */
async function refuseOrRepeat(deps: IntakeDeps, request: IntakeRequest, command: PayCommand | OpenCommand, refusal: Outcome): Promise<Outcome> {
  const existing = await findPayment(deps.pool, request.source.channel, command.externalId);
  return existing ? repeatOutcome(deps, request, command, existing) : refusal;
}

/** Same account and sum: the original's answer; anything else: a conflict flagged for an operator. */
async function repeatOutcome(deps: IntakeDeps, request: IntakeRequest, command: PayCommand | OpenCommand, existing: PaymentRow): Promise<Outcome> {
  const payment = paymentViewOf(existing);
  if (payment.accountNumber === command.accountNumber && payment.amountKopecks === command.amountKopecks) {
    // A pending payment that closed (cancelled, failed, expired) never becomes money, whatever repeats; a pay for it
    // is money the provider moved and payhub refused: flagged for an operator (handleCommand).
    if (existing.status === "closed") return { kind: "operationRefused", payment, reason: "the payment was closed (cancelled, failed or expired) before this payment" };
    if (command.kind === "open") return { kind: "opened", payment, repeat: true };
    // A pay for a payment reported held earlier (a YooMoney transfer with unaccepted=true) completes it: it becomes
    // money, once. What told held from accepted is not signed, so an operator is asked to confirm it.
    if (existing.status === "pending") {
      const confirmed = await confirm(deps.pool, deps.dispatchCredit, request.source, { kind: "confirm", reference: command.externalId, amountKopecks: command.amountKopecks, externalId: command.externalId, accountNumber: undefined }, request.requestId);
      if (confirmed.kind !== "confirmed" || confirmed.repeat) return confirmed;
      return { ...confirmed, flag: `payment ${existing.id} was first reported held, then completed by a report whose held/accepted field is not signed: confirm with the provider that it was accepted` };
    }
    return { kind: "duplicate", payment };
  }
  const detail =
    `external id ${command.externalId} was paid as payment ${existing.id} to account ${existing.account_number} ` +
    `for ${existing.amount_kopecks} kopecks; the repeat names account ${command.accountNumber} and ${command.amountKopecks} kopecks`;
  // Flagged once: a provider that keeps re-sending the same conflicting request does not bury the operator.
  const recorded = await recordIncident(deps.pool, {
    kind: INCIDENT_KINDS.conflict,
    channel: request.source.channel,
    externalId: command.externalId,
    paymentId: payment.id,
    detail,
    request: command.request,
    requestId: request.requestId,
  });
  deps.log.warn(
    { channel: request.source.channel, externalId: command.externalId, paymentId: existing.id, requestId: request.requestId, alreadyFlagged: !recorded },
    `conflicting repeat refused: ${detail}`,
  );
  return { kind: "conflict", payment };
}

/** Why a payment to an account in this status, of this amount, is refused; undefined when it may be paid. */
function refusalFor(status: AccountRow["status"] | undefined, amountKopecks: bigint | undefined, profile: ChannelProfile): Outcome | undefined {
  if (!status) return { kind: "accountNotFound" };
  if (status === "closed") return { kind: "accountInactive" };
  if (status === "blocked") return { kind: "accountBlocked" };
  if (amountKopecks !== undefined && amountKopecks < profile.minKopecks) return { kind: "amountTooSmall", minKopecks: profile.minKopecks };
  if (amountKopecks !== undefined && amountKopecks > profile.maxKopecks) return { kind: "amountTooLarge", maxKopecks: profile.maxKopecks };
  return undefined;
}

async function findAccount(pool: SqlPool, number: string): Promise<AccountRow | undefined> {
  const result = await pool.query<AccountRow>({ name: "intake-find-account", text: FIND_ACCOUNT_SQL, values: [number] });
  return result.rows[0];
}

function accountView(account: AccountRow): AccountView {
  return {
    number: account.number,
    maskedOwnerName: maskOwnerName(account.owner_name),
    address: account.address,
    balanceKopecks: BigInt(account.balance_kopecks),
    monthlyFeeKopecks: BigInt(account.monthly_fee_kopecks),
  };
}
