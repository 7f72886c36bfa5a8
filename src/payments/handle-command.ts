import type { ChannelProfile, Command, HttpReply, Outcome, PaymentSource, PaymentState, ReconcileCommand, StepDecision } from "../../adapters/contract/index.ts";
import { assertNever } from "../../adapters/contract/index.ts";
import type { Db, SqlPool } from "../db.ts";
import type { Logger } from "../log.ts";
import { acknowledge } from "./acknowledge-notification.ts";
import { checkAccount } from "./check-account.ts";
import type { InFlight } from "./in-flight.ts";
import { incidentFor, recordIncident } from "./intake-incidents.ts";
import type { IssuedPaymentRule } from "./issued-payments.ts";
import type { PaymentIds } from "./payment-ids.ts";
import { loadPaymentState, unrecordedPayment } from "./payment-rows.ts";
import { recordPayment, type PaymentRecorder } from "./record-payment.ts";
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
  /**
   * Group commit of pays (src/payments/record-payment.ts): concurrent pays share a statement and its commit. Unset:
   * each pay is its own statement (intake inside a caller's transaction, the cash desk, must never batch).
   */
  paymentRecorder?: PaymentRecorder;
  /** Told once per request, at the log point below: the metrics (src/metrics) count outcomes and latency. */
  onOutcome?: (event: { channel: string; command: string; outcome: string; seconds: number; repeat?: boolean }) => void;
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
  /** The channel's own rules of intake, as its catalogue entry declares them; unset: none. */
  rules?: IntakeRules;
}

/**
 * A channel's own rules of intake, declared by its catalogue entry (src/channels) and applied by the core at fixed
 * points, so that the core names no channel.
 */
export interface IntakeRules {
  /**
   * The channel's pays and pre-requests may name a payment payhub issued itself (intentReference: a WebMoney invoice,
   * a QIWI bill), whose account and amount are payhub's record of it (issued-payments.ts). A command naming one on a
   * channel without this rule is refused as a temporary failure: an adapter and its entry are out of step.
   */
  issuedPayments?: IssuedPaymentRule;
  /**
   * An accepted pay for an account with an active autopayment of the same amount is that autopayment's recurring
   * charge (ArsenalPay): linked, and the autopayment's last charge recorded, in the intake statement itself.
   */
  linksAutopayments?: boolean;
}

/** Commands payhub makes itself (registering a card order, polling) have no provider to answer: the stored answer is this. */
export const INTERNAL_ANSWER: HttpReply = { status: 200, contentType: "text/plain; charset=utf-8", body: "" };

/** Outcomes logged as info: everything that went as the provider asked. Refusals and failures are warnings. */
const ROUTINE_OUTCOMES: ReadonlySet<Outcome["kind"]> = new Set(["checked", "accepted", "duplicate", "acknowledged", "opened", "confirmed", "closed", "reversed"]);

/**
 * The intake use case: turns a Command from any adapter into an Outcome. A `pay` is committed together with its
 * outbox row before this returns, so the provider hears "accepted" only about a payment that is durable.
 * Expected refusals are outcomes; only infrastructure failures become `temporaryFailure`.
 */
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
  deps.onOutcome?.({
    channel: request.source.channel,
    command: request.command.kind,
    outcome: outcome.kind,
    seconds: (performance.now() - started) / 1000,
    repeat: "repeat" in outcome ? outcome.repeat : undefined,
  });
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

/** One use case per command kind; a channel with its own table of steps (ArsenalPay) decides first. */
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
      return checkAccount(deps, request, command);
    case "pay":
    case "open":
      return recordPayment(deps, request, command);
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
    case "acknowledge":
      return acknowledge(deps, request, command);
    default:
      return assertNever(command);
  }
}
