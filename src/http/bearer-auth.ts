import type { NextFunction, Request, Response } from "express";
import { secretsEqual } from "../../adapters/contract/index.ts";

/** `Authorization: Bearer <HUB_ADMIN_TOKEN>` for automation; compared in constant time. */
export function requireBearer(token: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match && secretsEqual(match[1]!, token)) return next();
    req.log.warn({ path: req.path, ip: req.ip }, header ? "API request with a wrong bearer token refused" : "API request without credentials refused");
    res.status(401).set("WWW-Authenticate", 'Bearer realm="payhub"').json({ error: "unauthorized", message: "send Authorization: Bearer <HUB_ADMIN_TOKEN>" });
  };
}
