import { z } from "zod";
import type { Db } from "../db.ts";
import { Prisma, type StaffRole } from "../generated/prisma/client.ts";
import { StaffActionError, type ActionContext } from "./actor.ts";
import { audit } from "./audit.ts";
import { hashPassword, passwordProblem } from "./passwords.ts";

export const StaffInput = z.object({
  login: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9._-]{3,40}$/, "a login is 3 to 40 latin letters, digits, dots, dashes or underscores"),
  fullName: z.string().trim().min(3).max(200),
  role: z.enum(["cashier", "supervisor", "admin"]),
  /** Cashiers and supervisors work in one office; admins in none. */
  office: z.string().trim().optional(),
  password: z.string(),
});
export type StaffInput = z.infer<typeof StaffInput>;

export interface StaffView {
  id: number;
  login: string;
  fullName: string;
  role: StaffRole;
  office: string | null;
  active: boolean;
  lockedUntil: string | null;
  lastSignedInAt: string | null;
}

/** Creates a member of staff; the password is stored only as its scrypt hash and never logged nor audited. */
export async function createStaff(db: Db, context: ActionContext | undefined, input: StaffInput): Promise<StaffView> {
  const problem = passwordProblem(input.password);
  if (problem) throw new StaffActionError("weak_password", problem);
  let officeId: number | null = null;
  if (input.role !== "admin") {
    if (!input.office) throw new StaffActionError("office_required", `a ${input.role} belongs to an office: name its code`);
    const office = await db.office.findUnique({ where: { code: input.office } });
    if (!office) throw new StaffActionError("unknown_office", `no office ${input.office}`);
    officeId = office.id;
  }
  const passwordHash = await hashPassword(input.password);
  try {
    const staff = await db.$transaction(async (tx) => {
      const created = await tx.staffUser.create({ data: { login: input.login, fullName: input.fullName, role: input.role, officeId, passwordHash }, include: { office: true } });
      const actor = context ?? { actor: { staffId: null, login: "command-line", fullName: "", role: "admin" as const, officeId: null, via: "automation" as const, csrfToken: undefined, sessionId: undefined }, ip: "local", requestId: undefined };
      await audit(tx, actor, { action: "staff.create", target: `staff:${created.login}`, detail: { role: created.role, office: created.office?.code ?? null } });
      return created;
    });
    return staffView(staff);
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") throw new StaffActionError("login_taken", `login ${input.login} is taken`);
    throw error;
  }
}

export async function listStaff(db: Db): Promise<StaffView[]> {
  const staff = await db.staffUser.findMany({ include: { office: true }, orderBy: [{ role: "asc" }, { login: "asc" }] });
  return staff.map(staffView);
}

/** An admin lifts a lock-out early (the cashier called: they remember the password now). */
export async function unlockStaff(db: Db, context: ActionContext, login: string): Promise<StaffView> {
  return db.$transaction(async (tx) => {
    const staff = await tx.staffUser.update({ where: { login }, data: { failedSignIns: 0, lockedUntil: null }, include: { office: true } }).catch(() => undefined);
    if (!staff) throw new StaffActionError("staff_not_found", `no staff member ${login}`);
    await audit(tx, context, { action: "staff.unlock", target: `staff:${login}` });
    return staffView(staff);
  });
}

function staffView(staff: { id: number; login: string; fullName: string; role: StaffRole; active: boolean; lockedUntil: Date | null; lastSignedInAt: Date | null; office: { code: string } | null }): StaffView {
  return {
    id: staff.id,
    login: staff.login,
    fullName: staff.fullName,
    role: staff.role,
    office: staff.office?.code ?? null,
    active: staff.active,
    lockedUntil: staff.lockedUntil && staff.lockedUntil > new Date() ? staff.lockedUntil.toISOString() : null,
    lastSignedInAt: staff.lastSignedInAt?.toISOString() ?? null,
  };
}
