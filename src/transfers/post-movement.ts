import type { SqlClient } from "../db.ts";
import { post } from "../ledger/post.ts";
import type { ActionContext } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import type { LockedAccount, LockedRequest } from "./transfer-locks.ts";

export interface Movement {
  kind: "transfer" | "transfer-reversal";
  request: LockedRequest;
  reversesPostingId: bigint | null;
  memo: string;
  debit: LockedAccount;
  credit: LockedAccount;
  /** For the audit log: the decision's note or the reversal's reason, and whether the debit may go below zero. */
  reason: string | null;
  allowNegative: boolean;
}

/**
 * One posting moving a request's amount from one subscriber account to another, with both cached balances, and its
 * audit line (transfer.approve or transfer.reverse), in the caller's transaction.
 */
export async function postMovement(sql: SqlClient, context: ActionContext, movement: Movement): Promise<bigint> {
  const { request } = movement;
  const amount = request.amount_kopecks.toString();
  // Both accounts are locked already (lockAccounts, in id order): the balance update waits for no one.
  const postingId = await post(sql, {
    kind: movement.kind,
    paymentId: request.payment_id,
    reversesPostingId: movement.reversesPostingId ?? undefined,
    memo: movement.memo,
    entries: [
      { ledgerAccount: movement.debit.ledger_account_id, amountKopecks: -request.amount_kopecks },
      { ledgerAccount: movement.credit.ledger_account_id, amountKopecks: request.amount_kopecks },
    ],
  });
  await audit(sql, context, {
    action: movement.kind === "transfer" ? "transfer.approve" : "transfer.reverse",
    target: `transfer:${request.id}`,
    reason: movement.reason ?? undefined,
    detail: {
      payment: request.payment_id.toString(),
      from: movement.debit.number,
      to: movement.credit.number,
      amountKopecks: amount,
      posting: postingId.toString(),
      allowNegative: movement.allowNegative,
      fromBalanceBeforeKopecks: movement.debit.balance_kopecks.toString(),
    },
  });
  return postingId;
}
