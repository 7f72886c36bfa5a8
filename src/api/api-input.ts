import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { inputProblem, pathProblem } from "../http/hostile-input.ts";
import type { BodyLimit, RouteGroup } from "./api-registry.ts";

/** A JSON body of the staff API is at most this big unless its route's spec declares more (bodyLimit). */
export const API_BODY_LIMIT_BYTES = 16 * 1024;

/** Called before a refusal is answered: the sign-in audits its refused attempts. */
export type InputRefusalHook = (req: Request, message: string) => Promise<void>;

async function refuse(req: Request, res: Response, refused: InputRefusalHook | undefined, status: number, error: string, message: string): Promise<void> {
  req.log.warn({ path: req.originalUrl.slice(0, 200), problem: message }, "API request refused: hostile or malformed input");
  await refused?.(req, message);
  res.status(status).json({ error, message });
}

/**
 * The staff API's input check, one for every route, those added later too: it reads the JSON body (at most
 * API_BODY_LIMIT_BYTES, or what the route's spec declares as its bodyLimit) and refuses, with 400 bad_request naming the
 * field, a NUL (U+0000) or an over-long string anywhere in the path, the query or the body (src/http/hostile-input.ts),
 * before any route or the database sees it. A body over its limit is 413 too_large and one that is not JSON 400, both
 * in the API's JSON. Each route's own schema still checks types, formats and ranges (ids: api-registry.ts).
 *
 * Mount it on /api after the authentication (a large body is read only for staff); a router mounted before the
 * authentication mounts one of its own (auth-routes.ts). `groups` are the registry's groups, whose routes may declare
 * a bodyLimit.
 */
export function apiInput(options: { groups?: readonly RouteGroup[]; refused?: InputRefusalHook } = {}): Router {
  const { groups = [], refused } = options;
  const router = express.Router();
  for (const group of groups) {
    for (const spec of Object.values(group.routes)) {
      const { bodyLimit } = spec;
      if (!bodyLimit) continue;
      // Relative to /api, where it is mounted.
      const path = (group.base.replace(/^\/api/, "") + spec.path).replace(/(.)\/$/, "$1") || "/";
      const declare = (req: Request, _res: Response, next: NextFunction) => {
        req.bodyLimit = bodyLimit;
        next();
      };
      // The larger parser reads the body first; the default one below then finds it read and leaves it.
      router[spec.method](path, declare, express.json({ limit: bodyLimit.bytes }));
    }
  }
  router.use(express.json({ limit: API_BODY_LIMIT_BYTES }));
  router.use((req: Request, res: Response, next: NextFunction) => {
    const problem =
      pathProblem(req.path) ?? inputProblem(req.query, "query") ?? inputProblem(req.body, "body", { longText: req.bodyLimit?.longText });
    if (!problem) return next();
    refuse(req, res, refused, 400, "bad_request", problem).catch(next);
  });
  router.use((error: Error & { status?: number; type?: string; limit?: number }, req: Request, res: Response, next: NextFunction) => {
    if (typeof error.status !== "number" || error.status < 400 || error.status >= 500) return next(error);
    if (error.type === "entity.too.large") {
      const hint = req.bodyLimit?.tooLarge;
      return void refuse(req, res, refused, 413, "too_large", `the request body is over ${error.limit ?? API_BODY_LIMIT_BYTES} bytes${hint ? `: ${hint}` : ""}`).catch(next);
    }
    const what = error.type === "entity.parse.failed" ? "is not valid JSON" : `could not be read (${error.message})`;
    refuse(req, res, refused, error.status, "bad_request", `body: ${what}`).catch(next);
  });
  return router;
}

declare module "express-serve-static-core" {
  interface Request {
    /** The larger body a route's spec allows (set by apiInput for that route). */
    bodyLimit?: BodyLimit;
  }
}
