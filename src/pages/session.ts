import type { NextFunction, Request, Response } from "express";
import type { Db } from "../db.ts";
import { hasRole } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import { actionContext, csrfProblem, pageActor } from "../staff/http-auth.ts";
import { html } from "./html.ts";
import { forbiddenPage, messagePage } from "./respond.ts";

/** A POST whose CSRF token is missing or wrong: refused with 403, logged and audited, nothing done. */
export async function refuseForgedForm(db: Db, req: Request, res: Response, problem: string): Promise<void> {
  req.log.warn({ path: req.path, staff: req.actor?.login, problem }, "page form refused: CSRF check failed");
  await audit(db, actionContext(req), { action: "csrf.refused", target: `page:${req.originalUrl.slice(0, 200)}`, detail: { problem } });
  forbiddenPage(req, res, "Форма устарела или отправлена не со страницы payhub, поэтому ничего не сделано. Обновите страницу и повторите.");
}

/**
 * The pages' session: signed out, a GET goes to the sign-in page (and comes back after it), anything else is a 401
 * page. A POST must carry the session's CSRF token.
 */
export function requireSession(db: Db) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const actor = await pageActor(db, req);
    if (!actor) {
      if (req.method === "GET" || req.method === "HEAD") return res.redirect(303, `/staff/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
      req.log.warn({ path: req.originalUrl }, "page form without a session refused");
      return messagePage(req, res, 401, "Нужно войти", "Вы не вошли или сессия закончилась, поэтому ничего не сделано. Войдите и повторите действие.", html`<a class="button" href="/staff/sign-in">Войти</a>`);
    }
    req.actor = actor;
    req.log = req.log.child({ staff: actor.login });
    if (req.method === "POST") {
      const problem = csrfProblem(req);
      if (problem) return refuseForgedForm(db, req, res, problem);
    }
    next();
  };
}

/** Administration only: everyone else gets the "Нет доступа" page. */
export function requireAdmin(req: Request, res: Response, next: NextFunction) {
  if (req.actor && hasRole(req.actor, "admin")) return next();
  req.log.warn({ path: req.originalUrl, role: req.actor?.role }, "administration page refused: not an admin");
  forbiddenPage(req, res, "Эта страница только для администраторов.");
}
