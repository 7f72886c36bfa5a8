import type { Router } from "express";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import type { IntakeDeps } from "../payments/accept-payment.ts";
import { defineGroup, groupRouter } from "./api-registry.ts";

/** Mis-sent payment transfers (maker-checker). (To be written.) */
export const transfersApi = defineGroup({ base: "/api/transfers", tag: "transfers", routes: {} });

export function transfersRoutes(_config: Config, _db: Db, _intake: IntakeDeps): Router {
  return groupRouter(transfersApi, {});
}
