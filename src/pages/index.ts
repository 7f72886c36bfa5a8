import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { Config } from "../config.ts";
import type { HubServices } from "../metrics/metrics.ts";
import type { Db } from "../db.ts";
import type { IntakeDeps } from "../payments/accept-payment.ts";
import { adminRoutes } from "./admin-pages.ts";
import { consoleRoutes } from "./console-pages.ts";
import { reportsRoutes } from "./console-reports.ts";
import { UPLOAD_LIMIT_BYTES, UPLOAD_PATH } from "./console-transfers.ts";
import { multipartForm } from "./console-upload.ts";
import { REGISTRY_MAX_BYTES } from "../api/registries-routes.ts";
import { REGISTRY_UPLOAD_PATH, STATEMENT_UPLOAD_PATH } from "./console-registries.ts";
import { deskRoutes } from "./desk-pages.ts";
import { CONTENT_SECURITY_POLICY } from "./html.ts";
import { pageInput } from "./page-input.ts";
import { notFoundPage, pageErrors } from "./respond.ts";
import { requireSession } from "./session.ts";
import { shiftRoutes } from "./shift-pages.ts";
import { signInRoutes } from "./sign-in.ts";

/** The paths the pages own; everything else (webhooks, API) passes through untouched, its body unread. */
const PAGE_PATHS = ["/staff", "/cash", "/admin", "/console"];

function pageHeaders(_req: Request, res: Response, next: NextFunction) {
  res.set({
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
  });
  next();
}

/**
 * The staff pages, server-rendered in Russian: sign-in (/staff), the cash desk, shifts and Z-reports (/cash),
 * administration (/admin), the operator console (/console). Every page but sign-in needs a cookie session; every
 * form POST carries its CSRF token.
 */
export function pagesRoutes(config: Config, db: Db, intake: IntakeDeps, services: HubServices): Router {
  const deps = { config, db, intake, services };
  const router = express.Router();
  router.get("/", (_req, res) => res.redirect(303, "/cash"));
  router.use(PAGE_PATHS, pageHeaders, express.urlencoded({ extended: false, limit: "32kb" }));
  router.use(UPLOAD_PATH, multipartForm(db, UPLOAD_LIMIT_BYTES));
  router.use([REGISTRY_UPLOAD_PATH, STATEMENT_UPLOAD_PATH], multipartForm(db, REGISTRY_MAX_BYTES));
  router.use(PAGE_PATHS, pageInput(db));
  router.use(signInRoutes(deps));
  router.use(["/cash", "/admin", "/console"], requireSession(db));
  router.use(deskRoutes(deps));
  router.use(shiftRoutes(deps));
  router.use(adminRoutes(deps));
  router.use(consoleRoutes(deps));
  router.use(reportsRoutes(deps));
  router.use(PAGE_PATHS, notFoundPage);
  router.use(pageErrors(config));
  return router;
}
