import type { Db } from "../db.ts";
import { ledgerCodes } from "../ledger/ledger-accounts.ts";
import type { AccountInput } from "./account-input.ts";

export type UpsertResult = { created: boolean; number: string };

/**
 * Creates a subscriber account with its ledger account, or updates its details. The balance is never written
 * here: it moves only through postings.
 */
export async function upsertAccount(db: Db, number: string, input: AccountInput): Promise<UpsertResult> {
  const details = {
    ownerName: input.ownerName,
    address: input.address,
    phone: input.phone ?? null,
    login: input.login ?? null,
    status: input.status,
    monthlyFeeKopecks: input.monthlyFee,
  };
  return db.$transaction(async (tx) => {
    const existing = await tx.subscriberAccount.findUnique({ where: { number }, select: { id: true } });
    if (existing) {
      await tx.subscriberAccount.update({ where: { number }, data: details });
      return { created: false, number };
    }
    const ledgerAccount = await tx.ledgerAccount.upsert({
      where: { code: ledgerCodes.subscriber(number) },
      create: { code: ledgerCodes.subscriber(number), kind: "subscriber", name: `Subscriber ${number}` },
      update: {},
    });
    await tx.subscriberAccount.create({ data: { number, ...details, ledgerAccountId: ledgerAccount.id } });
    return { created: true, number };
  });
}
