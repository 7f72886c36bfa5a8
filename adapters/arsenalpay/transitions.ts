import { formatRubles } from "../../lib/money.ts";
import type { ArsenalpayFunction } from "./schema.ts";

/**
 * What may happen to one RRN (PROTOCOLS.md §3): check → payment | hold | cancel, hold → payment | cancel,
 * payment → refund | reverse, refund → refund while the refunds add up to at most the payment. `cancelinit` acts as
 * `cancel`, `reversal` as `reverse`. A repeat of a step already taken is a duplicate: answered OK, nothing moves.
 * Pure: the core loads the RRN's state, asks here, and stores `next` with the money movement in one transaction.
 * All amounts are AMOUNT (what the subscriber's account is credited) in kopecks.
 */

/** One partial refund already taken. */
export interface ArsenalpayRefund {
  refundKey: string;
  amountKopecks: bigint;
}

/** The state of one RRN; no state at all is an RRN never seen. */
export type ArsenalpayRrnState =
  | { stage: "checked"; accountNumber: string; amountKopecks: bigint }
  | { stage: "held"; accountNumber: string; amountKopecks: bigint }
  | { stage: "cancelled"; accountNumber: string; amountKopecks: bigint }
  /** `amountKopecks` is what was paid and credited. */
  | { stage: "paid"; accountNumber: string; amountKopecks: bigint }
  /** One refund or more; `refundedKopecks` is their sum, never above `amountKopecks`. */
  | { stage: "refunded"; accountNumber: string; amountKopecks: bigint; refunds: readonly ArsenalpayRefund[]; refundedKopecks: bigint }
  /** The whole payment was returned. */
  | { stage: "reversed"; accountNumber: string; amountKopecks: bigint };

export type ArsenalpayStage = ArsenalpayRrnState["stage"];

/** What a callback says, already verified and parsed. */
export interface ArsenalpayCallbackEvent {
  /** ACCOUNT. */
  accountNumber: string;
  /** AMOUNT in kopecks. */
  amountKopecks: bigint;
  /**
   * Required for `refund`: what tells two partial refunds of one RRN apart, since both carry the same RRN, while a
   * repeat of one refund callback carries the same key (decide.ts derives it from the signed AMOUNT: a second refund of
   * the same amount cannot be told from a replay, so it is taken once and flagged for an operator).
   */
  refundKey?: string;
}

/** Money a transition moves on the subscriber's account. */
export type ArsenalpayMovement = { kind: "none" } | { kind: "credit"; kopecks: bigint } | { kind: "debit"; kopecks: bigint };

export type ArsenalpayRefusal =
  /** cancel, refund or reverse for an RRN the hub never saw. */
  | "unknown-rrn"
  /** The function is not allowed after the RRN's stage (a refund before the payment, a cancel after it, …). */
  | "not-allowed"
  /** ACCOUNT differs from the one the RRN started with. */
  | "account-mismatch"
  /** AMOUNT differs from what the step requires (a payment other than the checked sum, a partial reverse, …). */
  | "amount-mismatch"
  /** A payment of more than was held. */
  | "amount-above-hold"
  /** The refunds would add up to more than the payment. */
  | "refund-exceeds-payment"
  /** A refund repeats a known refund key with another amount. */
  | "refund-key-reused";

export type ArsenalpayTransition =
  | { kind: "allowed"; next: ArsenalpayRrnState; movement: ArsenalpayMovement }
  /** The step was already taken with the same values: answer as before, move nothing. */
  | { kind: "duplicate"; state: ArsenalpayRrnState }
  /** `message` says what was wrong, for the log and the operator. */
  | { kind: "refused"; reason: ArsenalpayRefusal; message: string };

type Step = "check" | "hold" | "payment" | "cancel" | "refund" | "reverse";

/** cancelinit is a cancel, reversal a reverse. */
export function stepOf(fn: ArsenalpayFunction): Step {
  if (fn === "cancelinit") return "cancel";
  if (fn === "reversal") return "reverse";
  return fn;
}

const NONE: ArsenalpayMovement = { kind: "none" };

/**
 * Decides what callback `fn` does to an RRN in state `current` (undefined: never seen). A first callback may be a
 * check, a hold or a payment: ArsenalPay sends `check` only when the merchant enables it, and autopayment charges
 * arrive as bare payments.
 */
export function nextState(current: ArsenalpayRrnState | undefined, fn: ArsenalpayFunction, event: ArsenalpayCallbackEvent): ArsenalpayTransition {
  const step = stepOf(fn);
  const { accountNumber, amountKopecks } = event;
  if (step === "refund" && (event.refundKey === undefined || event.refundKey === "")) {
    throw new Error("arsenalpay nextState: a refund needs its refundKey");
  }

  if (current === undefined) {
    switch (step) {
      case "check":
        return allowed({ stage: "checked", accountNumber, amountKopecks }, NONE);
      case "hold":
        return allowed({ stage: "held", accountNumber, amountKopecks }, NONE);
      case "payment":
        return allowed({ stage: "paid", accountNumber, amountKopecks }, { kind: "credit", kopecks: amountKopecks });
      default:
        return refused("unknown-rrn", `${fn} for an RRN never seen: nothing to ${step}`);
    }
  }

  if (accountNumber !== current.accountNumber) {
    return refused("account-mismatch", `${fn} names account ${accountNumber}, the RRN is for account ${current.accountNumber}`);
  }
  const sameAmount = amountKopecks === current.amountKopecks;
  const amountDiffers = () =>
    refused("amount-mismatch", `${fn} of ${formatRubles(amountKopecks)} differs from ${formatRubles(current.amountKopecks)} of the RRN (${current.stage})`);

  // A repeated payment with the same RRN and amount answers OK and credits nothing, whatever happened after it.
  if (step === "payment" && (current.stage === "paid" || current.stage === "refunded" || current.stage === "reversed")) {
    return sameAmount ? duplicate(current) : amountDiffers();
  }

  switch (current.stage) {
    case "checked":
      if (step === "check") return sameAmount ? duplicate(current) : amountDiffers();
      if (step === "cancel") return allowed({ ...current, stage: "cancelled" }, NONE);
      if (step === "hold") return sameAmount ? allowed({ ...current, stage: "held" }, NONE) : amountDiffers();
      if (step === "payment") return sameAmount ? allowed({ ...current, stage: "paid" }, { kind: "credit", kopecks: amountKopecks }) : amountDiffers();
      return notAllowed(fn, current);
    case "held":
      if (step === "hold") return sameAmount ? duplicate(current) : amountDiffers();
      if (step === "cancel") return allowed({ ...current, stage: "cancelled" }, NONE);
      if (step === "payment") {
        // The capture of a hold may be smaller than the hold (the rest is released), never larger.
        if (amountKopecks > current.amountKopecks) {
          return refused("amount-above-hold", `payment of ${formatRubles(amountKopecks)} is more than the ${formatRubles(current.amountKopecks)} held`);
        }
        return allowed({ stage: "paid", accountNumber, amountKopecks }, { kind: "credit", kopecks: amountKopecks });
      }
      return notAllowed(fn, current);
    case "cancelled":
      return step === "cancel" ? duplicate(current) : notAllowed(fn, current);
    case "paid":
      if (step === "reverse") {
        // A reverse returns the whole payment; a different amount is an anomaly for an operator, not a partial reverse.
        return sameAmount ? allowed({ ...current, stage: "reversed" }, { kind: "debit", kopecks: current.amountKopecks }) : amountDiffers();
      }
      if (step === "refund") return refund(current, [], 0n, event);
      return notAllowed(fn, current);
    case "refunded":
      if (step === "refund") return refund(current, current.refunds, current.refundedKopecks, event);
      return notAllowed(fn, current);
    case "reversed":
      return step === "reverse" && sameAmount ? duplicate(current) : notAllowed(fn, current);
  }
}

function refund(
  current: ArsenalpayRrnState & { stage: "paid" | "refunded" },
  refunds: readonly ArsenalpayRefund[],
  refundedKopecks: bigint,
  event: ArsenalpayCallbackEvent,
): ArsenalpayTransition {
  const refundKey = event.refundKey ?? "";
  const known = refunds.find((taken) => taken.refundKey === refundKey);
  if (known) {
    return known.amountKopecks === event.amountKopecks
      ? duplicate(current)
      : refused("refund-key-reused", `refund ${refundKey} was ${formatRubles(known.amountKopecks)}, now ${formatRubles(event.amountKopecks)}`);
  }
  const total = refundedKopecks + event.amountKopecks;
  if (total > current.amountKopecks) {
    return refused(
      "refund-exceeds-payment",
      `refund of ${formatRubles(event.amountKopecks)} would bring refunds to ${formatRubles(total)}, above the payment of ${formatRubles(current.amountKopecks)}`,
    );
  }
  return allowed(
    {
      stage: "refunded",
      accountNumber: current.accountNumber,
      amountKopecks: current.amountKopecks,
      refunds: [...refunds, { refundKey, amountKopecks: event.amountKopecks }],
      refundedKopecks: total,
    },
    { kind: "debit", kopecks: event.amountKopecks },
  );
}

function allowed(next: ArsenalpayRrnState, movement: ArsenalpayMovement): ArsenalpayTransition {
  return { kind: "allowed", next, movement };
}

function duplicate(state: ArsenalpayRrnState): ArsenalpayTransition {
  return { kind: "duplicate", state };
}

function refused(reason: ArsenalpayRefusal, message: string): ArsenalpayTransition {
  return { kind: "refused", reason, message };
}

function notAllowed(fn: ArsenalpayFunction, current: ArsenalpayRrnState): ArsenalpayTransition {
  return refused("not-allowed", `${fn} is not allowed after ${current.stage}`);
}
