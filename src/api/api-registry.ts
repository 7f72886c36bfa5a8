import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import type { StaffRole } from "../generated/prisma/client.ts";
import { MAX_BIG_ID, MAX_INT_ID } from "../http/hostile-input.ts";
import type { Actor } from "../staff/actor.ts";
import { apiError, requireRole } from "../staff/http-auth.ts";

/**
 * One registry of the staff API's routes: each route's method, path, summary, role and zod schemas (path, query,
 * body, responses). The same spec validates the request at run time and writes the OpenAPI document (openapi.ts),
 * and a handler answers only a status its spec lists with a body of that status's type (checked by the compiler).
 * Extra fields in a body still compile: the API tests parse answers with the documented schemas (expectDocumented).
 */

/** The error answer of every /api route. */
export const ErrorBody = z.object({
  error: z.string().meta({ description: "a stable code: bad_request, unauthorized, forbidden, other_office, receipt_used…" }),
  message: z.string().meta({ description: "what went wrong and what to do, in words" }),
});

/** Money out: rubles as a string with two kopeck digits (JSON numbers are floats). */
export const RublesOut = z.string().regex(/^-?[0-9]+\.[0-9]{2}$/).meta({ description: "rubles, two kopeck digits", examples: ["500.00"] });
export const TimeOut = z.iso.datetime();
/** A database id out: a string (JSON has no 64-bit integers). */
export const IdOut = z.string().regex(/^[1-9][0-9]*$/).meta({ description: "an id, as a string" });

/** An id as text: digits, at most `max` (beyond it PostgreSQL would fail on the cast, not answer "none"). */
const idText = (max: bigint) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be an id: a string of digits") })
    .regex(new RegExp(`^[1-9][0-9]{0,${String(max).length - 1}}$`), { message: "must be an id: a string of digits", abort: true })
    .refine((text) => BigInt(text) <= max, `must be an id from 1 to ${max}`);

/** A 32-bit id in a path, query or body: digits, as every id is shown. */
export const IntId = idText(BigInt(MAX_INT_ID)).transform(Number);
/** A 64-bit id (payments, postings, notifications). */
export const BigId = idText(MAX_BIG_ID).transform((text) => BigInt(text));
/** A 64-bit id kept as its text (a lookup that reads text fields): checked as BigId is. */
export const BigIdText = idText(MAX_BIG_ID);

/** The usual refusals, for specs to list. */
export const refusals = {
  400: { description: "invalid input: the message names each field", schema: ErrorBody },
  401: { description: "no or unknown bearer token", schema: ErrorBody },
  403: { description: "the role or the office does not allow it", schema: ErrorBody },
  404: { description: "not found", schema: ErrorBody },
  409: { description: "conflicts with the current state", schema: ErrorBody },
} as const;

export interface ResponseSpec {
  description: string;
  /** The JSON body; none for 204. */
  schema?: z.ZodType;
}

/** A body larger than the API's 16 kB (src/api/api-input.ts reads it): a route that takes files. */
export interface BodyLimit {
  bytes: number;
  /** Fields that may hold more than MAX_TEXT_LENGTH characters, as "evidence.*.data" (src/http/hostile-input.ts). */
  longText?: readonly string[];
  /** Said with the 413 too_large: what to send instead. */
  tooLarge?: string;
}

export interface RouteSpec {
  method: "get" | "post" | "put" | "delete";
  /** Relative to the group's base, Express style: /shifts/:id. */
  path: string;
  summary: string;
  description?: string;
  /** The least role that may call it; "public" needs no token. */
  auth: StaffRole | "public";
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Only for a body over the API's 16 kB; every body is read and checked by apiInput before the route. */
  bodyLimit?: BodyLimit;
  responses: Record<number, ResponseSpec>;
  /**
   * The route's own 400 for input its schemas refuse, instead of bad_request naming each field: the routes written
   * before the registry keep the codes and messages they always answered (bad_account_number, invalid_order…).
   */
  invalid?: (failures: readonly InputFailure[]) => z.input<typeof ErrorBody>;
}

/** A part of a request its schema refused, in the order path, query, body. */
export interface InputFailure {
  where: "path" | "query" | "body";
  error: z.ZodError;
}

/** A group of routes mounted together under one base path (one Express router). */
export interface RouteGroup<S extends Record<string, RouteSpec> = Record<string, RouteSpec>> {
  base: string;
  tag: string;
  routes: S;
}

export const defineGroup = <const S extends Record<string, RouteSpec>>(group: RouteGroup<S>): RouteGroup<S> => group;

type Parsed<T> = T extends z.ZodType ? z.output<T> : undefined;
type BodyOf<R extends ResponseSpec> = R["schema"] extends z.ZodType ? z.input<R["schema"]> : undefined;

/** What a handler answers: one of its spec's statuses with that status's body. */
export type Reply<S extends RouteSpec> = { [C in keyof S["responses"] & number]: { status: C; body: BodyOf<S["responses"][C]> } }[keyof S["responses"] & number];

export interface HandlerInput<S extends RouteSpec> {
  params: Parsed<S["params"]>;
  query: Parsed<S["query"]>;
  body: Parsed<S["body"]>;
  /** The authenticated actor (undefined only on public routes). */
  actor: Actor;
  req: Request;
}

/** A handler's answer: `reply(201, body)` keeps the status a literal, so the compiler checks it against the spec. */
export const reply = <const C extends number, B>(status: C, body: B): { status: C; body: B } => ({ status, body });

export type Handler<S extends RouteSpec> = (input: HandlerInput<S>) => Promise<Reply<S>>;

/** "body.shiftId: is required; body.amount: …": every issue, with the field it is about. */
export function issuesMessage(error: z.ZodError, where: string): string {
  return error.issues.map((issue) => `${[where, ...issue.path].join(".")}: ${issue.message}`).join("; ");
}

const PARTS = [
  ["params", "path"],
  ["query", "query"],
  ["body", "body"],
] as const;

/** The request's path, query and body parsed by the spec's schemas; the parts they refuse as failures. */
function parseInput(spec: RouteSpec, req: Request): { ok: true; params: unknown; query: unknown; body: unknown } | { ok: false; failures: InputFailure[] } {
  const parsed: Record<string, unknown> = {};
  const failures: InputFailure[] = [];
  for (const [part, where] of PARTS) {
    const schema = spec[part];
    if (!schema) continue;
    const result = schema.safeParse(part === "body" ? (req.body ?? {}) : req[part]);
    if (result.success) parsed[part] = result.data;
    else failures.push({ where, error: result.error });
  }
  return failures.length > 0 ? { ok: false, failures } : { ok: true, params: parsed.params, query: parsed.query, body: parsed.body };
}

/** The group's routes mounted on `router`, each behind its role check: `serve` answers what passed it. */
function mountGroup<S extends Record<string, RouteSpec>>(group: RouteGroup<S>, router: Router, serve: (name: keyof S & string, spec: RouteSpec) => (req: Request, res: Response) => Promise<void>): Router {
  for (const [name, spec] of Object.entries(group.routes) as [keyof S & string, RouteSpec][]) {
    const guards = spec.auth === "public" ? [] : [requireRole(spec.auth)];
    router[spec.method](spec.path, ...guards, serve(name, spec));
  }
  return router;
}

function send(res: Response, answer: { status: number; body: unknown }): void {
  if (answer.body === undefined) res.status(answer.status).end();
  else res.status(answer.status).json(answer.body);
}

/**
 * The group's Express router: every spec mounted in the group's order, with its role check and zod validation (400
 * bad_request naming each field, or the spec's own `invalid` answer) before its handler. The body was read and checked
 * for NUL and over-long strings by apiInput (src/api/api-input.ts), mounted in front of every group. A StaffActionError
 * thrown by the core is answered with its status and code; anything else goes to the app's error handler. The handler
 * map must name every route of the group (checked by the compiler). `refused` hears every validation refusal before it
 * is answered.
 */
export function groupRouter<S extends Record<string, RouteSpec>>(
  group: RouteGroup<S>,
  handlers: { [K in keyof S]: Handler<NoInfer<S>[K]> },
  router: Router = express.Router(),
  options: { refused?: (req: Request, message: string) => Promise<void> } = {},
): Router {
  return mountGroup(group, router, (name, spec) => {
    const handler = handlers[name] as unknown as Handler<RouteSpec>;
    return async (req: Request, res: Response) => {
      const input = parseInput(spec, req);
      if (!input.ok) {
        const refusal = spec.invalid?.(input.failures) ?? {
          error: "bad_request",
          message: input.failures.map((failure) => issuesMessage(failure.error, failure.where)).join("; "),
        };
        req.log.warn({ path: req.path, problems: refusal.message }, "API request refused: invalid input");
        await options.refused?.(req, refusal.message);
        return send(res, { status: 400, body: refusal });
      }
      try {
        send(res, await handler({ params: input.params, query: input.query, body: input.body, actor: req.actor!, req } as HandlerInput<RouteSpec>));
      } catch (error) {
        apiError(req, res, error);
      }
    };
  });
}

/**
 * The group's routes when it cannot serve at all (a channel not configured): each answers its fixed reply behind its
 * role check, before its input is read, as the routes written before the registry did.
 */
export function unavailableRouter<S extends Record<string, RouteSpec>>(group: RouteGroup<S>, replies: { [K in keyof S]: Reply<NoInfer<S>[K]> }, router: Router = express.Router()): Router {
  return mountGroup(group, router, (name) => async (_req: Request, res: Response) => send(res, replies[name]));
}
