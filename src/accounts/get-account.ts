import { maskOwnerName } from "../../adapters/contract/index.ts";
import { formatRubles } from "../../lib/money.ts";
import type { Db } from "../db.ts";
import type { AccountStatus } from "../generated/prisma/client.ts";

export interface AccountMovement {
  postingId: string;
  kind: string;
  /** Signed rubles: positive raised the balance. */
  amount: string;
  memo: string | null;
  paymentId: string | null;
  at: string;
}

export interface AccountDetails {
  number: string;
  login: string | null;
  /** Rubles with two decimals, e.g. "198.19". */
  balance: string;
  balanceKopecks: string;
  status: AccountStatus;
  ownerName: string;
  address: string;
  monthlyFee: string;
  movements: AccountMovement[];
}

/** An account as staff and automation see it, with its most recent ledger movements (newest first). */
export async function getAccount(db: Db, number: string, movementLimit = 20): Promise<AccountDetails | undefined> {
  const account = await db.subscriberAccount.findUnique({ where: { number } });
  if (!account) return undefined;
  const entries = await db.ledgerEntry.findMany({
    where: { ledgerAccountId: account.ledgerAccountId },
    orderBy: { id: "desc" },
    take: movementLimit,
    include: { posting: true },
  });
  return {
    number: account.number,
    login: account.login,
    balance: formatRubles(account.balanceKopecks),
    balanceKopecks: account.balanceKopecks.toString(),
    status: account.status,
    ownerName: maskOwnerName(account.ownerName),
    address: account.address,
    monthlyFee: formatRubles(account.monthlyFeeKopecks),
    movements: entries.map((entry) => ({
      postingId: entry.postingId.toString(),
      kind: entry.posting.kind,
      amount: formatRubles(entry.amountKopecks),
      memo: entry.posting.memo,
      paymentId: entry.posting.paymentId?.toString() ?? null,
      at: entry.createdAt.toISOString(),
    })),
  };
}
