import type { Db, SqlPool } from "../db.ts";
import type { ActionContext } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import { RETRY_FAILED_SQL } from "../crediting/credit-payment.ts";
import type { DispatchCredit } from "./handle-command.ts";

export type RetryResult = "retried" | "not-failed" | "not-found";

/**
 * An operator's retry of a payment whose crediting failed permanently: it becomes accepted again, its outbox row
 * unprocessed, and it is queued at once (the sweeper would find it too). Only a `failed` payment can be retried.
 * Audited, whether it came from the API or the console.
 */
export async function retryPayment(
  deps: { pool: SqlPool; db: Db; dispatchCredit: DispatchCredit },
  context: ActionContext,
  paymentId: bigint,
): Promise<RetryResult> {
  const { rowCount } = await deps.pool.query(RETRY_FAILED_SQL, [paymentId]);
  if (rowCount === 1) {
    await audit(deps.db, context, { action: "payment.retry", target: `payment:${paymentId}` });
    deps.dispatchCredit(paymentId, context.requestId);
    return "retried";
  }
  const { rowCount: exists } = await deps.pool.query("SELECT 1 FROM inbound_payment WHERE id = $1", [paymentId]);
  return exists ? "not-failed" : "not-found";
}
