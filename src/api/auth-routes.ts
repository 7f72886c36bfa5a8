import express, { type Request, type Router } from "express";
import { z } from "zod";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import { StaffActionError } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import { actionContext, authenticateApi } from "../staff/http-auth.ts";
import { auditRefusedSignIn, revokeSession, signIn } from "../staff/sessions.ts";
import { apiInput } from "./api-input.ts";
import { defineGroup, ErrorBody, groupRouter, refusals, reply, TimeOut } from "./api-registry.ts";

export const authApi = defineGroup({
  base: "/api/auth",
  tag: "staff tokens",
  routes: {
    signIn: {
      method: "post",
      path: "/tokens",
      summary: "Sign in for a bearer token (a working day long)",
      description: `Every attempt is audited. STAFF_LOCKOUT_ATTEMPTS wrong passwords in a row lock the login for STAFF_LOCKOUT_MINUTES (423); a locked login is refused even with the right password.`,
      auth: "public",
      body: z.object({ login: z.string({ error: "is required" }).min(1).max(100), password: z.string({ error: "is required" }).min(1).max(200) }),
      responses: {
        201: {
          description: "signed in: send `Authorization: Bearer <token>`",
          schema: z.object({
            token: z.string(),
            expiresAt: TimeOut,
            staff: z.object({ login: z.string(), fullName: z.string(), role: z.enum(["cashier", "supervisor", "admin"]), office: z.string().nullable() }),
          }),
        },
        400: refusals[400],
        401: { description: "bad_credentials: unknown login, wrong password or deactivated", schema: ErrorBody },
        423: { description: "locked: too many wrong passwords in a row", schema: ErrorBody.extend({ lockedUntil: TimeOut }) },
      },
    },
    signOut: {
      method: "delete",
      path: "/tokens/current",
      summary: "Revoke the bearer token of this request",
      auth: "cashier",
      responses: {
        204: { description: "revoked: the token answers 401 from now on" },
        400: { description: "not_a_staff_token: HUB_ADMIN_TOKEN is configured, not revoked", schema: ErrorBody },
        401: refusals[401],
      },
    },
  },
});

/** POST /api/auth/tokens (sign in for a bearer token), DELETE /api/auth/tokens/current. Mounted before the API's authentication. */
export function authRoutes(config: Config, db: Db): Router {
  const router = express.Router();
  // Every sign-in attempt is audited, one refused for its input too (a NUL in the login, a missing password).
  const refused = async (req: Request, message: string) => {
    if (req.method !== "POST" || req.path !== authApi.routes.signIn.path) return;
    const login = (req.body as { login?: unknown } | undefined)?.login;
    await auditRefusedSignIn(db, { login, kind: "bearer", ip: req.ip ?? "", requestId: req.id }, message);
  };
  // Mounted before the API's authentication, so it checks its own input as apiInput does for the rest of /api.
  router.use(apiInput({ refused }));
  // Signing out needs the token it revokes: this route authenticates itself.
  router.delete(authApi.routes.signOut.path, authenticateApi(db, config.adminToken));
  return groupRouter(
    authApi,
    {
      signIn: async ({ body, req }) => {
        const attempt = { ...body, kind: "bearer" as const, ip: req.ip ?? "", userAgent: req.get("user-agent") ?? "", requestId: req.id };
        const result = await signIn(db, config.staff, attempt);
        if (!result.ok && result.reason === "locked") {
          const lockedUntil = result.lockedUntil.toISOString();
          return reply(423, { error: "locked", message: `too many wrong passwords: signing in is locked until ${lockedUntil}`, lockedUntil });
        }
        if (!result.ok) return reply(401, { error: "bad_credentials", message: "wrong login or password" });
        const { actor } = result;
        const office = actor.officeId === null ? null : ((await db.office.findUnique({ where: { id: actor.officeId } }))?.code ?? null);
        req.log.info({ staff: actor.login }, "staff signed in for an API token");
        return reply(201, { token: result.token, expiresAt: result.expiresAt.toISOString(), staff: { login: actor.login, fullName: actor.fullName, role: actor.role, office } });
      },
      signOut: async ({ actor, req }) => {
        if (actor.sessionId === undefined) throw new StaffActionError("not_a_staff_token", "HUB_ADMIN_TOKEN is configured, not issued: it cannot be revoked here");
        await revokeSession(db, actor.sessionId);
        await audit(db, actionContext(req), { action: "sign-out", detail: { kind: actor.via, session: actor.sessionId } });
        return reply(204, undefined);
      },
    },
    router,
    { refused },
  );
}
