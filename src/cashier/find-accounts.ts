import { ACCOUNT_NUMBER_FORMAT, maskOwnerName } from "../../adapters/contract/index.ts";
import type { Db } from "../db.ts";

export interface FoundAccount {
  number: string;
  login: string | null;
  maskedOwnerName: string;
  address: string;
  status: "active" | "blocked" | "closed";
  balanceKopecks: bigint;
  monthlyFeeKopecks: bigint;
}

const MAX_RESULTS = 10;

/** ё and е are one letter to a cashier; case and punctuation do not matter. */
const normalise = (text: string) => text.toLowerCase().replace(/ё/g, "е");

/**
 * Finds the account a payer names at the desk (the handbook: "назовите адрес и ФИО владельца договора, либо лицевой
 * счет"): an account number, a login, or the address together with the owner's name. A search by words must match
 * both the owner's name and the address, and every word must match one of them, so that an address alone never lists
 * who lives there.
 */
export async function findAccounts(db: Db, query: string): Promise<FoundAccount[]> {
  const text = query.trim();
  if (text.length === 0 || text.length > 200) return [];
  if (ACCOUNT_NUMBER_FORMAT.test(text)) {
    return (await db.subscriberAccount.findMany({ where: { number: text } })).map(foundAccount);
  }
  if (/^[A-Za-z0-9._-]{3,64}$/.test(text)) {
    const byLogin = await db.subscriberAccount.findMany({ where: { login: { equals: text, mode: "insensitive" } } });
    if (byLogin.length > 0) return byLogin.map(foundAccount);
  }
  const words = normalise(text)
    .split(/[\s,.;:()"«»]+/u)
    .filter((word) => word.length > 0)
    .slice(0, 12);
  if (words.length < 2) return [];
  const patterns = words.map((word) => `%${word.replace(/[\\%_]/g, (char) => `\\${char}`)}%`);
  const rows = await db.$queryRaw<{ number: string }[]>`
    SELECT number FROM subscriber_account a,
      LATERAL (SELECT lower(replace(a.owner_name, 'ё', 'е')) AS owner, lower(replace(a.address, 'ё', 'е')) AS address) n
    WHERE (SELECT bool_and(n.owner LIKE w OR n.address LIKE w) FROM unnest(${patterns}::text[]) AS w)
      AND EXISTS (SELECT 1 FROM unnest(${patterns}::text[]) AS w WHERE n.owner LIKE w)
      AND EXISTS (SELECT 1 FROM unnest(${patterns}::text[]) AS w WHERE n.address LIKE w)
    ORDER BY number LIMIT ${MAX_RESULTS}`;
  if (rows.length === 0) return [];
  const accounts = await db.subscriberAccount.findMany({ where: { number: { in: rows.map((row) => row.number) } }, orderBy: { number: "asc" } });
  return accounts.map(foundAccount);
}

function foundAccount(account: { number: string; login: string | null; ownerName: string; address: string; status: FoundAccount["status"]; balanceKopecks: bigint; monthlyFeeKopecks: bigint }): FoundAccount {
  return {
    number: account.number,
    login: account.login,
    maskedOwnerName: maskOwnerName(account.ownerName),
    address: account.address,
    status: account.status,
    balanceKopecks: account.balanceKopecks,
    monthlyFeeKopecks: account.monthlyFeeKopecks,
  };
}
