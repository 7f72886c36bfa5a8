import type { Router } from "express";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import type { IntakeDeps } from "../payments/accept-payment.ts";
import { defineGroup, groupRouter } from "./api-registry.ts";

/** The suspense queue. (To be written.) */
export const suspenseApi = defineGroup({ base: "/api/suspense", tag: "suspense", routes: {} });

export function suspenseRoutes(_config: Config, _db: Db, _intake: IntakeDeps): Router {
  return groupRouter(suspenseApi, {});
}
