import type { Db } from "../db.ts";
import { createStaff } from "./staff-users.ts";

/** Demo staff for a fresh development installation, one of each role; the README lists them. Never in production. */
export const DEMO_STAFF = [
  { login: "admin", fullName: "Администратор Системы", role: "admin" as const, office: undefined },
  { login: "starshiy", fullName: "Старшая Светлана Петровна", role: "supervisor" as const, office: "vl-lugovaya" },
  { login: "kassir1", fullName: "Кассирова Анна Игоревна", role: "cashier" as const, office: "vl-lugovaya" },
  { login: "kassir2", fullName: "Денежкин Павел Олегович", role: "cashier" as const, office: "us-nekrasova" },
];

/** Creates the demo staff when there is no staff at all; returns how many it created. */
export async function loadDemoStaffIfEmpty(db: Db, password: string): Promise<number> {
  if ((await db.staffUser.count()) > 0) return 0;
  await Promise.all(DEMO_STAFF.map((staff) => createStaff(db, undefined, { ...staff, password })));
  return DEMO_STAFF.length;
}
