import type { Db } from "../db.ts";
import type { Prisma, TransferStatus } from "../generated/prisma/client.ts";
import { findPayments, type PaymentFigures } from "./payments.ts";

// The transfers' read model: a request as the API and the console show it, with its payment, accounts, staff and
// evidence metadata.

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
