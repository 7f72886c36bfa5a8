import type { OpenCommand, Outcome, PayCommand } from "../../adapters/contract/index.ts";
import type { IntakeDeps, IntakeRequest } from "./handle-command.ts";
import { INCIDENT_KINDS, recordIncident } from "./intake-incidents.ts";
import { findPayment, paymentViewOf, type PaymentRow } from "./payment-rows.ts";
import { confirm } from "./settle-pending.ts";

/** A repeat of a payment accepted earlier keeps its answer even if its account was closed or its limits changed since. */
export async function refuseOrRepeat(deps: IntakeDeps, request: IntakeRequest, command: PayCommand | OpenCommand, refusal: Outcome): Promise<Outcome> {
  const existing = await findPayment(deps.pool, request.source.channel, command.externalId);
  return existing ? repeatOutcome(deps, request, command, existing) : refusal;
}

/** Same account and sum: the original's answer; anything else: a conflict flagged for an operator. */
export async function repeatOutcome(deps: IntakeDeps, request: IntakeRequest, command: PayCommand | OpenCommand, existing: PaymentRow): Promise<Outcome> {
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
