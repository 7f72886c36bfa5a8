import express, { type NextFunction, type Request, type Response } from "express";
import { isDatabaseUnavailable } from "./infra/database-unavailable.ts";
import type { Redis } from "ioredis";
import { accountsRoutes } from "./api/accounts-routes.ts";
import { arsenalpayRoutes } from "./api/arsenalpay-routes.ts";
import { autopaymentsRoutes } from "./api/autopayments-routes.ts";
import { cardRoutes } from "./card/card-routes.ts";
import { paymentsRoutes } from "./api/payments-routes.ts";
import { qiwiBillsRoutes } from "./qiwi-bills/qiwi-bills-routes.ts";
import type { Config } from "./config.ts";
import type { Db } from "./db.ts";
import { authenticateApi, requireRole } from "./staff/http-auth.ts";
import { authRoutes } from "./api/auth-routes.ts";
import { ALL_API_GROUPS, openapiRoute } from "./api/openapi.ts";
import { apiInput } from "./api/api-input.ts";
import { operationsRoutes } from "./api/operations-routes.ts";
import { suspenseRoutes } from "./api/suspense-routes.ts";
import { incidentsRoutes } from "./api/incidents-routes.ts";
import { webmoneyRoutes } from "./api/webmoney-routes.ts";
import { registriesRoutes } from "./api/registries-routes.ts";
import { reportsRoutes } from "./api/reports-routes.ts";
import { transfersRoutes } from "./api/transfers-routes.ts";
import { metricsRoute, type HubServices } from "./metrics/metrics.ts";
import { pagesRoutes } from "./pages/index.ts";
import { cashierRoutes } from "./api/cashier-routes.ts";
import { auditRoutes, staffRoutes } from "./api/staff-routes.ts";
import { requestContext } from "./http/request-context.ts";
import type { Logger } from "./log.ts";
import type { IntakeDeps } from "./payments/accept-payment.ts";
import { createWebhookFront } from "../webhooks/index.ts";
import type { RequestListener } from "node:http";

export interface AppDeps {
  config: Config;
  db: Db;
  redis: Redis;
  log: Logger;
  intake: IntakeDeps;
  /** The hub's queues and metrics: /metrics, queue health and billing replays. */
  services: HubServices;
}

/**
 * The hub's HTTP handler: the providers' routes (webhooks/index.ts, in front of Express for their load), then the
 * Express application for everything else.
 */
export function createRequestListener(deps: AppDeps): RequestListener & { app: express.Express } {
  const app = createApp(deps);
  return createWebhookFront(app, deps.config, deps.intake, deps.log);
}

/** The HTTP application without the providers' routes (createRequestListener puts them in front). */
export function createApp(deps: AppDeps): express.Express {
  const { config, db, redis, log } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy);
  app.use(requestContext(log));

  app.get("/health/live", (_req, res) => {
    res.json({ status: "live" });
  });
  app.get("/health/ready", async (_req, res) => {
    const [postgres, redisOk] = await Promise.all([
      db.$queryRaw`SELECT 1`.then(() => true, () => false),
      redis.ping().then((pong) => pong === "PONG", () => false),
    ]);
    res.status(postgres && redisOk ? 200 : 503).json({ status: postgres && redisOk ? "ready" : "not ready", postgres, redis: redisOk });
  });

  app.get("/metrics", metricsRoute(deps.services, config.metricsToken));

  // The staff pages: sign-in, the cash desk, Z-reports, administration (src/pages).
  app.use(pagesRoutes(config, db, deps.intake, deps.services));
  // Signing in for a token needs no token; everything else under /api does.
  app.use("/api/auth", authRoutes(config, db));
  // The API's description (generated from the routes' zod schemas) is public.
  app.get("/api/openapi.json", openapiRoute);
  // Every input is checked (no NUL, no over-long text, the JSON body read within its limit) before a route sees it.
  app.use("/api", authenticateApi(db, config.adminToken), apiInput({ groups: ALL_API_GROUPS }));
  app.use("/api/cashier", cashierRoutes(config, db, deps.intake));
  app.use("/api/staff", requireRole("admin"), staffRoutes(db));
  app.use("/api/audit", requireRole("supervisor"), auditRoutes(db));
  // Corrections and operations (issue 5): transfers are filed by any staff and decided by supervisors (the routes
  // check); suspense and operations are for supervisors.
  app.use("/api/transfers", transfersRoutes(config, db, deps.intake));
  app.use("/api/suspense", requireRole("supervisor"), suspenseRoutes(config, db, deps.intake));
  // Intake incidents: money a provider said it moved that payhub did not take as sent, for an operator to resolve.
  app.use("/api/incidents", requireRole("supervisor"), incidentsRoutes(db));
  app.use("/api/operations", requireRole("supervisor"), operationsRoutes(db, deps.services));
  app.use("/api/reports", requireRole("supervisor"), reportsRoutes(db));
  app.use("/api/registries", requireRole("supervisor"), registriesRoutes(deps.intake));
  // The operators' and the site's automation API: supervisors and admins (and HUB_ADMIN_TOKEN), never cashiers.
  app.use("/api/accounts", requireRole("supervisor"), accountsRoutes(db));
  app.use("/api/payments", requireRole("supervisor"), paymentsRoutes(db, deps.intake.pool, deps.intake.dispatchCredit));
  app.use("/api/qiwi-bills", requireRole("supervisor"), qiwiBillsRoutes(config, db));
  app.use("/api/webmoney", requireRole("supervisor"), webmoneyRoutes(config, db));
  app.use("/api/arsenalpay", requireRole("supervisor"), arsenalpayRoutes(config, db));
  app.use("/api/autopayments", requireRole("supervisor"), autopaymentsRoutes(config, db));
  app.use("/api/card", requireRole("supervisor"), cardRoutes(config, db, deps.intake));

  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: "not_found", message: `no route ${req.method} ${req.path}` });
  });
  app.use((error: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (isDatabaseUnavailable(error)) {
      (req.log ?? log).error({ err: error.message, path: req.path }, "request failed: the database is unavailable");
      res.setHeader("Retry-After", "60");
      res.status(503).json({ error: "database_unavailable", message: "the database is unavailable; repeat the request in a minute" });
      return;
    }
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    (req.log ?? log).error({ err: error, path: req.path }, "request failed");
    res.status(status).json({ error: status === 500 ? "internal_error" : "bad_request", message: status === 500 ? "internal error; see the hub's log for the request id" : error.message });
  });
  return app;
}
