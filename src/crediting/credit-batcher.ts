import type { SqlPool } from "../db.ts";
import type { CreditResult } from "../ledger/credit-statement.ts";
import type { Logger } from "../log.ts";
import { creditPayment, creditPayments } from "./credit-payment.ts";

export interface CreditBatcherOptions {
  /** The most payments one statement credits. */
  maxBatch: number;
  /** Statements running at once; while they run, the payments that come in wait and go together in the next. */
  maxInFlight: number;
}

interface Waiting {
  paymentId: bigint;
  resolve: (result: CreditResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit of credits: the worker's jobs hand their payments here, and each statement credits every payment
 * waiting when it starts (one transaction, one commit). Nothing waits for a timer: a payment that finds a statement
 * free goes at once (alone, under light load); under load, payments gather while the statements in flight commit, so
 * the batch grows with the load and the cost of a commit is shared. A failed batch (a constraint, a deadlock, a lost
 * connection) is retried payment by payment, so one payment's failure fails only its own job, which BullMQ retries.
 */
export class CreditBatcher {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly pool: SqlPool,
    private readonly log: Logger,
    private readonly options: CreditBatcherOptions,
  ) {}

  credit(paymentId: bigint): Promise<CreditResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ paymentId, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        this.flush();
      });
    }
  }

  private async run(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch as [Waiting];
      await creditPayment(this.pool, only.paymentId).then(only.resolve, only.reject);
      return;
    }
    try {
      const results = await creditPayments(
        this.pool,
        batch.map((item) => item.paymentId),
      );
      for (const item of batch) item.resolve(results.get(item.paymentId)!);
    } catch (error) {
      this.log.warn({ err: error, payments: batch.length }, "a batch of credits failed: crediting its payments one by one");
      await Promise.all(batch.map((item) => creditPayment(this.pool, item.paymentId).then(item.resolve, item.reject)));
    }
  }
}
