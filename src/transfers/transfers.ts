import { formatRubles } from "../../lib/money.ts";
import { prismaTransactionClient, type Db } from "../db.ts";
import type { Prisma, TransferStatus } from "../generated/prisma/client.ts";
import { post } from "../ledger/post.ts";
import { hasRole, requireStaff, StaffActionError, type ActionContext, type Actor } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import { checkEvidenceFiles, type EvidenceUpload } from "./evidence.ts";
import { findPayments, lockPayment, resolvePayment, type PaymentFigures, type PaymentLookup } from "./payments.ts";

// A mis-sent payment's transfer (the subscriber handbook §2.7): the payer paid into someone else's existing account
// and brings the receipt; one member of staff files the request with it, another (a supervisor or admin, never the
// maker) approves or rejects it. Approval moves the money in one posting; an approved transfer can be reversed as a
// unit. Every step is audited in its own transaction.
//
// How much may move: what is left of the payment = its amount − what the provider gave back or the desk cancelled
// (payment_reversal) − transfers of it approved and not reversed. Filing also counts the requests still pending, so
// open requests never promise more than is left; approval re-checks what is left with the payment row locked.

type Tx = Prisma.TransactionClient;

/** Filing holds up to 5 files of 5 MB in one transaction: more time than Prisma's default 5 s. */
const TRANSACTION_OPTIONS = { timeout: 30_000, maxWait: 10_000 };

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

export interface StaffRef {
  login: string;
  fullName: string;
}

export interface EvidenceMeta {
  id: number;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  uploadedBy: StaffRef;
  createdAt: Date;
}

export interface TransferView {
  id: number;
  status: TransferStatus;
  payment: { id: bigint; channel: string; externalId: string; amountKopecks: bigint; receivedAt: Date };
  from: string;
  to: string;
  amountKopecks: bigint;
  reason: string;
  maker: StaffRef;
  createdAt: Date;
  checker: StaffRef | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  allowNegative: boolean;
  postingId: bigint | null;
  reversal: { by: StaffRef; at: Date; reason: string; postingId: bigint } | null;
  evidence: EvidenceMeta[];
}

/** A transfer needs a person: the automation token may neither file nor decide. */
const requirePerson = (actor: Actor): number => requireStaff(actor, "transfers are filed and decided");

/** A supervisor or admin (a person); a cashier files but never decides. */
function requireChecker(actor: Actor): number {
  const staffId = requirePerson(actor);
  if (!hasRole(actor, "supervisor")) throw new StaffActionError(403, "supervisor_required", "only a supervisor or an admin decides on transfers");
  return staffId;
}

function requireWords(text: string, field: string, what: string): string {
  const trimmed = text.trim();
  if (trimmed.length < 3) throw new StaffActionError(400, `${field}_required`, what);
  return trimmed;
}

const rubles = (kopecks: bigint) => `${formatRubles(kopecks)} ₽`;

/** What a payment still allows, in words, for refusals. */
function figuresText(payment: PaymentFigures): string {
  return `payment ${payment.id} of ${rubles(payment.amountKopecks)}: ${rubles(payment.reversedKopecks)} reversed by the provider or cancelled, ${rubles(payment.transferredKopecks)} transferred`;
}

/** The payment must be money on the "from" account: credited to a subscriber account. */
function requireCreditedTo(payment: PaymentFigures, fromAccountId?: number): number {
  if (payment.status !== "credited" || payment.accountId === null) {
    throw new StaffActionError(409, "payment_not_credited", `payment ${payment.id} is ${payment.status}${payment.accountId === null ? " and credited to no account" : ""}: only money credited to an account can be transferred`);
  }
  if (fromAccountId !== undefined && payment.accountId !== fromAccountId) {
    throw new StaffActionError(409, "payment_not_credited", `payment ${payment.id} is no longer credited to the transfer's account`);
  }
  return payment.accountId;
}

/**
 * Files a transfer request: the payment (credited, to the "from" account), the right account (existing, active, not
 * the same), the amount (at most what is left of the payment less what open requests already ask), the reason and
 * the payer's evidence (PNG, JPEG or PDF, checked by content). Any signed-in member of staff may file.
 */
export async function fileTransfer(db: Db, context: ActionContext, input: FileTransferInput): Promise<TransferView> {
  const staffId = requirePerson(context.actor);
  const reason = requireWords(input.reason, "reason", "say why the money moves: what the payer's receipt shows");
  if (input.amountKopecks <= 0n) throw new StaffActionError(400, "bad_amount", "the amount must be greater than zero");
  const evidence = checkEvidenceFiles(input.evidence);
  const found = await resolvePayment(db, input.payment);
  const to = await db.subscriberAccount.findUnique({ where: { number: input.toAccountNumber } });
  if (!to) throw new StaffActionError(404, "account_not_found", `no account ${input.toAccountNumber}`);
  if (to.status !== "active") throw new StaffActionError(409, "account_not_active", `account ${to.number} is ${to.status}: money can only move to an active account`);

  const id = await db.$transaction(async (tx) => {
    const payment = await lockPayment(prismaTransactionClient(tx), found.id);
    if (!payment) throw new StaffActionError(404, "payment_not_found", `no payment ${found.id}`);
    const fromAccountId = requireCreditedTo(payment);
    if (fromAccountId === to.id) throw new StaffActionError(409, "same_account", `payment ${payment.id} is already on account ${to.number}`);
    const available = payment.leftKopecks - payment.pendingKopecks;
    if (input.amountKopecks > available) {
      throw new StaffActionError(
        409,
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

interface LockedRequest {
  id: number;
  payment_id: bigint;
  from_account_id: number;
  to_account_id: number;
  amount_kopecks: bigint;
  reason: string;
  status: TransferStatus;
  maker_id: number;
  posting_id: bigint | null;
}

/** Locks the request row (FOR UPDATE): two decisions on one request are serialised, the second sees the first. */
async function lockRequest(tx: Tx, transferId: number): Promise<LockedRequest> {
  const rows = await tx.$queryRawUnsafe<LockedRequest[]>(
    `SELECT id, payment_id, from_account_id, to_account_id, amount_kopecks, reason, status::text AS status, maker_id, posting_id
     FROM transfer_request WHERE id = $1::int FOR UPDATE`,
    transferId,
  );
  const row = rows[0];
  if (!row) throw new StaffActionError(404, "transfer_not_found", `no transfer request ${transferId}`);
  return { ...row, payment_id: BigInt(row.payment_id), amount_kopecks: BigInt(row.amount_kopecks), posting_id: row.posting_id === null ? null : BigInt(row.posting_id) };
}

/** A pending request its maker does not decide. */
function requireUndecided(request: LockedRequest, checkerId: number): void {
  if (request.status !== "pending") throw new StaffActionError(409, "already_decided", `transfer request ${request.id} is already ${request.status}`);
  if (request.maker_id === checkerId) throw new StaffActionError(403, "maker_cannot_decide", `you filed transfer request ${request.id}: another supervisor or admin decides on it`);
}

interface LockedAccount {
  id: number;
  number: string;
  status: string;
  balance_kopecks: bigint;
  ledger_account_id: number;
}

/** Locks both accounts in id order (so two transfers between the same accounts in opposite directions cannot deadlock). */
async function lockAccounts(tx: Tx, fromId: number, toId: number): Promise<{ from: LockedAccount; to: LockedAccount }> {
  const rows = await tx.$queryRawUnsafe<LockedAccount[]>(
    `SELECT id, number, status::text AS status, balance_kopecks, ledger_account_id FROM subscriber_account
     WHERE id IN ($1::int, $2::int) ORDER BY id FOR UPDATE`,
    fromId,
    toId,
  );
  const byId = new Map(rows.map((row) => [row.id, { ...row, balance_kopecks: BigInt(row.balance_kopecks) }]));
  return { from: byId.get(fromId)!, to: byId.get(toId)! };
}

/** Refuses to take an account below zero unless the checker allows it. */
function requireBalance(account: LockedAccount, amountKopecks: bigint, allowNegative: boolean): void {
  const after = account.balance_kopecks - amountKopecks;
  if (after < 0n && !allowNegative) {
    throw new StaffActionError(
      409,
      "insufficient_balance",
      `account ${account.number} has ${rubles(account.balance_kopecks)}: taking ${rubles(amountKopecks)} leaves it ${rubles(-after)} short; send allowNegative: true to let its balance go below zero`,
    );
  }
}

interface Movement {
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
async function postMovement(tx: Tx, context: ActionContext, movement: Movement): Promise<bigint> {
  const { request } = movement;
  const amount = request.amount_kopecks.toString();
  // Both accounts are locked already (lockAccounts, in id order): the balance update waits for no one.
  const postingId = await post(prismaTransactionClient(tx), {
    kind: movement.kind,
    paymentId: request.payment_id,
    reversesPostingId: movement.reversesPostingId ?? undefined,
    memo: movement.memo,
    entries: [
      { ledgerAccount: movement.debit.ledger_account_id, amountKopecks: -request.amount_kopecks },
      { ledgerAccount: movement.credit.ledger_account_id, amountKopecks: request.amount_kopecks },
    ],
  });
  await audit(tx, context, {
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
    const request = await lockRequest(tx, input.transferId);
    requireUndecided(request, checkerId);
    const payment = (await lockPayment(prismaTransactionClient(tx), request.payment_id))!;
    requireCreditedTo(payment, request.from_account_id);
    if (request.amount_kopecks > payment.leftKopecks) {
      throw new StaffActionError(409, "amount_exceeds_payment", `${rubles(request.amount_kopecks)} asked; ${figuresText(payment)}: only ${rubles(payment.leftKopecks > 0n ? payment.leftKopecks : 0n)} is left; reject this request`);
    }
    const { from, to } = await lockAccounts(tx, request.from_account_id, request.to_account_id);
    if (to.status !== "active") throw new StaffActionError(409, "account_not_active", `account ${to.number} is ${to.status} now: money can only move to an active account`);
    requireBalance(from, request.amount_kopecks, allowNegative);
    const postingId = await postMovement(tx, context, {
      kind: "transfer",
      request,
      reversesPostingId: null,
      memo: `transfer #${request.id} of payment ${request.payment_id} (${payment.channel} ${payment.externalId}) from ${from.number} to ${to.number}: ${request.reason}`,
      debit: from,
      credit: to,
      reason: note,
      allowNegative,
    });
    await tx.$executeRawUnsafe(
      `UPDATE transfer_request SET status = 'approved', checker_id = $2::int, decided_at = now(), decision_note = $3, allow_negative = $4, posting_id = $5::bigint
       WHERE id = $1::int`,
      request.id,
      checkerId,
      note,
      allowNegative,
      postingId.toString(),
    );
  }, TRANSACTION_OPTIONS);
  return (await getTransfer(db, input.transferId))!;
}

/** Rejects a pending request with a note (a supervisor or admin other than its maker): nothing moves. */
export async function rejectTransfer(db: Db, context: ActionContext, input: { transferId: number; note: string }): Promise<TransferView> {
  const checkerId = requireChecker(context.actor);
  const note = requireWords(input.note, "note", "say why the request is rejected");
  await db.$transaction(async (tx) => {
    const request = await lockRequest(tx, input.transferId);
    requireUndecided(request, checkerId);
    await tx.transferRequest.update({ where: { id: request.id }, data: { status: "rejected", checkerId, decidedAt: new Date(), decisionNote: note } });
    await audit(tx, context, { action: "transfer.reject", target: `transfer:${request.id}`, reason: note, detail: { payment: request.payment_id.toString(), amountKopecks: request.amount_kopecks.toString() } });
  }, TRANSACTION_OPTIONS);
  return (await getTransfer(db, input.transferId))!;
}

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
    const request = await lockRequest(tx, input.transferId);
    if (request.status === "reversed") throw new StaffActionError(409, "already_reversed", `transfer ${request.id} is already reversed`);
    if (request.status !== "approved" || request.posting_id === null) throw new StaffActionError(409, "not_approved", `transfer request ${request.id} is ${request.status}: only an approved transfer can be reversed`);
    // Same lock order as approval: request, payment, accounts.
    await lockPayment(prismaTransactionClient(tx), request.payment_id);
    const { from, to } = await lockAccounts(tx, request.from_account_id, request.to_account_id);
    requireBalance(to, request.amount_kopecks, allowNegative);
    const postingId = await postMovement(tx, context, {
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

const TRANSFER_INCLUDE = {
  payment: true,
  fromAccount: true,
  toAccount: true,
  maker: true,
  checker: true,
  reversedBy: true,
  evidence: { omit: { content: true }, include: { uploadedBy: true }, orderBy: { id: "asc" } },
} as const satisfies Prisma.TransferRequestInclude;

type TransferRow = Prisma.TransferRequestGetPayload<{ include: typeof TRANSFER_INCLUDE }>;

const staffRef = (staff: { login: string; fullName: string }): StaffRef => ({ login: staff.login, fullName: staff.fullName });

function transferView(row: TransferRow): TransferView {
  return {
    id: row.id,
    status: row.status,
    payment: { id: row.payment.id, channel: row.payment.channel, externalId: row.payment.externalId, amountKopecks: row.payment.amountKopecks, receivedAt: row.payment.receivedAt },
    from: row.fromAccount.number,
    to: row.toAccount.number,
    amountKopecks: row.amountKopecks,
    reason: row.reason,
    maker: staffRef(row.maker),
    createdAt: row.createdAt,
    checker: row.checker && staffRef(row.checker),
    decidedAt: row.decidedAt,
    decisionNote: row.decisionNote,
    allowNegative: row.allowNegative,
    postingId: row.postingId,
    reversal:
      row.reversedBy && row.reversedAt && row.reversalPostingId !== null
        ? { by: staffRef(row.reversedBy), at: row.reversedAt, reason: row.reverseReason ?? "", postingId: row.reversalPostingId }
        : null,
    evidence: row.evidence.map((file) => ({
      id: file.id,
      fileName: file.fileName,
      contentType: file.contentType,
      sizeBytes: file.sizeBytes,
      sha256: file.sha256,
      uploadedBy: staffRef(file.uploadedBy),
      createdAt: file.createdAt,
    })),
  };
}

/** A request with its payment, accounts, staff and evidence metadata (not the files). */
export async function getTransfer(db: Db, transferId: number): Promise<TransferView | undefined> {
  const row = await db.transferRequest.findUnique({ where: { id: transferId }, include: TRANSFER_INCLUDE });
  return row ? transferView(row) : undefined;
}

/** Requests, newest first: by status (the supervisors' queue is "pending"), by account (either side), by payment. */
export async function listTransfers(db: Db, filter: { status?: TransferStatus; accountNumber?: string; paymentId?: bigint; limit?: number } = {}): Promise<TransferView[]> {
  const rows = await db.transferRequest.findMany({
    where: {
      status: filter.status,
      paymentId: filter.paymentId,
      ...(filter.accountNumber === undefined ? {} : { OR: [{ fromAccount: { number: filter.accountNumber } }, { toAccount: { number: filter.accountNumber } }] }),
    },
    include: TRANSFER_INCLUDE,
    orderBy: { id: "desc" },
    take: filter.limit ?? 100,
  });
  return rows.map(transferView);
}

/**
 * A payment's story for the console: its figures (amount, reversed, transferred, pending, left) and every transfer
 * request of it, oldest first. Undefined when there is no such payment.
 */
export async function transfersOfPayment(db: Db, paymentId: bigint): Promise<{ payment: PaymentFigures; transfers: TransferView[] } | undefined> {
  const [payment] = await findPayments(db, { kind: "id", paymentId });
  if (!payment) return undefined;
  const rows = await db.transferRequest.findMany({ where: { paymentId }, include: TRANSFER_INCLUDE, orderBy: { id: "asc" } });
  return { payment, transfers: rows.map(transferView) };
}

/** One evidence file of a request, with its content. */
export async function evidenceFile(db: Db, transferId: number, evidenceId: number): Promise<{ fileName: string; contentType: string; sha256: string; content: Buffer } | undefined> {
  const file = await db.transferEvidence.findFirst({ where: { id: evidenceId, transferRequestId: transferId } });
  return file ? { fileName: file.fileName, contentType: file.contentType, sha256: file.sha256, content: Buffer.from(file.content) } : undefined;
}
