import { type ChannelProfile, type Outcome } from "../../adapters/contract/index.ts";
import { formatRubles } from "../../lib/money.ts";
import { prismaTransactionClient, type Db, type SqlPool } from "../db.ts";
import { CASHIER_CHANNEL } from "../ledger/ledger-accounts.ts";
import { handleCommand, type IntakeDeps } from "../payments/accept-payment.ts";
import { reverseInTransaction } from "../payments/reverse-payment.ts";
import { hasRole, mayActInOffice, StaffActionError, type ActionContext } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import { lockShift, requireCashier } from "./shifts.ts";

/** A cash payment's external id in the `cashier` channel: unique per desk and receipt number. */
export const cashExternalId = (deskCode: string, receiptNumber: number) => `${deskCode}:${receiptNumber}`;

export interface CashLimits {
  minKopecks: bigint;
  maxKopecks: bigint;
}

/**
 * Issues the next receipt number of the actor's open shift's desk. A payment form carries it, so submitting the form
 * twice (a double click, a reload, a retry after a lost answer) names the same payment, which intake records once.
 */
export async function issueReceiptNumber(db: Db, context: ActionContext, shiftId: number): Promise<{ receiptNumber: number; deskCode: string }> {
  const staffId = requireCashier(context.actor);
  return db.$transaction(async (tx) => {
    const shift = await tx.cashShift.findUnique({ where: { id: shiftId }, include: { desk: true } });
    if (!shift) throw new StaffActionError("shift_not_found", `no shift ${shiftId}`);
    if (shift.cashierId !== staffId) throw new StaffActionError("not_your_shift", "payments are taken on your own open shift");
    if (shift.closedAt) throw new StaffActionError("shift_closed", `shift ${shiftId} is closed: open a new one`);
    const desk = await tx.cashDesk.update({ where: { id: shift.deskId }, data: { lastReceiptNumber: { increment: 1 } } });
    await tx.cashReceipt.create({ data: { deskId: desk.id, number: desk.lastReceiptNumber, shiftId, cashierId: staffId } });
    return { receiptNumber: desk.lastReceiptNumber, deskCode: desk.code };
  });
}

export interface CashPaymentResult {
  outcome: Outcome;
  /** True when this submission recorded the payment; false when it repeated one recorded before. */
  created: boolean;
  paymentId: bigint;
  receiptNumber: number;
  deskCode: string;
}

interface ReceiptRow {
  shift_id: number;
  cashier_id: number;
  closed_at: Date | null;
  desk_code: string;
  office_id: number;
}

/** Refusals a cashier can act on, in words; the codes are the API's. */
function refusalOf(outcome: Outcome): StaffActionError | undefined {
  switch (outcome.kind) {
    case "accepted":
    case "duplicate":
      return undefined;
    case "accountNotFound":
      return new StaffActionError("account_not_found", "no such account");
    case "accountBlocked":
      return new StaffActionError("account_blocked", "payments to this account are blocked");
    case "accountInactive":
      return new StaffActionError("account_closed", "this contract is closed");
    case "amountTooSmall":
      return new StaffActionError("amount_too_small", `the smallest payment is ${formatRubles(outcome.minKopecks)} ₽`);
    case "amountTooLarge":
      return new StaffActionError("amount_too_large", `the largest payment is ${formatRubles(outcome.maxKopecks)} ₽`);
    case "conflict":
      return new StaffActionError("receipt_used", `receipt number already used for payment ${outcome.payment.id} (${outcome.payment.accountNumber}, ${formatRubles(outcome.payment.amountKopecks)} ₽): start a new payment`);
    case "temporaryFailure":
      return new StaffActionError("try_again", "the payment could not be recorded just now: nothing was taken into account, submit it again");
    default:
      return new StaffActionError("unexpected", `unexpected outcome ${outcome.kind}`);
  }
}

/**
 * Takes a cash payment on the actor's open shift, through the same intake as every channel (channel `cashier`,
 * profile the desk, external id desk:receipt). The shift row is held FOR SHARE in the same transaction as the
 * payment's insert, so a close that starts meanwhile waits for it, and a payment never lands in a closed shift.
 * The credit job is handed to the queue only after the commit.
 */
export async function takeCashPayment(
  intake: IntakeDeps,
  limits: CashLimits,
  context: ActionContext,
  input: { shiftId: number; receiptNumber: number; accountNumber: string; amountKopecks: bigint },
): Promise<CashPaymentResult> {
  const staffId = requireCashier(context.actor);
  // Drawn before the transaction's connection is taken: inside it, intake must need no other connection of the pool,
  // or cash payments holding every connection would each wait for one more (a deadlock).
  const paymentId = await intake.paymentIds.next();
  const client = await intake.pool.connect();
  const toDispatch: [bigint, string | undefined][] = [];
  let outcome: Outcome;
  let receipt: ReceiptRow;
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<ReceiptRow>(
      `SELECT s.id AS shift_id, s.cashier_id, s.closed_at, d.code AS desk_code, d.office_id
       FROM cash_receipt r JOIN cash_shift s ON s.id = r.shift_id JOIN cash_desk d ON d.id = r.desk_id
       WHERE r.shift_id = $1 AND r.number = $2 FOR SHARE OF s`,
      [input.shiftId, input.receiptNumber],
    );
    if (!rows[0]) throw new StaffActionError("receipt_not_found", `receipt number ${input.receiptNumber} was not issued to shift ${input.shiftId}`);
    receipt = rows[0];
    if (receipt.cashier_id !== staffId) throw new StaffActionError("not_your_shift", "payments are taken on your own open shift");
    if (!mayActInOffice(context.actor, receipt.office_id)) throw new StaffActionError("other_office", "this desk belongs to another office");
    const externalId = cashExternalId(receipt.desk_code, input.receiptNumber);
    if (receipt.closed_at !== null) {
      // A repeat of a payment recorded before the close (a retry after a lost answer) still gets its receipt, as a
      // repeat: intake's insert cannot add anything for a known external id. Only a new payment is refused.
      const known = await client.query("SELECT 1 FROM inbound_payment WHERE channel = $1 AND external_id = $2", [CASHIER_CHANNEL, externalId]);
      if (known.rows.length === 0) throw new StaffActionError("shift_closed", `shift ${input.shiftId} is closed: this payment was not taken`);
    }

    const source = { channel: CASHIER_CHANNEL, protocol: "cashier", profile: receipt.desk_code };
    const profile: ChannelProfile = { source, minKopecks: limits.minKopecks, maxKopecks: limits.maxKopecks, commissionBasisPoints: 0n };
    const inTransaction: IntakeDeps = {
      ...intake,
      // The payment's insert joins this transaction; its credit is queued once the transaction commits.
      pool: client as unknown as SqlPool,
      paymentIds: { next: async () => paymentId },
      // The insert must run on this transaction's connection: never in a shared group commit.
      paymentRecorder: undefined,
      dispatchCredit: (paymentId, requestId) => toDispatch.push([paymentId, requestId]),
    };
    ({ outcome } = await handleCommand(inTransaction, {
      source,
      profile,
      requestId: context.requestId,
      command: {
        kind: "pay",
        externalId,
        accountNumber: input.accountNumber,
        amountKopecks: input.amountKopecks,
        commissionKopecks: 0n,
        payerAmountKopecks: input.amountKopecks,
        providerTime: new Date().toISOString(),
        request: { shift: input.shiftId, receipt: input.receiptNumber, desk: receipt.desk_code, cashier: context.actor.login, ip: context.ip, account: input.accountNumber, amountKopecks: input.amountKopecks.toString() },
      },
      answer: (answered) => ({
        status: 200,
        contentType: "application/json",
        body: JSON.stringify({ outcome: answered.kind, receipt: externalId, payment: "payment" in answered ? answered.payment.id.toString() : null }),
      }),
    }));
    if (outcome.kind === "accepted") {
      // In the payment's own transaction: a payment never commits without the record of who took it.
      await audit(client, context, {
        action: "cash.payment",
        target: `payment:${outcome.payment.id}`,
        detail: { account: input.accountNumber, amountKopecks: input.amountKopecks.toString(), receipt: externalId, shift: input.shiftId },
      });
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  for (const [paymentId, requestId] of toDispatch) intake.dispatchCredit(paymentId, requestId);
  const refusal = refusalOf(outcome);
  if (refusal) throw refusal;
  const payment = (outcome as Extract<Outcome, { kind: "accepted" | "duplicate" }>).payment;
  return { outcome, created: outcome.kind === "accepted", paymentId: payment.id, receiptNumber: input.receiptNumber, deskCode: receipt.desk_code };
}

/**
 * Cancels a cash payment (storno) with a reason: a compensating posting (subscriber −sum, the desk's cash +sum)
 * linked to the payment, never a deletion. The cashier cancels their own payment while the shift is open; once it is
 * closed only a supervisor of the office may, and the storno is listed apart on the Z-report.
 */
export async function stornoCashPayment(db: Db, context: ActionContext, input: { paymentId: bigint; reason: string }): Promise<{ shiftId: number; amountKopecks: bigint; afterClose: boolean }> {
  const staffId = requireCashier(context.actor);
  const reason = input.reason.trim();
  if (reason.length < 3) throw new StaffActionError("reason_required", "say why the payment is cancelled");
  const payment = await db.inboundPayment.findUnique({ where: { id: input.paymentId } });
  if (!payment || payment.channel !== CASHIER_CHANNEL) throw new StaffActionError("payment_not_found", `no cash payment ${input.paymentId}`);
  const [deskCode, number] = [payment.profile, Number(payment.externalId.slice(payment.profile.length + 1))];
  const receipt = await db.cashReceipt.findFirst({ where: { desk: { code: deskCode }, number } });
  if (!receipt) throw new StaffActionError("receipt_not_found", `payment ${input.paymentId} has no receipt`);

  return db.$transaction(async (tx) => {
    const shift = await lockShift(tx, receipt.shiftId);
    if (!shift) throw new StaffActionError("shift_not_found", `no shift ${receipt.shiftId}`);
    const afterClose = shift.closed_at !== null;
    const supervisorHere = hasRole(context.actor, "supervisor") && mayActInOffice(context.actor, shift.office_id);
    if (afterClose && !supervisorHere) throw new StaffActionError("supervisor_required", "the shift is closed: only a supervisor of the office can cancel its payments");
    if (!afterClose && !supervisorHere && receipt.cashierId !== staffId) throw new StaffActionError("not_your_payment", "a cashier cancels only their own payments");
    // The reversal's statements run on the transaction's own connection, so they commit or roll back with the rest.
    const { outcome, reversalId } = await reverseInTransaction(prismaTransactionClient(tx), { channel: CASHIER_CHANNEL, protocol: "cashier", profile: deskCode }, {
      kind: "reverse",
      reference: payment.externalId,
      reversalKey: "storno",
      amountKopecks: undefined,
      reason: "storno",
      externalId: payment.externalId,
      accountNumber: undefined,
    });
    if (outcome.kind === "reversed" && outcome.repeat) throw new StaffActionError("already_cancelled", `payment ${input.paymentId} is already cancelled`);
    if (outcome.kind !== "reversed" || reversalId === undefined) {
      const why = outcome.kind === "operationRefused" ? outcome.reason : outcome.kind;
      throw new StaffActionError("cannot_cancel", `payment ${input.paymentId} cannot be cancelled now (${why}); if it was taken a moment ago, try again in a few seconds`);
    }
    await tx.cashStorno.create({ data: { paymentId: input.paymentId, shiftId: receipt.shiftId, staffId, reason, afterClose, reversalId } });
    await audit(tx, context, { action: afterClose ? "cash.storno-after-close" : "cash.storno", target: `payment:${input.paymentId}`, reason, detail: { shift: receipt.shiftId, amountKopecks: outcome.amountKopecks.toString() } });
    return { shiftId: receipt.shiftId, amountKopecks: outcome.amountKopecks, afterClose };
  });
}
