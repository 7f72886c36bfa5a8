import type { Command, InboundRequest, PaymentState, StepDecision } from "../contract/index.ts";
import { arsenalpayAmounts } from "./amounts.ts";
import type { ArsenalpayFunction } from "./schema.ts";
import { nextState, stepOf, type ArsenalpayRefund, type ArsenalpayRrnState } from "./transitions.ts";

/**
 * ArsenalPay's table of steps (transitions.ts, PROTOCOLS.md §3) applied to a payment as the core knows it: the one
 * place that decides what a callback may do to an RRN. The core loads the payment's state and runs the command this
 * answers; its statements keep the money rules when two callbacks race.
 */

/** The reversal key of a partial refund: its amount. A repeat of the same signed refund (same RRN and AMOUNT) is a repeat. */
export const arsenalpayRefundKey = (amountKopecks: bigint) => `refund ${amountKopecks}`;
/** The reversal key of the reverse (the whole payment back): one per RRN. */
export const ARSENALPAY_REVERSE_KEY = "reverse";

/** The core's view of a payment as the stage of its RRN: a hold is pending, a cancelled hold closed, money has reversals. */
export function rrnStateOf(state: PaymentState | undefined): ArsenalpayRrnState | undefined {
  if (state === undefined) return undefined;
  const base = { accountNumber: state.accountNumber, amountKopecks: state.amountKopecks };
  if (state.status === "pending") return { stage: "held", ...base };
  if (state.status === "closed") return { stage: "cancelled", ...base };
  if (state.reversals.some((reversal) => reversal.reason === "reverse")) return { stage: "reversed", ...base };
  const refunds: ArsenalpayRefund[] = state.reversals.filter((reversal) => reversal.reason === "refund").map((reversal) => ({ refundKey: reversal.key, amountKopecks: reversal.amountKopecks }));
  if (refunds.length === 0) return { stage: "paid", ...base };
  return { stage: "refunded", ...base, refunds, refundedKopecks: refunds.reduce((sum, refund) => sum + refund.amountKopecks, 0n) };
}

/**
 * The step a verified callback takes. ACCOUNT and AMOUNT are signed; the parser already read them, and they are read
 * again here from the request for the steps whose command carries neither (cancel, reverse).
 */
export function decideArsenalpay(request: InboundRequest, command: Command, state: PaymentState | undefined): StepDecision {
  const fn = request.params.FUNCTION as ArsenalpayFunction;
  const accountNumber = String(request.params.ACCOUNT);
  const amounts = arsenalpayAmounts(request.params as { AMOUNT: string; MERCH_TYPE?: string; AMOUNT_FULL?: string });
  if (!amounts.ok) return { ok: false, reason: amounts.reason };
  const step = stepOf(fn);
  const event = { accountNumber, amountKopecks: amounts.amountKopecks, ...(step === "refund" ? { refundKey: arsenalpayRefundKey(amounts.amountKopecks) } : {}) };
  const transition = nextState(rrnStateOf(state), fn, event);
  if (transition.kind === "refused") return { ok: false, reason: transition.message };
  // A repeat runs the command as parsed: its own statements answer a repeat as the first time and move nothing.
  if (transition.kind === "duplicate") return { ok: true, command };
  if (step === "payment" && state?.status === "pending") {
    // The capture of a hold, possibly smaller than the hold: the captured sum is what becomes money.
    return {
      ok: true,
      command: {
        kind: "confirm",
        reference: String(request.params.RRN),
        amountKopecks: amounts.amountKopecks,
        capture: { commissionKopecks: amounts.commissionKopecks, payerAmountKopecks: amounts.payerAmountKopecks },
        externalId: command.externalId,
        accountNumber: undefined,
      },
    };
  }
  return { ok: true, command };
}
