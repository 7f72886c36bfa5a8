import type { RefusalCode } from "./refusal.ts";
import type { StaffRole } from "../generated/prisma/client.ts";

/** Who is acting: a signed-in member of staff, or the automation token (HUB_ADMIN_TOKEN), which has no staff row. */
export interface Actor {
  staffId: number | null;
  login: string;
  fullName: string;
  role: StaffRole;
  officeId: number | null;
  /** cookie: the pages (CSRF checked); bearer: a staff API token; automation: HUB_ADMIN_TOKEN. */
  via: "cookie" | "bearer" | "automation";
  /** The session's CSRF token (cookie sessions). */
  csrfToken: string | undefined;
  sessionId: number | undefined;
}

/** Where an action came from, for the audit log. */
export interface ActionContext {
  actor: Actor;
  ip: string;
  requestId: string | undefined;
}

export const AUTOMATION_ACTOR: Omit<Actor, "via"> = {
  staffId: null,
  login: "automation",
  fullName: "HUB_ADMIN_TOKEN",
  role: "admin",
  officeId: null,
  csrfToken: undefined,
  sessionId: undefined,
};

const RANK: Record<StaffRole, number> = { cashier: 1, supervisor: 2, admin: 3 };

/**
 * The staff id of an action that needs a person (a cash desk action, a transfer): the automation token has no desk,
 * no shift and no name to sign with, so it is refused with 403 staff_only; `what` names the action in the message.
 */
export function requireStaff(actor: Actor, what: string): number {
  if (actor.staffId === null) throw new StaffActionError("staff_only", `${what} by a signed-in member of staff, not by the automation token`);
  return actor.staffId;
}

/** Roles are ranked: a supervisor may do what a cashier may, an admin what a supervisor may. */
export function hasRole(actor: Actor, role: StaffRole): boolean {
  return RANK[actor.role] >= RANK[role];
}

/** May the actor act on this office's desks and shifts? Admins everywhere, everyone else in their own office only. */
export function mayActInOffice(actor: Actor, officeId: number): boolean {
  return actor.role === "admin" || actor.officeId === officeId;
}

/**
 * An expected refusal of a staff action: its code (one of src/staff/refusal.ts) and why, in words. A use case raises
 * it from wherever it finds the problem (a lock, a check inside its transaction, which it also rolls back); the edges
 * turn it into a value: the API's answer (the code's status, the code, the message) and the pages' Russian text. The
 * use case knows nothing of HTTP.
 */
export class StaffActionError extends Error {
  constructor(
    public readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
    this.name = "StaffActionError";
  }
}
