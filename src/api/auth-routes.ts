import express, { type Router } from "express";
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";

/** POST /api/auth/tokens (sign in for a bearer token), DELETE /api/auth/tokens/current. (To be written.) */
export function authRoutes(_config: Config, _db: Db): Router {
  return express.Router();
}
