import { prismaTransactionClient, type Db } from "../db.ts";
import { StaffActionError, type ActionContext } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import { checkEvidenceFiles, type EvidenceUpload } from "./evidence.ts";
import { lockPayment, resolvePayment, type PaymentLookup } from "./payments.ts";
import { figuresText, requireCreditedTo, requirePerson, requireWords, rubles, TRANSACTION_OPTIONS } from "./transfer-rules.ts";
import { getTransfer, type TransferView } from "./transfer-view.ts";

export interface FileTransferInput {
  /** The original payment, named as the payer's receipt shows it. */
  payment: PaymentLookup;
  /** The account the money should have gone to. */
  toAccountNumber: string;
  /** All or part of what is left of the payment. */
  amountKopecks: bigint;
  reason: string;
  evidence: EvidenceUpload[];
}

/**
 * Files a transfer request: the payment (credited, to the "from" account), the right account (existing, active, not
 * the same), the amount (at most what is left of the payment less what open requests already ask), the reason and
 * the payer's evidence (PNG, JPEG or PDF, checked by content). Any signed-in member of staff may file.
 */
export async function fileTransfer(db: Db, context: ActionContext, input: FileTransferInput): Promise<TransferView> {
  const staffId = requirePerson(context.actor);
  const reason = requireWords(input.reason, "reason", "say why the money moves: what the payer's receipt shows");
  if (input.amountKopecks <= 0n) throw new StaffActionError("bad_amount", "the amount must be greater than zero");
  const evidence = checkEvidenceFiles(input.evidence);
  const found = await resolvePayment(db, input.payment);
  const to = await db.subscriberAccount.findUnique({ where: { number: input.toAccountNumber } });
  if (!to) throw new StaffActionError("account_not_found", `no account ${input.toAccountNumber}`);
  if (to.status !== "active") throw new StaffActionError("account_not_active", `account ${to.number} is ${to.status}: money can only move to an active account`);

  const id = await db.$transaction(async (tx) => {
    const payment = await lockPayment(prismaTransactionClient(tx), found.id);
    if (!payment) throw new StaffActionError("payment_not_found", `no payment ${found.id}`);
    const fromAccountId = requireCreditedTo(payment);
    if (fromAccountId === to.id) throw new StaffActionError("same_account", `payment ${payment.id} is already on account ${to.number}`);
    const available = payment.leftKopecks - payment.pendingKopecks;
    if (input.amountKopecks > available) {
      throw new StaffActionError(
        "amount_exceeds_payment",
        `${rubles(input.amountKopecks)} asked; ${figuresText(payment)}, ${rubles(payment.pendingKopecks)} asked by open requests: at most ${rubles(available > 0n ? available : 0n)} can be asked`,
      );
    }
    const request = await tx.transferRequest.create({
      data: {
        paymentId: payment.id,
        fromAccountId,
        toAccountId: to.id,
        amountKopecks: input.amountKopecks,
        reason,
        makerId: staffId,
        evidence: {
          create: evidence.map((file) => ({
            fileName: file.fileName,
            contentType: file.contentType,
            sizeBytes: file.sizeBytes,
            sha256: file.sha256,
            content: new Uint8Array(file.content),
            uploadedById: staffId,
          })),
        },
      },
    });
    await audit(tx, context, {
      action: "transfer.file",
      target: `transfer:${request.id}`,
      reason,
      detail: {
        payment: payment.id.toString(),
        to: to.number,
        amountKopecks: input.amountKopecks.toString(),
        evidence: evidence.map((file) => ({ fileName: file.fileName, contentType: file.contentType, sizeBytes: file.sizeBytes, sha256: file.sha256 })),
      },
    });
    return request.id;
  }, TRANSACTION_OPTIONS);
  return (await getTransfer(db, id))!;
}
