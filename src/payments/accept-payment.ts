import type {
  AccountView,
  ChannelProfile,
  CheckCommand,
  CloseCommand,
  Command,
  ConfirmCommand,
  OpenCommand,
  HttpReply,
  Outcome,
  PayCommand,
  PaymentSource,
  PaymentView,
} from "../../adapters/contract/index.ts";
import { assertNever, maskOwnerName } from "../../adapters/contract/index.ts";
import type { Db, SqlPool } from "../db.ts";
import type { Logger } from "../log.ts";
import type { InFlight } from "./in-flight.ts";
import type { PaymentIds } from "./payment-ids.ts";
import { reversePayment } from "./reverse-payment.ts";

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
}

export interface IntakeRequest {
  source: PaymentSource;
  profile: ChannelProfile;
  command: Command;
  requestId: string | undefined;
  /** Renders an outcome in the provider's format; the answer to an accepted payment is stored with it. */
  answer: (outcome: Outcome) => HttpReply;
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

interface PaymentRow {
  id: string;
  external_id: string;
  account_number: string;
  amount_kopecks: string;
  received_at: Date;
  status: "pending" | "accepted" | "credited" | "failed" | "closed";
}

const FIND_ACCOUNT_SQL = `
  SELECT id, number, status::text AS status, owner_name, address, balance_kopecks, monthly_fee_kopecks
  FROM subscriber_account WHERE number = $1`;

/** Why a payment is in suspense: the reasons intake writes on its suspense_item. */
export const SUSPENSE_REASONS = { unknown: "unknown account", closed: "account closed", blocked: "account blocked" } as const;

/**
 * A pay in one statement, hence one transaction and one round trip: the payment is inserted only if its account
 * exists and is active, together with its outbox row, so both are durable or neither. The account's status comes
 * back so that a refusal can say why; no id comes back when the account refused or the external id was known.
 *
 * A pay the provider cannot take back ($16, PayCommand.unrefusable) is inserted whatever the account: when the account
 * is unknown, closed or blocked, with account_id NULL and a suspense_item saying why, in the same statement; crediting
 * then posts it to the suspense ledger account for an operator to assign. For every other pay $16 is false and the
 * one-row LEFT JOIN filters exactly as the inner join did.
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
    SELECT $1, $2, $3, $4, $5, $6, CASE WHEN account.status = 'active' THEN account.id END, $7, $8, $9, $10, $11,
      $12::jsonb, $13, $14, $15::"PaymentStatus", (SELECT id FROM autopay)
    FROM (SELECT 1) AS one LEFT JOIN account ON true
    WHERE account.status = 'active' OR $16::boolean
    ON CONFLICT (channel, external_id) DO NOTHING
    RETURNING id, account_id, autopayment_id
  ), suspended AS (
    INSERT INTO suspense_item (payment_id, reason)
    SELECT inserted.id, CASE (SELECT status FROM account) WHEN 'closed' THEN '${SUSPENSE_REASONS.closed}'
      WHEN 'blocked' THEN '${SUSPENSE_REASONS.blocked}' ELSE '${SUSPENSE_REASONS.unknown}' END
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

const FIND_PAYMENT_SQL = `
  SELECT id, external_id, account_number, amount_kopecks, received_at, status::text AS status
  FROM inbound_payment WHERE channel = $1 AND external_id = $2`;

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
      requestId: request.requestId,
    },
    `${request.command.kind} ${outcome.kind}`,
  );
  deps.onOutcome?.({ channel: request.source.channel, command: request.command.kind, outcome: outcome.kind, seconds: (performance.now() - started) / 1000 });
  return { outcome, reply };
}

async function dispatch(deps: IntakeDeps, request: IntakeRequest): Promise<Outcome> {
  const { command } = request;
  switch (command.kind) {
    case "check":
      return check(deps, request, command);
    case "pay":
    case "open":
      return pay(deps, request, command);
    case "confirm":
      return confirm(deps, request, command);
    case "close":
      return close(deps, request, command);
    case "reverse":
      return reversePayment(deps.pool, request.source, command);
    case "acknowledge":
      deps.log.info({ channel: request.source.channel, externalId: command.externalId, reason: command.reason, requestId: request.requestId }, `acknowledged without moving money: ${command.reason}`);
      return { kind: "acknowledged" };
    default:
      return assertNever(command);
  }
}

async function check(deps: IntakeDeps, request: IntakeRequest, command: CheckCommand): Promise<Outcome> {
  const account = await findAccount(deps.pool, command.accountNumber);
  const refusal = refusalFor(account?.status, command.amountKopecks, request.profile);
  if (refusal) return refusal;
  if (command.intentReference !== undefined && command.amountKopecks !== undefined) {
    // The provider's pre-request was approved: its payment must come for this account and amount. A repeated
    // pre-request for the same reference (the payer went back and changed the sum) replaces it.
    await deps.pool.query({
      name: "intake-remember-intent",
      text: `INSERT INTO payment_intent (channel, reference, account_number, amount_kopecks) VALUES ($1, $2, $3, $4)
             ON CONFLICT (channel, reference) DO UPDATE
             SET account_number = EXCLUDED.account_number, amount_kopecks = EXCLUDED.amount_kopecks, created_at = now()`,
      values: [request.source.channel, command.intentReference, command.accountNumber, command.amountKopecks],
    });
  }
  return { kind: "checked", account: accountView(account!) };
}

/** Why a payment contradicts the pre-request approved under its reference; undefined when it matches or there was none. */
async function intentMismatch(deps: IntakeDeps, request: IntakeRequest, command: PayCommand): Promise<string | undefined> {
  if (command.intentReference === undefined) return undefined;
  const { rows } = await deps.pool.query<{ account_number: string; amount_kopecks: string }>({
    name: "intake-find-intent",
    text: "SELECT account_number, amount_kopecks FROM payment_intent WHERE channel = $1 AND reference = $2",
    values: [request.source.channel, command.intentReference],
  });
  const intent = rows[0];
  // No pre-request recorded (the merchant's pre-request is off): the signed notification stands on its own.
  if (!intent) return undefined;
  if (intent.account_number !== command.accountNumber) return `the pre-request named account ${intent.account_number}, the payment ${command.accountNumber}`;
  if (BigInt(intent.amount_kopecks) !== command.amountKopecks) return `the pre-request approved ${intent.amount_kopecks} kopecks, the payment is ${command.amountKopecks}`;
  return undefined;
}

/** A pay, or the opening of a pending payment (recorded the same way, but not money until confirmed). */
async function pay(deps: IntakeDeps, request: IntakeRequest, command: PayCommand | OpenCommand): Promise<Outcome> {
  const { pool } = deps;
  const { channel, protocol, profile } = request.source;
  const { minKopecks, maxKopecks } = request.profile;
  const unrefusable = command.kind === "pay" && command.unrefusable === true;
  if (command.amountKopecks < minKopecks || command.amountKopecks > maxKopecks) {
    // Rare: read the account first, so that an unknown account is reported before the sum (as check does). A pay
    // that goes to suspense whatever the account is refused for its sum alone.
    const account = unrefusable ? undefined : await findAccount(pool, command.accountNumber);
    return refuseOrRepeat(deps, request, command, refusalFor(unrefusable ? "active" : account?.status, command.amountKopecks, request.profile)!);
  }

  if (command.kind === "pay") {
    const mismatch = await intentMismatch(deps, request, command);
    if (mismatch) {
      // The payment as asked, never recorded (hence id 0): the refusal names what differs.
      const refusal: Outcome = { kind: "operationRefused", payment: { id: 0n, externalId: command.externalId, accountNumber: command.accountNumber, amountKopecks: command.amountKopecks, receivedAt: new Date() }, reason: mismatch };
      return refuseOrRepeat(deps, request, command, refusal);
    }
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

interface TwoPhaseRow extends PaymentRow {
  commission_kopecks: string;
  changed_id: string | null;
}

/**
 * Finds a channel's payment by its external id, or else by the hub's id: two-phase providers refer to a pending
 * payment by either, depending on what they were given when it was opened.
 */
const TWO_PHASE_TARGET = `
  target AS (
    SELECT id FROM inbound_payment
    WHERE channel = $1 AND (external_id = $2 OR ($2 ~ '^[0-9]{1,18}$' AND id = $2::bigint))
    ORDER BY (external_id = $2) DESC LIMIT 1
  )`;

/** Confirms a pending payment and queues its credit in one statement; the amount, when given, must match. */
const CONFIRM_SQL = `
  WITH ${TWO_PHASE_TARGET}, changed AS (
    UPDATE inbound_payment p SET status = 'accepted'
    FROM target WHERE p.id = target.id AND p.status = 'pending'
      AND ($3::bigint IS NULL OR $3::bigint IN (p.amount_kopecks, p.amount_kopecks + p.commission_kopecks))
    RETURNING p.id
  ), queued AS (
    INSERT INTO outbox (topic, payment_id) SELECT 'credit', id FROM changed
  )
  SELECT p.id, p.external_id, p.account_number, p.amount_kopecks, p.commission_kopecks, p.received_at,
    p.status::text AS status, (SELECT id FROM changed) AS changed_id
  FROM inbound_payment p JOIN target ON p.id = target.id`;

const CLOSE_SQL = `
  WITH ${TWO_PHASE_TARGET}, changed AS (
    UPDATE inbound_payment p SET status = 'closed', closed_at = now(), close_reason = $3
    FROM target WHERE p.id = target.id AND p.status = 'pending'
    RETURNING p.id
  )
  SELECT p.id, p.external_id, p.account_number, p.amount_kopecks, p.commission_kopecks, p.received_at,
    p.status::text AS status, (SELECT id FROM changed) AS changed_id
  FROM inbound_payment p JOIN target ON p.id = target.id`;

function paymentViewOf(row: PaymentRow): PaymentView {
  return {
    id: BigInt(row.id),
    externalId: row.external_id,
    accountNumber: row.account_number,
    amountKopecks: BigInt(row.amount_kopecks),
    receivedAt: row.received_at,
  };
}

/** The provider says a pending payment succeeded: it becomes accepted and is credited once, like any pay. */
async function confirm(deps: IntakeDeps, request: IntakeRequest, command: ConfirmCommand): Promise<Outcome> {
  const { rows } = await deps.pool.query<TwoPhaseRow>({
    name: "intake-confirm",
    text: CONFIRM_SQL,
    values: [request.source.channel, command.reference, command.amountKopecks ?? null],
  });
  const row = rows[0];
  if (!row) return { kind: "paymentNotFound" };
  const payment = paymentViewOf(row);
  if (row.changed_id !== null) {
    deps.dispatchCredit(payment.id, request.requestId);
    return { kind: "confirmed", payment, repeat: false };
  }
  if (row.status === "accepted" || row.status === "credited" || row.status === "failed") return { kind: "confirmed", payment, repeat: true };
  if (row.status === "closed") return { kind: "operationRefused", payment, reason: "the payment was closed before this confirmation" };
  return {
    kind: "operationRefused",
    payment,
    reason: `the confirmed amount ${command.amountKopecks} kopecks matches neither the sum ${row.amount_kopecks} nor the sum with commission`,
  };
}

/** The provider says a pending payment failed: it closes without money. A payment already confirmed stays money. */
async function close(deps: IntakeDeps, request: IntakeRequest, command: CloseCommand): Promise<Outcome> {
  const { rows } = await deps.pool.query<TwoPhaseRow>({
    name: "intake-close",
    text: CLOSE_SQL,
    values: [request.source.channel, command.reference, command.reason.slice(0, 500)],
  });
  const row = rows[0];
  if (!row) return { kind: "paymentNotFound" };
  const payment = paymentViewOf(row);
  if (row.changed_id !== null || row.status === "closed") return { kind: "closed", payment, repeat: row.changed_id === null };
  return { kind: "operationRefused", payment, reason: `the payment is already ${row.status}: a failure report cannot undo it` };
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
    // A pending payment that closed (cancelled, failed, expired) never becomes money, whatever repeats.
    if (existing.status === "closed") return { kind: "operationRefused", payment, reason: "the payment was closed" };
    if (command.kind === "open") return { kind: "opened", payment, repeat: true };
    // A pay for a payment held earlier (ArsenalPay hold → payment) completes the hold: it becomes money.
    if (existing.status === "pending") {
      return confirm(deps, request, { kind: "confirm", reference: command.externalId, amountKopecks: command.amountKopecks, externalId: command.externalId, accountNumber: undefined });
    }
    return { kind: "duplicate", payment };
  }
  const detail =
    `external id ${command.externalId} was paid as payment ${existing.id} to account ${existing.account_number} ` +
    `for ${existing.amount_kopecks} kopecks; the repeat names account ${command.accountNumber} and ${command.amountKopecks} kopecks`;
  // Flagged once: a provider that keeps re-sending the same conflicting request does not bury the operator. On
  // deps.pool, so that a caller running intake inside its own transaction (the cash desk) needs no second connection.
  const flagged = await deps.pool.query<{ id: string }>({
    name: "intake-flag-conflict",
    text: `INSERT INTO intake_incident (kind, channel, external_id, payment_id, detail, request)
           SELECT 'conflict', $1, $2, $3, $4, $5::jsonb
           WHERE NOT EXISTS (SELECT 1 FROM intake_incident
             WHERE kind = 'conflict' AND channel = $1 AND external_id = $2 AND detail = $4 AND resolved_at IS NULL)
           RETURNING id`,
    values: [request.source.channel, command.externalId, payment.id, detail, JSON.stringify(command.request)],
  });
  const known = flagged.rows.length === 0;
  deps.log.warn(
    { channel: request.source.channel, externalId: command.externalId, paymentId: existing.id, requestId: request.requestId, alreadyFlagged: known },
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

async function findPayment(pool: SqlPool, channel: string, externalId: string): Promise<PaymentRow | undefined> {
  const result = await pool.query<PaymentRow>({ name: "intake-find-payment", text: FIND_PAYMENT_SQL, values: [channel, externalId] });
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
