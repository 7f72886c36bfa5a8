import type { Request, Response } from "express";

/** GET /metrics: Prometheus text exposition. (To be written.) */
export function metricsRoute(_req: Request, res: Response): void {
  res.type("text/plain; version=0.0.4").send("");
}
