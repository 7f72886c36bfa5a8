import { prismaTransactionClient, type Db } from "../db.ts";
import { StaffActionError, type ActionContext } from "../staff/actor.ts";
import { lockPayment } from "./payments.ts";
import { postMovement } from "./post-movement.ts";
import { lockAccounts, lockRequest, requireBalance } from "./transfer-locks.ts";
import { requireChecker, requireWords, TRANSACTION_OPTIONS } from "./transfer-rules.ts";
import { getTransfer, type TransferView } from "./transfer-view.ts";

/**
 * Reverses an approved transfer as a unit (a supervisor or admin, with a reason): one compensating posting (kind
 * "transfer-reversal", to −amount, from +amount) linked to the transfer's posting. The "to" account may not go below
 * zero unless allowNegative. The payment's money is then transferable again.
 */
export async function reverseTransfer(db: Db, context: ActionContext, input: { transferId: number; reason: string; allowNegative?: boolean }): Promise<TransferView> {
  const staffId = requireChecker(context.actor);
  const reason = requireWords(input.reason, "reason", "say why the transfer is reversed");
  const allowNegative = input.allowNegative ?? false;
  await db.$transaction(async (tx) => {
    const sql = prismaTransactionClient(tx);
    const request = await lockRequest(sql, input.transferId);
    if (request.status === "reversed") throw new StaffActionError("already_reversed", `transfer ${request.id} is already reversed`);
    if (request.status !== "approved" || request.posting_id === null) throw new StaffActionError("not_approved", `transfer request ${request.id} is ${request.status}: only an approved transfer can be reversed`);
    // Same lock order as approval: request, payment, accounts.
    await lockPayment(sql, request.payment_id);
    const { from, to } = await lockAccounts(sql, request.from_account_id, request.to_account_id);
    requireBalance(to, request.amount_kopecks, allowNegative);
    const postingId = await postMovement(sql, context, {
      kind: "transfer-reversal",
      request,
      reversesPostingId: request.posting_id,
      memo: `reversal of transfer #${request.id} of payment ${request.payment_id}, back from ${to.number} to ${from.number}: ${reason}`,
      debit: to,
      credit: from,
      reason,
      allowNegative,
    });
    await tx.transferRequest.update({
      where: { id: request.id },
      data: { status: "reversed", reversedById: staffId, reversedAt: new Date(), reverseReason: reason, reversalPostingId: postingId },
    });
  }, TRANSACTION_OPTIONS);
  return (await getTransfer(db, input.transferId))!;
}
