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
  /** The request id of the provider's request that brought the payment: logged by the credit worker. */
  requestId?: string;
  /** When the payment was received (epoch ms), set by the sweeper; the fast path's job timestamp is within ms of it. */
  receivedAt?: number;
}

export const BILLING_QUEUE = "billing";
export const BILLING_JOB = "billing-notify";

/** The canonical job id of a billing notification's delivery: duplicates added by several relays collapse. */
export function billingJobId(notificationId: bigint): string {
  return `notification-${notificationId}`;
}

/** Data of a billing job: the notification's id only; the body is built from the posting when it is sent. */
export interface BillingJobData {
  notificationId: string;
}
