import { prismaTransactionClient, type Db } from "../db.ts";
import type { ActionContext } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import { lockRequest, requireUndecided } from "./transfer-locks.ts";
import { requireChecker, requireWords, TRANSACTION_OPTIONS } from "./transfer-rules.ts";
import { getTransfer, type TransferView } from "./transfer-view.ts";

/** Rejects a pending request with a note (a supervisor or admin other than its maker): nothing moves. */
export async function rejectTransfer(db: Db, context: ActionContext, input: { transferId: number; note: string }): Promise<TransferView> {
  const checkerId = requireChecker(context.actor);
  const note = requireWords(input.note, "note", "say why the request is rejected");
  await db.$transaction(async (tx) => {
    const sql = prismaTransactionClient(tx);
    const request = await lockRequest(sql, input.transferId);
    requireUndecided(request, checkerId);
    await tx.transferRequest.update({ where: { id: request.id }, data: { status: "rejected", checkerId, decidedAt: new Date(), decisionNote: note } });
    await audit(tx, context, { action: "transfer.reject", target: `transfer:${request.id}`, reason: note, detail: { payment: request.payment_id.toString(), amountKopecks: request.amount_kopecks.toString() } });
  }, TRANSACTION_OPTIONS);
  return (await getTransfer(db, input.transferId))!;
}
