import type { SqlPool } from "../db.ts";
import { GroupCommit, type GroupCommitOptions } from "../infra/group-commit.ts";
import type { CreditResult } from "../ledger/credit-statement.ts";
import type { Logger } from "../log.ts";
import { creditPayment, creditPayments } from "./credit-payment.ts";

/**
 * Group commit of credits: the worker's jobs hand their payments here, and each statement credits every payment
 * waiting when it starts (src/infra/group-commit.ts). A failed batch is credited payment by payment, so one payment's
 * failure fails only its own job, which BullMQ retries.
 */
export function createCreditBatcher(pool: SqlPool, log: Logger, options: GroupCommitOptions): { credit(paymentId: bigint): Promise<CreditResult> } {
  const group = new GroupCommit<bigint, CreditResult>(
    options,
    async (paymentIds) => {
      const results = await creditPayments(pool, paymentIds);
      return paymentIds.map((id) => results.get(id)!);
    },
    (paymentId) => creditPayment(pool, paymentId),
    (error, size) => log.warn({ err: error, payments: size }, "a batch of credits failed: crediting its payments one by one"),
  );
  return { credit: (paymentId) => group.submit(paymentId) };
}
