import type { Db } from "../db.ts";
import { ledgerCodes } from "../ledger/ledger-accounts.ts";

/** The subscriber departments that take cash (PROTOCOLS.md §9) and their desks. All are in Primorye (UTC+10). */
export const OFFICES = [
  { code: "vl-lugovaya", city: "Владивосток", address: "ул. Луговая, 21а, офис 462", hours: "пн–пт 9:00–19:00, сб 10:00–16:00" },
  { code: "vl-100let", city: "Владивосток", address: "пр-т 100-летия Владивостоку, 42а, офис 7", hours: "пн–пт 9:00–18:00" },
  { code: "us-nekrasova", city: "Уссурийск", address: "ул. Некрасова, 81", hours: "пн–пт 9:00–18:00" },
  { code: "nk-leninskaya", city: "Находка", address: "ул. Ленинская, 1а", hours: "пн–пт 9:00–18:00" },
  { code: "ar-frunze", city: "Артём", address: "ул. Фрунзе, 34", hours: "пн–пт 9:00–18:00" },
] as const;

/** One desk per office to start with; the Lugovaya office, the busiest, has two. */
export const DESKS = [
  { code: "vl-lugovaya-1", office: "vl-lugovaya", name: "Касса 1" },
  { code: "vl-lugovaya-2", office: "vl-lugovaya", name: "Касса 2" },
  { code: "vl-100let-1", office: "vl-100let", name: "Касса 1" },
  { code: "us-nekrasova-1", office: "us-nekrasova", name: "Касса 1" },
  { code: "nk-leninskaya-1", office: "nk-leninskaya", name: "Касса 1" },
  { code: "ar-frunze-1", office: "ar-frunze", name: "Касса 1" },
] as const;

/** Creates the offices, their desks and each desk's cash ledger account if missing. Idempotent: run at every start. */
export async function ensureOffices(db: Db): Promise<void> {
  await db.office.createMany({ data: OFFICES.map((office) => ({ ...office })), skipDuplicates: true });
  await db.ledgerAccount.createMany({
    data: DESKS.map((desk) => ({ code: ledgerCodes.cash(desk.code), kind: "cash" as const, name: `Cash: desk ${desk.code}` })),
    skipDuplicates: true,
  });
  const offices = new Map((await db.office.findMany()).map((office) => [office.code, office.id]));
  const ledger = new Map((await db.ledgerAccount.findMany({ where: { kind: "cash" } })).map((account) => [account.code, account.id]));
  await db.cashDesk.createMany({
    data: DESKS.map((desk) => ({ code: desk.code, officeId: offices.get(desk.office)!, name: desk.name, ledgerAccountId: ledger.get(ledgerCodes.cash(desk.code))! })),
    skipDuplicates: true,
  });
}
