import type { SqlClient } from "../db.ts";
import type { TransferStatus } from "../generated/prisma/client.ts";
import { StaffActionError } from "../staff/actor.ts";
import { rubles } from "./transfer-rules.ts";

// The rows a decision (approval, reversal) locks, always in this order: the request, the payment (lockPayment in
// payments.ts), then both accounts in id order. The request's lock serialises two decisions on one request; the
// payment's serialises a decision with a provider's reversal of the same payment (reverse-payment.ts locks that row
// too); the accounts' id order keeps two transfers between the same accounts in opposite directions from deadlocking.

export interface LockedRequest {
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
export async function lockRequest(sql: SqlClient, transferId: number): Promise<LockedRequest> {
  const { rows } = await sql.query<LockedRequest>(
    `SELECT id, payment_id, from_account_id, to_account_id, amount_kopecks, reason, status::text AS status, maker_id, posting_id
     FROM transfer_request WHERE id = $1::int FOR UPDATE`,
    [transferId],
  );
  const row = rows[0];
  if (!row) throw new StaffActionError("transfer_not_found", `no transfer request ${transferId}`);
  return { ...row, payment_id: BigInt(row.payment_id), amount_kopecks: BigInt(row.amount_kopecks), posting_id: row.posting_id === null ? null : BigInt(row.posting_id) };
}

/** A pending request its maker does not decide. */
export function requireUndecided(request: LockedRequest, checkerId: number): void {
  if (request.status !== "pending") throw new StaffActionError("already_decided", `transfer request ${request.id} is already ${request.status}`);
  if (request.maker_id === checkerId) throw new StaffActionError("maker_cannot_decide", `you filed transfer request ${request.id}: another supervisor or admin decides on it`);
}

export interface LockedAccount {
  id: number;
  number: string;
  status: string;
  balance_kopecks: bigint;
  ledger_account_id: number;
}

/** Locks both accounts in id order (so two transfers between the same accounts in opposite directions cannot deadlock). */
export async function lockAccounts(sql: SqlClient, fromId: number, toId: number): Promise<{ from: LockedAccount; to: LockedAccount }> {
  const { rows } = await sql.query<LockedAccount>(
    `SELECT id, number, status::text AS status, balance_kopecks, ledger_account_id FROM subscriber_account
     WHERE id IN ($1::int, $2::int) ORDER BY id FOR UPDATE`,
    [fromId, toId],
  );
  const byId = new Map(rows.map((row) => [row.id, { ...row, balance_kopecks: BigInt(row.balance_kopecks) }]));
  return { from: byId.get(fromId)!, to: byId.get(toId)! };
}

/** Refuses to take an account below zero unless the checker allows it. */
export function requireBalance(account: LockedAccount, amountKopecks: bigint, allowNegative: boolean): void {
  const after = account.balance_kopecks - amountKopecks;
  if (after < 0n && !allowNegative) {
    throw new StaffActionError(
      "insufficient_balance",
      `account ${account.number} has ${rubles(account.balance_kopecks)}: taking ${rubles(amountKopecks)} leaves it ${rubles(-after)} short; send allowNegative: true to let its balance go below zero`,
    );
  }
}
