import type { Db } from "../db.ts";
import type { AccountInput } from "./account-input.ts";
import { upsertAccounts } from "./upsert-account.ts";

/** Demo subscribers for a fresh installation: the handbook's account 100080 and a few in every city and state. */
export const DEMO_ACCOUNTS: { number: string; input: AccountInput }[] = [
  { number: "100080", input: { ownerName: "Иванов Иван Иванович", address: "г. Владивосток, ул. Луговая, д. 21а, кв. 12", phone: "+79140000080", login: "atk141925", status: "active", monthlyFee: 89000n } },
  { number: "100081", input: { ownerName: "Петрова Мария Сергеевна", address: "г. Владивосток, ул. 100-летия Владивостоку, д. 42а, кв. 7", phone: "+79140000081", login: "atk141926", status: "active", monthlyFee: 65000n } },
  { number: "100082", input: { ownerName: "Сидоров Алексей Петрович", address: "г. Уссурийск, ул. Некрасова, д. 81, кв. 3", phone: null, login: null, status: "active", monthlyFee: 55000n } },
  { number: "100083", input: { ownerName: "Кузнецова Ольга Викторовна", address: "г. Находка, ул. Ленинская, д. 1а, кв. 40", phone: null, login: null, status: "active", monthlyFee: 59000n } },
  { number: "100084", input: { ownerName: "Смирнов Дмитрий Андреевич", address: "г. Артём, ул. Фрунзе, д. 34, кв. 5", phone: null, login: null, status: "active", monthlyFee: 49000n } },
  { number: "100090", input: { ownerName: "Блокированный Борис Борисович", address: "г. Владивосток, ул. Светланская, д. 1", phone: null, login: null, status: "blocked", monthlyFee: 89000n } },
  { number: "100099", input: { ownerName: "Закрытый Захар Захарович", address: "г. Владивосток, ул. Алеутская, д. 2", phone: null, login: null, status: "closed", monthlyFee: 0n } },
];

/** Loads the demo accounts when the hub has no subscriber at all; returns how many it created. */
export async function loadDemoAccountsIfEmpty(db: Db): Promise<number> {
  if ((await db.subscriberAccount.count()) > 0) return 0;
  await upsertAccounts(db, DEMO_ACCOUNTS);
  return DEMO_ACCOUNTS.length;
}
