import { parseRubles } from "../../lib/money.ts";
import type { ArsenalpayCallback } from "./schema.ts";

export type ArsenalpayAmounts =
  | {
      ok: true;
      /** AMOUNT: what the subscriber's account is credited. */
      amountKopecks: bigint;
      /** AMOUNT_FULL with MERCH_TYPE=1: what the payer paid; undefined when the payer paid no fee. */
      payerAmountKopecks: bigint | undefined;
      /** The payer's fee: AMOUNT_FULL − AMOUNT with MERCH_TYPE=1, else 0. */
      commissionKopecks: bigint;
    }
  | { ok: false; field: "AMOUNT" | "AMOUNT_FULL" | "MERCH_TYPE"; reason: string };

/**
 * Reads the amounts of a callback. With MERCH_TYPE=1 the payer pays the fee: AMOUNT_FULL is what the card was
 * charged, AMOUNT what reaches the merchant and is credited, and their difference is the commission. With MERCH_TYPE=0
 * (or none) the merchant pays the fee out of its settlement; the payer paid AMOUNT and AMOUNT_FULL means nothing.
 */
export function arsenalpayAmounts(callback: Pick<ArsenalpayCallback, "AMOUNT" | "MERCH_TYPE" | "AMOUNT_FULL">): ArsenalpayAmounts {
  const amount = parseRubles(callback.AMOUNT);
  if (!amount.ok) return { ok: false, field: "AMOUNT", reason: amount.reason };
  if (callback.MERCH_TYPE === undefined || callback.MERCH_TYPE === "0") {
    return { ok: true, amountKopecks: amount.kopecks, payerAmountKopecks: undefined, commissionKopecks: 0n };
  }
  if (callback.MERCH_TYPE !== "1") return { ok: false, field: "MERCH_TYPE", reason: "MERCH_TYPE must be 0 or 1" };
  if (callback.AMOUNT_FULL === undefined) return { ok: false, field: "AMOUNT_FULL", reason: "AMOUNT_FULL is required with MERCH_TYPE=1" };
  const full = parseRubles(callback.AMOUNT_FULL);
  if (!full.ok) return { ok: false, field: "AMOUNT_FULL", reason: full.reason };
  if (full.kopecks < amount.kopecks) {
    return { ok: false, field: "AMOUNT_FULL", reason: "AMOUNT_FULL (what the payer paid) must not be less than AMOUNT" };
  }
  return { ok: true, amountKopecks: amount.kopecks, payerAmountKopecks: full.kopecks, commissionKopecks: full.kopecks - amount.kopecks };
}
