import express, { type Router } from "express";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import type { IntakeDeps } from "../payments/accept-payment.ts";

/** The cash desk API. (To be written.) */
export function cashierRoutes(_config: Config, _db: Db, _intake: IntakeDeps): Router {
  return express.Router();
}
