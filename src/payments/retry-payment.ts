import type { SqlPool } from "../db.ts";
import { RETRY_FAILED_SQL } from "../crediting/credit-payment.ts";
import type { DispatchCredit } from "./accept-payment.ts";

export type RetryResult = "retried" | "not-failed" | "not-found";

/**
 * An operator's retry of a payment whose crediting failed permanently: it becomes accepted again, its outbox row
 * unprocessed, and it is queued at once (the sweeper would find it too). Only a `failed` payment can be retried.
 */
export async function retryPayment(pool: SqlPool, dispatchCredit: DispatchCredit, paymentId: bigint, requestId: string | undefined): Promise<RetryResult> {
  const { rowCount } = await pool.query(RETRY_FAILED_SQL, [paymentId]);
  if (rowCount === 1) {
    dispatchCredit(paymentId, requestId);
    return "retried";
  }
  const { rowCount: exists } = await pool.query("SELECT 1 FROM inbound_payment WHERE id = $1", [paymentId]);
  return exists ? "not-failed" : "not-found";
}
