import type { Router } from "express";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import type { IntakeDeps } from "../payments/accept-payment.ts";
import { defineGroup, groupRouter } from "./api-registry.ts";

/** Billing notifications and queue health. (To be written.) */
export const operationsApi = defineGroup({ base: "/api/operations", tag: "operations", routes: {} });

export function operationsRoutes(_config: Config, _db: Db, _intake: IntakeDeps): Router {
  return groupRouter(operationsApi, {});
}
