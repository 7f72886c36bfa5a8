import type { AccountView, ChannelProfile, CheckCommand, Outcome } from "../../adapters/contract/index.ts";
import { maskOwnerName } from "../../adapters/contract/index.ts";
import type { SqlPool } from "../db.ts";
import type { IntakeDeps, IntakeRequest } from "./handle-command.ts";
import { issuedPaymentRule } from "./issued-payments.ts";

/** Rows as `pg` returns them: int8 columns arrive as decimal strings and are read with BigInt. */
export interface AccountRow {
  id: number;
  number: string;
  status: "active" | "blocked" | "closed";
  owner_name: string;
  address: string;
  balance_kopecks: string;
  monthly_fee_kopecks: string;
}

const FIND_ACCOUNT_SQL = `
  SELECT id, number, status::text AS status, owner_name, address, balance_kopecks, monthly_fee_kopecks
  FROM subscriber_account WHERE number = $1`;

/**
 * May this account be paid? A pre-request naming a payment payhub issued (intentReference) is approved only for that
 * issued payment's own account and amount, and writes nothing: an unsigned pre-request can confirm, never change, what
 * payhub recorded.
 */
export async function checkAccount(deps: IntakeDeps, request: IntakeRequest, command: CheckCommand): Promise<Outcome> {
  const account = await findAccount(deps.pool, command.accountNumber);
  const refusal = refusalFor(account?.status, command.amountKopecks, request.profile);
  if (refusal) return refusal;
  if (command.intentReference !== undefined) {
    const issuedRefusal = await issuedPaymentRule(request).check(deps.pool, request.source, command);
    if (issuedRefusal) return issuedRefusal;
  }
  return { kind: "checked", account: accountView(account!) };
}

/** Why a payment to an account in this status, of this amount, is refused; undefined when it may be paid. */
export function refusalFor(status: AccountRow["status"] | undefined, amountKopecks: bigint | undefined, profile: ChannelProfile): Outcome | undefined {
  if (!status) return { kind: "accountNotFound" };
  if (status === "closed") return { kind: "accountInactive" };
  if (status === "blocked") return { kind: "accountBlocked" };
  if (amountKopecks !== undefined && amountKopecks < profile.minKopecks) return { kind: "amountTooSmall", minKopecks: profile.minKopecks };
  if (amountKopecks !== undefined && amountKopecks > profile.maxKopecks) return { kind: "amountTooLarge", maxKopecks: profile.maxKopecks };
  return undefined;
}

export async function findAccount(pool: SqlPool, number: string): Promise<AccountRow | undefined> {
  const result = await pool.query<AccountRow>({ name: "intake-find-account", text: FIND_ACCOUNT_SQL, values: [number] });
  return result.rows[0];
}

function accountView(account: AccountRow): AccountView {
  return {
    number: account.number,
    maskedOwnerName: maskOwnerName(account.owner_name),
    address: account.address,
    balanceKopecks: BigInt(account.balance_kopecks),
    monthlyFeeKopecks: BigInt(account.monthly_fee_kopecks),
  };
}
