/** Queue and job names, in one place: producers, workers, the sweeper and the benchmark all use these. */
export const CREDIT_QUEUE = "credit";
export const CREDIT_JOB = "credit-payment";

/** The outbox topic whose rows become credit jobs. */
export const CREDIT_TOPIC = "credit";

/** The canonical job id of a payment's credit job: BullMQ ignores a second add with the same id. */
export function creditJobId(paymentId: bigint): string {
  return `payment-${paymentId}`;
}

/** Data of a credit job: only the payment id (a string: BullMQ serialises to JSON). No secrets, no amounts. */
export interface CreditJobData {
  paymentId: string;
  requestId?: string;
}
