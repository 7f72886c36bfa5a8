import type { Router } from "express";
import { z } from "zod";
import type { Db } from "../db.ts";
import { getIncident, INCIDENT_KINDS, listIncidents, resolveIncident, type IncidentView } from "../payments/intake-incidents.ts";
import { StaffActionError } from "../staff/actor.ts";
import { actionContext } from "../staff/http-auth.ts";
import { BigId, defineGroup, groupRouter, IdOut, refusals, reply, TimeOut } from "./api-registry.ts";
import { requiredAs } from "./request-fields.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict } = refusals;

const IncidentJson = z
  .object({
    id: IdOut,
    kind: z.string().meta({ description: Object.values(INCIDENT_KINDS).join(", ") }),
    channel: z.string(),
    externalId: z.string(),
    paymentId: IdOut.nullable().meta({ description: "the payment it concerns; null when none was recorded" }),
    detail: z.string().meta({ description: "what happened and what payhub did" }),
    request: z.unknown().meta({ description: "the provider's request as received, secrets removed" }),
    requestId: z.string().nullable(),
    createdAt: TimeOut,
    resolution: z.object({ at: TimeOut, by: z.string().nullable(), note: z.string() }).nullable(),
  })
  .meta({ description: "money a provider says it moved that payhub did not take as sent, or a contradiction to look at" });

function incidentJson(incident: IncidentView): z.input<typeof IncidentJson> {
  return {
    id: incident.id.toString(),
    kind: incident.kind,
    channel: incident.channel,
    externalId: incident.externalId,
    paymentId: incident.paymentId?.toString() ?? null,
    detail: incident.detail,
    request: incident.request,
    requestId: incident.requestId,
    createdAt: incident.createdAt.toISOString(),
    resolution: incident.resolution && { at: incident.resolution.at.toISOString(), by: incident.resolution.by, note: incident.resolution.note },
  };
}

const IncidentParams = z.object({ id: BigId });

export const incidentsApi = defineGroup({
  base: "/api/incidents",
  tag: "incidents",
  routes: {
    list: {
      method: "get",
      path: "/",
      summary: "Intake incidents: refused steps in which a provider said money moved, conflicting repeats, contradicting reports",
      description: "Open ones oldest first (the queue to work through), resolved ones latest first.",
      auth: "supervisor",
      query: z.object({
        status: z.enum(["open", "resolved"]).default("open"),
        kind: z.string().max(64).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      responses: { 200: { description: "the incidents", schema: z.object({ incidents: z.array(IncidentJson) }) }, 400: badRequest, 401: unauthorized, 403: forbidden },
    },
    get: {
      method: "get",
      path: "/:id",
      summary: "One incident, with the request as received",
      auth: "supervisor",
      params: IncidentParams,
      responses: { 200: { description: "the incident", schema: IncidentJson }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound },
    },
    resolve: {
      method: "post",
      path: "/:id/resolve",
      summary: "Resolve an incident with a note saying what was done; moves no money (audited)",
      auth: "supervisor",
      params: IncidentParams,
      body: z.object({ note: z.string({ error: requiredAs("a string") }).trim().min(3, "say what was done").max(1000) }),
      responses: { 200: { description: "resolved", schema: IncidentJson }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict },
    },
  },
});

export function incidentsRoutes(db: Db): Router {
  return groupRouter(incidentsApi, {
    list: async ({ query }) => reply(200, { incidents: (await listIncidents(db, query)).map(incidentJson) }),
    get: async ({ params }) => {
      const incident = await getIncident(db, params.id);
      if (!incident) throw new StaffActionError("incident_not_found", `no incident ${params.id}`);
      return reply(200, incidentJson(incident));
    },
    resolve: async ({ params, body, req }) => reply(200, incidentJson(await resolveIncident(db, actionContext(req), { id: params.id, note: body.note }))),
  });
}
