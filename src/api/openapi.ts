import express, { type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { cardApi } from "../card/card-routes.ts";
import type { StaffRole } from "../generated/prisma/client.ts";
import { qiwiBillsApi } from "../qiwi-bills/qiwi-bills-routes.ts";
import { accountsApi } from "./accounts-routes.ts";
import { defineGroup, groupRouter, reply, type RouteGroup, type RouteSpec } from "./api-registry.ts";
import { arsenalpayApi } from "./arsenalpay-routes.ts";
import { authApi } from "./auth-routes.ts";
import { autopaymentsApi } from "./autopayments-routes.ts";
import { cashierApi } from "./cashier-routes.ts";
import { incidentsApi } from "./incidents-routes.ts";
import { operationsApi } from "./operations-routes.ts";
import { paymentsApi } from "./payments-routes.ts";
import { registriesApi, registriesCsvApi } from "./registries-routes.ts";
import { reportsApi, reportsCsvApi } from "./reports-routes.ts";
import { auditApi, staffApi } from "./staff-routes.ts";
import { suspenseApi } from "./suspense-routes.ts";
import { transfersApi } from "./transfers-routes.ts";
import { webmoneyApi } from "./webmoney-routes.ts";

/** GET /api/openapi.json, the document itself: public, like the routes' shapes it describes. */
export const documentApi = defineGroup({
  base: "/api",
  tag: "api",
  routes: {
    openapi: {
      method: "get",
      path: "/openapi.json",
      summary: "This document: the OpenAPI 3.1 description of the staff API, written from the schemas that validate its routes",
      auth: "public",
      responses: {
        200: {
          description: "the OpenAPI 3.1 document",
          schema: z.looseObject({ openapi: z.literal("3.1.0"), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }),
        },
      },
    },
  },
});

/**
 * The route groups whose specs validate their requests and answer invalid input with the registry's 400 bad_request
 * naming each field: the document is written from the same specs.
 */
export const API_GROUPS: RouteGroup[] = [documentApi, authApi, cashierApi, staffApi, auditApi, transfersApi, suspenseApi, incidentsApi, operationsApi, reportsApi, reportsCsvApi, registriesApi, registriesCsvApi, webmoneyApi];

/**
 * The groups written before the registry, declared in it since: validated by their specs and documented from them like
 * the others, but listed apart from API_GROUPS because most answer invalid input with the codes and messages they
 * always had (bad_account_number, invalid_account, invalid_order, invalid_bill, bad_amount…), which stay the contract.
 */
export const EARLIER_API_GROUPS: RouteGroup[] = [accountsApi, paymentsApi, qiwiBillsApi, arsenalpayApi, autopaymentsApi, cardApi];

/** Every group of the staff API: what the document describes. */
export const ALL_API_GROUPS: RouteGroup[] = [...API_GROUPS, ...EARLIER_API_GROUPS];

type JsonSchema = Record<string, unknown>;

/** A zod schema as the JSON Schema 2020-12 that OpenAPI 3.1 embeds: requests as they are sent, responses as they are answered. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

/** Express paths (/shifts/:id) in OpenAPI's form (/shifts/{id}). */
export const openapiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/(.)\/$/, "$1");

function parameters(schema: z.ZodType | undefined, where: "path" | "query") {
  if (!schema) return [];
  const object = jsonSchema(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (object.required ?? []).includes(name),
    schema: property,
  }));
}

const pathParameters = (path: string) => [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => ({ name: match[1]!, in: "path", required: true, schema: { type: "string" } }));

function security(auth: StaffRole | "public") {
  return auth === "public" ? { security: [] } : { security: [{ bearer: [] }], "x-payhub-role": auth };
}

const roleNote = (auth: StaffRole | "public") => (auth === "public" ? "No token needed." : `Needs the ${auth} role or higher (HUB_ADMIN_TOKEN acts as an admin without a desk).`);

function operation(group: RouteGroup, spec: RouteSpec) {
  return {
    tags: [group.tag],
    summary: spec.summary,
    description: [spec.description, roleNote(spec.auth)].filter(Boolean).join("\n\n"),
    ...security(spec.auth),
    parameters: [...(spec.params ? parameters(spec.params, "path") : pathParameters(spec.path)), ...parameters(spec.query, "query")],
    ...(spec.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(spec.body, "input") } } } } : {}),
    responses: Object.fromEntries(
      Object.entries(spec.responses).map(([status, response]) => [
        status,
        { description: response.description, ...(response.schema ? { content: { "application/json": { schema: jsonSchema(response.schema, "output") } } } : {}) },
      ]),
    ),
  };
}

function buildDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (path: string, method: string, value: unknown) => {
    (paths[openapiPath(path)] ??= {})[method] = value;
  };
  for (const group of ALL_API_GROUPS) {
    for (const spec of Object.values(group.routes)) add(group.base + spec.path, spec.method, operation(group, spec));
  }
  return {
    openapi: "3.1.0" as const,
    info: {
      title: "payhub staff API",
      version: "1",
      description:
        "The cash desks, staff and operators' API of payhub. Money is rubles as strings with up to two kopeck digits (\"500.00\"), ids are strings, times ISO 8601 UTC. Errors answer { error, message }: error is a stable code. Sign in with POST /api/auth/tokens and send Authorization: Bearer <token>.",
    },
    servers: [{ url: "/" }],
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "a staff token from POST /api/auth/tokens, or HUB_ADMIN_TOKEN" } } },
    security: [{ bearer: [] }],
    paths,
  };
}

let cached: ReturnType<typeof buildDocument> | undefined;

/** The OpenAPI 3.1 document, built once from the registry. */
export function openapiDocument() {
  cached ??= buildDocument();
  return cached;
}

/** The document's route, mounted by server.ts on its full path (/api/openapi.json) before the API's authentication. */
const documentRouter = express.Router().use(documentApi.base, groupRouter(documentApi, { openapi: async () => reply(200, openapiDocument()) }));

/** GET /api/openapi.json: public, like the routes' shapes it describes. */
export function openapiRoute(req: Request, res: Response, next: NextFunction): void {
  documentRouter(req, res, next);
}
