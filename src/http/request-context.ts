import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "../log.ts";

declare module "express-serve-static-core" {
  interface Request {
    /** Follows a payment from the webhook to the ledger: logged by intake, stored on the payment, carried by jobs. */
    id: string;
    log: Logger;
  }
}

/** An incoming X-Request-Id kept as the request's id when it is well-formed. */
export function requestIdOf(header: string | string[] | undefined): string | undefined {
  return typeof header === "string" && /^[A-Za-z0-9._-]{8,64}$/.test(header) ? header : undefined;
}

/** Gives every request an id (a well-formed incoming X-Request-Id is kept) and a logger that carries it. */
export function requestContext(log: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    req.id = requestIdOf(req.headers["x-request-id"]) ?? randomUUID();
    req.log = log.child({ requestId: req.id });
    res.setHeader("X-Request-Id", req.id);
    next();
  };
}
