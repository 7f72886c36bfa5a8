import type { Router } from "express";
import { z } from "zod";
import type { Db } from "../db.ts";
import { actionContext } from "../staff/http-auth.ts";
import { createStaff, listStaff, StaffInput, unlockStaff, type StaffView } from "../staff/staff-users.ts";
import { defineGroup, ErrorBody, groupRouter, IdOut, refusals, reply, TimeOut } from "./api-registry.ts";

const StaffJson = z.object({
  id: IdOut,
  login: z.string(),
  fullName: z.string(),
  role: z.enum(["cashier", "supervisor", "admin"]),
  office: z.string().nullable(),
  active: z.boolean(),
  lockedUntil: TimeOut.nullable().meta({ description: "set while sign-in is locked after wrong passwords" }),
  lastSignedInAt: TimeOut.nullable(),
});

const staffJson = (staff: StaffView): z.input<typeof StaffJson> => ({ ...staff, id: String(staff.id) });

export const staffApi = defineGroup({
  base: "/api/staff",
  tag: "staff",
  routes: {
    list: {
      method: "get",
      path: "/",
      summary: "Every member of staff (never a password)",
      auth: "admin",
      responses: { 200: { description: "the staff", schema: z.object({ staff: z.array(StaffJson) }) }, 401: refusals[401], 403: refusals[403] },
    },
    create: {
      method: "post",
      path: "/",
      summary: "Create a member of staff; the password is stored only as its scrypt hash and never echoed",
      description: "Cashiers and supervisors belong to an office (its code); admins to none. A password has at least 10 characters.",
      auth: "admin",
      body: StaffInput,
      responses: {
        201: { description: "created", schema: StaffJson },
        400: { description: "bad_request, weak_password, office_required, unknown_office", schema: ErrorBody },
        401: refusals[401],
        403: refusals[403],
        409: { description: "login_taken", schema: ErrorBody },
      },
    },
    unlock: {
      method: "post",
      path: "/:login/unlock",
      summary: "Lift a lock-out early (the cashier remembers the password now)",
      auth: "admin",
      params: z.object({ login: z.string().max(100) }),
      responses: { 200: { description: "unlocked", schema: StaffJson }, 401: refusals[401], 403: refusals[403], 404: refusals[404] },
    },
  },
});

export const auditApi = defineGroup({
  base: "/api/audit",
  tag: "audit",
  routes: {
    list: {
      method: "get",
      path: "/",
      summary: "The audit log, newest first: who, what, when, from where, why",
      description: "`staff` filters by the actor's login (as typed, for failed sign-ins); `action` by an action or its family (`sign-in` matches `sign-in.failed`).",
      auth: "supervisor",
      query: z.object({
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        staff: z.string().trim().toLowerCase().min(1).max(100).optional(),
        action: z.string().trim().min(1).max(100).optional(),
      }),
      responses: {
        200: {
          description: "the entries",
          schema: z.object({
            entries: z.array(
              z.object({
                id: IdOut,
                at: TimeOut,
                actor: z.string().meta({ description: "the login (automation: HUB_ADMIN_TOKEN)" }),
                action: z.string(),
                target: z.string().nullable(),
                reason: z.string().nullable(),
                detail: z.record(z.string(), z.unknown()),
                ip: z.string(),
                requestId: z.string().nullable(),
              }),
            ),
          }),
        },
        400: refusals[400],
        401: refusals[401],
        403: refusals[403],
      },
    },
  },
});

/** Staff management (admins): /api/staff. */
export function staffRoutes(db: Db): Router {
  return groupRouter(staffApi, {
    list: async () => reply(200, { staff: (await listStaff(db)).map(staffJson) }),
    create: async ({ body, req }) => {
      const created = await createStaff(db, actionContext(req), body);
      req.log.info({ login: created.login, role: created.role, office: created.office }, "staff member created");
      return reply(201, staffJson(created));
    },
    unlock: async ({ params, req }) => reply(200, staffJson(await unlockStaff(db, actionContext(req), params.login.toLowerCase()))),
  });
}

/** The audit log (supervisors and admins): /api/audit. */
export function auditRoutes(db: Db): Router {
  return groupRouter(auditApi, {
    list: async ({ query }) => {
      const entries = await db.auditEntry.findMany({
        where: {
          actor: query.staff,
          ...(query.action ? { OR: [{ action: query.action }, { action: { startsWith: `${query.action}.` } }] } : {}),
        },
        orderBy: { id: "desc" },
        take: query.limit,
      });
      const json = entries.map((entry) => ({
        id: entry.id.toString(),
        at: entry.createdAt.toISOString(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        reason: entry.reason,
        detail: entry.detail as Record<string, unknown>,
        ip: entry.ip,
        requestId: entry.requestId,
      }));
      return reply(200, { entries: json });
    },
  });
}
