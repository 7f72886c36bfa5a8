import express, { type Router } from "express";
import type { Db } from "../db.ts";

/** Staff management (admins). (To be written.) */
export function staffRoutes(_db: Db): Router {
  return express.Router();
}

/** The audit log (supervisors and admins). (To be written.) */
export function auditRoutes(_db: Db): Router {
  return express.Router();
}
