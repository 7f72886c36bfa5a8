import type { Db } from "../db.ts";
import { ledgerCodes } from "../ledger/ledger-accounts.ts";
import type { AccountInput } from "./account-input.ts";

/** One account to create or update: its number and its validated details. */
export interface AccountRecord {
  number: string;
  input: AccountInput;
}

/**
 * `created` tells a new account from an updated one. A refusal is a value: the login (unique across accounts)
 * already belongs to another account.
 */
export type UpsertResult =
  | { ok: true; created: boolean; number: string }
  | { ok: false; number: string; field: "login"; message: string };

/**
 * Creates a subscriber account with its ledger account, or updates its details. The balance is never written
 * here: it moves only through postings.
 */
export async function upsertAccount(db: Db, number: string, input: AccountInput): Promise<UpsertResult> {
  const [result] = await upsertAccounts(db, [{ number, input }]);
  return result!;
}

/**
 * {@link upsertAccount} for many accounts at once (the CSV import): one transaction of three statements whatever
 * the count, instead of several round trips per account. The one place where accounts are created. Numbers must be
 * distinct within one call; results come back in the order of `accounts`.
 */
export async function upsertAccounts(db: Db, accounts: readonly AccountRecord[]): Promise<UpsertResult[]> {
  if (accounts.length === 0) return [];
  const numbers = accounts.map((account) => account.number);
  if (new Set(numbers).size !== numbers.length) throw new Error("upsertAccounts: account numbers must be distinct within one call");

  return db.$transaction(
    async (tx) => {
      const results = new Array<UpsertResult | undefined>(accounts.length);
      // A login names one account: refuse a row whose login another account holds now or an earlier row claimed.
      const wantedLogins = [...new Set(accounts.map((account) => account.input.login).filter((login): login is string => !!login))];
      const holders =
        wantedLogins.length === 0
          ? []
          : await tx.$queryRaw<{ number: string; login: string }[]>`
              SELECT number, login FROM subscriber_account WHERE login = ANY(${wantedLogins}::text[])`;
      const loginHolder = new Map(holders.map((holder) => [holder.login, holder.number]));
      const accepted: { index: number; account: AccountRecord }[] = [];
      accounts.forEach((account, index) => {
        const login = account.input.login;
        if (login) {
          const holder = loginHolder.get(login);
          if (holder !== undefined && holder !== account.number) {
            results[index] = { ok: false, number: account.number, field: "login", message: `login "${login}" already belongs to account ${holder}` };
            return;
          }
          loginHolder.set(login, account.number);
        }
        accepted.push({ index, account });
      });

      if (accepted.length > 0) {
        const column = <T>(pick: (account: AccountRecord) => T) => accepted.map(({ account }) => pick(account));
        const number = column((account) => account.number);
        const ledgerCode = column((account) => ledgerCodes.subscriber(account.number));
        const ledgerName = column((account) => `Subscriber ${account.number}`);
        // An orphan ledger account of the same code (a create that failed half-way long ago) is reused, not doubled.
        await tx.$executeRaw`
          INSERT INTO ledger_account (code, kind, name)
          SELECT t.code, 'subscriber', t.name
          FROM unnest(${number}::text[], ${ledgerCode}::text[], ${ledgerName}::text[]) AS t(number, code, name)
          WHERE NOT EXISTS (SELECT 1 FROM subscriber_account s WHERE s.number = t.number)
          ON CONFLICT (code) DO NOTHING`;
        // xmax = 0 on the returned row: it was inserted, not updated (PostgreSQL's upsert idiom).
        const rows = await tx.$queryRaw<{ number: string; created: boolean }[]>`
          INSERT INTO subscriber_account AS s
            (number, login, owner_name, address, phone, status, monthly_fee_kopecks, ledger_account_id)
          SELECT t.number, t.login, t.owner_name, t.address, t.phone, t.status::"AccountStatus", t.monthly_fee_kopecks, l.id
          FROM unnest(
            ${number}::text[],
            ${column((account) => account.input.login ?? null)}::text[],
            ${column((account) => account.input.ownerName)}::text[],
            ${column((account) => account.input.address)}::text[],
            ${column((account) => account.input.phone ?? null)}::text[],
            ${column((account) => account.input.status)}::text[],
            ${column((account) => account.input.monthlyFee.toString())}::bigint[],
            ${ledgerCode}::text[]
          ) AS t(number, login, owner_name, address, phone, status, monthly_fee_kopecks, ledger_code)
          JOIN ledger_account l ON l.code = t.ledger_code
          ON CONFLICT (number) DO UPDATE SET
            login = EXCLUDED.login,
            owner_name = EXCLUDED.owner_name,
            address = EXCLUDED.address,
            phone = EXCLUDED.phone,
            status = EXCLUDED.status,
            monthly_fee_kopecks = EXCLUDED.monthly_fee_kopecks,
            updated_at = now()
          RETURNING s.number, (s.xmax = 0) AS created`;
        const createdByNumber = new Map(rows.map((row) => [row.number, row.created]));
        for (const { index, account } of accepted) {
          const created = createdByNumber.get(account.number);
          if (created === undefined) throw new Error(`account ${account.number} was neither created nor updated`);
          results[index] = { ok: true, created, number: account.number };
        }
      }
      return results.map((result) => result!);
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
}
