import type { NextFunction, Request, Response } from "express";
import { secretsEqual } from "../../adapters/contract/index.ts";
import type { Db } from "../db.ts";
import type { StaffRole } from "../generated/prisma/client.ts";
import { AUTOMATION_ACTOR, hasRole, StaffActionError, type ActionContext, type Actor } from "./actor.ts";
import { refusalStatus } from "./refusal.ts";
import { resolveSession } from "./sessions.ts";

declare module "express-serve-static-core" {
  interface Request {
    /** Set by authenticateApi / authenticatePage: who is acting. */
    actor?: Actor;
  }
}

export const SESSION_COOKIE = "payhub_session";

/** The cookies of a request; a malformed one is skipped, never an error. */
export function readCookies(req: Request): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    try {
      cookies[name] = decodeURIComponent(part.slice(index + 1).trim());
    } catch {
      // An undecodable value is as good as absent.
    }
  }
  return cookies;
}

export function actionContext(req: Request): ActionContext {
  if (!req.actor) throw new Error("actionContext() before authentication");
  return { actor: req.actor, ip: req.ip ?? "", requestId: req.id };
}

/**
 * The API's authentication: `Authorization: Bearer <token>` with either the automation token (HUB_ADMIN_TOKEN,
 * compared in constant time; acts as an admin without a desk) or a staff token from POST /api/auth/tokens.
 */
export function authenticateApi(db: Db, adminToken: string) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match) {
      if (secretsEqual(match[1]!, adminToken)) {
        req.actor = { ...AUTOMATION_ACTOR, via: "automation" };
        return next();
      }
      const actor = await resolveSession(db, match[1]!, "bearer");
      if (actor) {
        req.actor = actor;
        req.log = req.log.child({ staff: actor.login });
        return next();
      }
    }
    req.log.warn({ path: req.path, ip: req.ip }, header ? "API request with an unknown or expired bearer token refused" : "API request without credentials refused");
    res
      .status(401)
      .set("WWW-Authenticate", 'Bearer realm="payhub"')
      .json({ error: "unauthorized", message: "send Authorization: Bearer <token>: a staff token from POST /api/auth/tokens, or HUB_ADMIN_TOKEN" });
  };
}

/** The API's role check: 403 with what is missing. */
export function requireRole(role: StaffRole) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.actor && hasRole(req.actor, role)) return next();
    req.log.warn({ path: req.path, staff: req.actor?.login, role: req.actor?.role, needed: role }, "API request refused: role too low");
    res.status(403).json({ error: "forbidden", message: `this needs the ${role} role` });
  };
}

/** Answers a StaffActionError as the API does: its status, code and message. Anything else goes to the error handler. */
export function apiError(req: Request, res: Response, error: unknown): void {
  if (!(error instanceof StaffActionError)) throw error;
  req.log.warn({ path: req.path, staff: req.actor?.login, code: error.code }, `staff action refused: ${error.message}`);
  res.status(refusalStatus(error.code)).json({ error: error.code, message: error.message });
}

/** The page session of a request, from its cookie; undefined when signed out. */
export async function pageActor(db: Db, req: Request): Promise<Actor | undefined> {
  const token = readCookies(req)[SESSION_COOKIE];
  return token ? resolveSession(db, token, "cookie") : undefined;
}

/**
 * CSRF protection of the pages' forms (synchroniser token): every POST carries the session's token in `_csrf` (or
 * the X-CSRF-Token header), compared in constant time; a cross-site Origin is refused outright. The cookie is also
 * SameSite=Strict, so this is the second of two locks.
 */
export function csrfProblem(req: Request): string | undefined {
  const origin = req.headers.origin;
  if (typeof origin === "string" && origin !== "null") {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      return "malformed Origin header";
    }
    if (host !== req.headers.host) return `cross-site request from ${origin}`;
  }
  const sent = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.headers["x-csrf-token"];
  const expected = req.actor?.csrfToken;
  if (typeof sent !== "string" || !expected || !secretsEqual(sent, expected)) return "missing or wrong CSRF token";
  return undefined;
}
