import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db.ts";
import type { StaffUser } from "../generated/prisma/client.ts";
import { printable } from "../http/hostile-input.ts";
import type { Actor } from "./actor.ts";
import { audit } from "./audit.ts";
import { DUMMY_HASH, verifyPassword } from "./passwords.ts";

export interface StaffAuthSettings {
  /** A session (cookie or bearer token) lasts this long from sign-in: a working day. */
  sessionTtlMinutes: number;
  /** Failed sign-ins in a row that lock the login… */
  lockoutAttempts: number;
  /** …for this long. */
  lockoutMinutes: number;
  /** The Secure attribute of the session cookie: on in production (behind HTTPS). */
  cookieSecure: boolean;
}

export type SessionKind = "cookie" | "bearer";

export type SignInResult =
  | { ok: true; token: string; expiresAt: Date; actor: Actor }
  | { ok: false; reason: "bad-credentials" }
  | { ok: false; reason: "locked"; lockedUntil: Date };

export const tokenHash = (token: string) => createHash("sha256").update(token).digest("hex");

export function actorOf(staff: Pick<StaffUser, "id" | "login" | "fullName" | "role" | "officeId">, via: Actor["via"], session?: { id: number; csrfToken: string }): Actor {
  return {
    staffId: staff.id,
    login: staff.login,
    fullName: staff.fullName,
    role: staff.role,
    officeId: staff.officeId,
    via,
    csrfToken: via === "cookie" ? session?.csrfToken : undefined,
    sessionId: session?.id,
  };
}

/**
 * Signs a member of staff in. Every attempt is audited; `lockoutAttempts` failures in a row lock the login for
 * `lockoutMinutes` (counted in one UPDATE, so parallel guesses cannot slip past the limit), and a locked login is
 * refused even with the right password. An unknown login costs the same scrypt work as a known one.
 */
export async function signIn(
  db: Db,
  settings: StaffAuthSettings,
  attempt: { login: string; password: string; kind: SessionKind; ip: string; userAgent: string; requestId: string | undefined },
): Promise<SignInResult> {
  const login = attempt.login.trim().toLowerCase();
  const staff = await db.staffUser.findUnique({ where: { login } });
  const context = (actor: Actor) => ({ actor, ip: attempt.ip, requestId: attempt.requestId });
  const anonymous: Actor = { staffId: staff?.id ?? null, login: login.slice(0, 100), fullName: "", role: "cashier", officeId: null, via: attempt.kind, csrfToken: undefined, sessionId: undefined };
  const passwordOk = await verifyPassword(attempt.password, staff?.passwordHash ?? DUMMY_HASH);

  if (!staff || !staff.active) {
    await audit(db, context(anonymous), { action: "sign-in.failed", detail: { why: staff ? "deactivated" : "unknown login" } });
    return { ok: false, reason: "bad-credentials" };
  }
  const now = new Date();
  if (staff.lockedUntil && staff.lockedUntil > now) {
    await audit(db, context(anonymous), { action: "sign-in.refused-locked", detail: { lockedUntil: staff.lockedUntil.toISOString() } });
    return { ok: false, reason: "locked", lockedUntil: staff.lockedUntil };
  }
  if (!passwordOk) {
    const [row] = await db.$queryRaw<{ failed: number; locked_until: Date | null }[]>`
      WITH counted AS (
        -- A lock that ran out starts the count afresh: one more wrong password must not lock the login again.
        SELECT id, CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1 ELSE failed_sign_ins + 1 END AS failed
        FROM staff_user WHERE id = ${staff.id} FOR UPDATE
      )
      UPDATE staff_user s SET failed_sign_ins = counted.failed,
        locked_until = CASE WHEN counted.failed >= ${settings.lockoutAttempts}
          THEN now() + make_interval(mins => ${settings.lockoutMinutes})
          WHEN s.locked_until <= now() THEN NULL ELSE s.locked_until END
      FROM counted WHERE s.id = counted.id RETURNING s.failed_sign_ins AS failed, s.locked_until`;
    const lockedNow = row?.locked_until && row.locked_until > now ? row.locked_until : undefined;
    await audit(db, context(anonymous), { action: lockedNow ? "sign-in.locked-out" : "sign-in.failed", detail: { why: "wrong password", failedInARow: row?.failed } });
    return lockedNow ? { ok: false, reason: "locked", lockedUntil: lockedNow } : { ok: false, reason: "bad-credentials" };
  }

  const token = randomBytes(32).toString("base64url");
  const csrfToken = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + settings.sessionTtlMinutes * 60_000);
  const session = await db.$transaction(async (tx) => {
    await tx.staffUser.update({ where: { id: staff.id }, data: { failedSignIns: 0, lockedUntil: null, lastSignedInAt: now } });
    return tx.staffSession.create({
      data: { tokenHash: tokenHash(token), kind: attempt.kind, staffId: staff.id, csrfToken, ip: attempt.ip, userAgent: attempt.userAgent.slice(0, 300), expiresAt },
    });
  });
  const actor = actorOf(staff, attempt.kind, session);
  await audit(db, context(actor), { action: "sign-in", detail: { kind: attempt.kind, session: session.id } });
  return { ok: true, token, expiresAt, actor };
}

/**
 * A sign-in attempt refused for its input before the login was looked up (a NUL in it, a missing password, a body
 * that is not JSON): audited like every attempt, under the login as typed, each NUL shown as U+FFFD so PostgreSQL
 * takes it. `problem` names the field, never the value.
 */
export async function auditRefusedSignIn(
  db: Db,
  attempt: { login: unknown; kind: SessionKind; ip: string; requestId: string | undefined },
  problem: string,
): Promise<void> {
  const login = typeof attempt.login === "string" ? printable(attempt.login.trim().toLowerCase(), 100) : "";
  const actor: Actor = { staffId: null, login, fullName: "", role: "cashier", officeId: null, via: attempt.kind, csrfToken: undefined, sessionId: undefined };
  await audit(db, { actor, ip: attempt.ip, requestId: attempt.requestId }, { action: "sign-in.refused-input", detail: { why: printable(problem, 500) } });
}

/** The actor of a live session token of this kind; undefined for unknown, expired, revoked, or deactivated staff. */
export async function resolveSession(db: Db, token: string, kind: SessionKind): Promise<Actor | undefined> {
  if (token.length < 20 || token.length > 100) return undefined;
  const session = await db.staffSession.findUnique({ where: { tokenHash: tokenHash(token) }, include: { staff: true } });
  if (!session || session.kind !== kind || session.revokedAt || session.expiresAt <= new Date() || !session.staff.active) return undefined;
  return actorOf(session.staff, kind, session);
}

export async function revokeSession(db: Db, sessionId: number): Promise<void> {
  await db.staffSession.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: new Date() } });
}
