import { prismaTransactionClient, type Db } from "../db.ts";
import { StaffActionError, type ActionContext } from "../staff/actor.ts";
import { lockPayment } from "./payments.ts";
import { postMovement } from "./post-movement.ts";
import { lockAccounts, lockRequest, requireBalance, requireUndecided } from "./transfer-locks.ts";
import { figuresText, requireChecker, requireCreditedTo, rubles, TRANSACTION_OPTIONS } from "./transfer-rules.ts";
import { getTransfer, type TransferView } from "./transfer-view.ts";

/**
 * Approves a pending request (a supervisor or admin other than its maker): in one transaction, with the request, the
 * payment and both accounts locked, re-checks what is left of the payment and the "from" balance, posts the transfer
 * (kind "transfer", from −amount, to +amount), updates both cached balances and the request, and audits it.
 */
export async function approveTransfer(db: Db, context: ActionContext, input: { transferId: number; allowNegative?: boolean; note?: string }): Promise<TransferView> {
  const checkerId = requireChecker(context.actor);
  const allowNegative = input.allowNegative ?? false;
  const note = input.note?.trim() || null;
  await db.$transaction(async (tx) => {
    const sql = prismaTransactionClient(tx);
    const request = await lockRequest(sql, input.transferId);
    requireUndecided(request, checkerId);
    const payment = (await lockPayment(sql, request.payment_id))!;
    requireCreditedTo(payment, request.from_account_id);
    if (request.amount_kopecks > payment.leftKopecks) {
      throw new StaffActionError("amount_exceeds_payment", `${rubles(request.amount_kopecks)} asked; ${figuresText(payment)}: only ${rubles(payment.leftKopecks > 0n ? payment.leftKopecks : 0n)} is left; reject this request`);
    }
    const { from, to } = await lockAccounts(sql, request.from_account_id, request.to_account_id);
    if (to.status !== "active") throw new StaffActionError("account_not_active", `account ${to.number} is ${to.status} now: money can only move to an active account`);
    requireBalance(from, request.amount_kopecks, allowNegative);
    const postingId = await postMovement(sql, context, {
      kind: "transfer",
      request,
      reversesPostingId: null,
      memo: `transfer #${request.id} of payment ${request.payment_id} (${payment.channel} ${payment.externalId}) from ${from.number} to ${to.number}: ${request.reason}`,
      debit: from,
      credit: to,
      reason: note,
      allowNegative,
    });
    await sql.query(
      `UPDATE transfer_request SET status = 'approved', checker_id = $2::int, decided_at = now(), decision_note = $3, allow_negative = $4, posting_id = $5::bigint
       WHERE id = $1::int`,
      [request.id, checkerId, note, allowNegative, postingId.toString()],
    );
  }, TRANSACTION_OPTIONS);
  return (await getTransfer(db, input.transferId))!;
}
