import type { Db } from "../db.ts";

/** Ledger account codes: one scheme, used by intake, crediting and reports. */
export const ledgerCodes = {
  subscriber: (accountNumber: string) => `subscriber:${accountNumber}`,
  clearing: (channel: string) => `clearing:${channel}`,
  suspense: "suspense",
  commission: "commission",
  cash: (deskCode: string) => `cash:${deskCode}`,
};

/** Cash taken at an office desk: the channel of every cash payment; its profile is the desk's code. */
export const CASHIER_CHANNEL = "cashier";

/**
 * The ledger account on the other side of a payment's credit (and of its reversals): the channel's clearing account,
 * or, for cash, the cash account of the desk that took it. The SQL form is for statements that post in the database.
 */
export function counterAccountCode(channel: string, profile: string): string {
  return channel === CASHIER_CHANNEL ? ledgerCodes.cash(profile) : ledgerCodes.clearing(channel);
}
export const counterAccountCodeSql = (payment: string) =>
  `CASE WHEN ${payment}.channel = '${CASHIER_CHANNEL}' THEN 'cash:' || ${payment}.profile ELSE 'clearing:' || ${payment}.channel END`;

/**
 * Creates the ledger accounts the hub posts to (a clearing account per channel, suspense, commission) if they are
 * missing. Idempotent: run at every start.
 */
export async function ensureLedgerAccounts(db: Db, channels: string[]): Promise<void> {
  const accounts = [
    ...channels.map((channel) => ({ code: ledgerCodes.clearing(channel), kind: "clearing" as const, name: `Clearing: ${channel}` })),
    { code: ledgerCodes.suspense, kind: "suspense" as const, name: "Suspense: payments waiting to be matched" },
    { code: ledgerCodes.commission, kind: "commission" as const, name: "Commission" },
  ];
  await db.ledgerAccount.createMany({ data: accounts, skipDuplicates: true });
}

export interface LedgerHealth {
  /** Sum of every entry of the ledger: zero when every posting balances. */
  totalKopecks: bigint;
  /** Postings whose entries do not sum to zero. */
  unbalancedPostings: number;
  /** Subscriber accounts whose cached balance differs from the sum of their entries. */
  balanceMismatches: { number: string; cachedKopecks: bigint; entriesKopecks: bigint }[];
}

/** The ledger's invariants, checked from the data: what an operator runs at month end and what tests assert. */
export async function checkLedger(db: Db): Promise<LedgerHealth> {
  const [total] = await db.$queryRaw<{ total: bigint }[]>`SELECT COALESCE(SUM(amount_kopecks), 0)::bigint AS total FROM ledger_entry`;
  const [unbalanced] = await db.$queryRaw<{ count: number }[]>`
    SELECT count(*)::int AS count FROM (
      SELECT posting_id FROM ledger_entry GROUP BY posting_id HAVING SUM(amount_kopecks) <> 0) AS bad`;
  const mismatches = await db.$queryRaw<{ number: string; cached: bigint; entries: bigint }[]>`
    SELECT s.number, s.balance_kopecks AS cached, COALESCE(e.total, 0)::bigint AS entries
    FROM subscriber_account s
    LEFT JOIN (SELECT ledger_account_id, SUM(amount_kopecks) AS total FROM ledger_entry GROUP BY ledger_account_id) e
      ON e.ledger_account_id = s.ledger_account_id
    WHERE s.balance_kopecks <> COALESCE(e.total, 0)`;
  return {
    totalKopecks: total?.total ?? 0n,
    unbalancedPostings: unbalanced?.count ?? 0,
    balanceMismatches: mismatches.map((row) => ({ number: row.number, cachedKopecks: row.cached, entriesKopecks: row.entries })),
  };
}
