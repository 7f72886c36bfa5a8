import type { NextFunction, Request, Response } from "express";
import type { Db } from "../db.ts";
import { inputProblem, pathProblem } from "../http/hostile-input.ts";
import { auditRefusedSignIn } from "../staff/sessions.ts";
import { html } from "./html.ts";
import { messagePage } from "./respond.ts";

/**
 * The pages' input check, as the API's (src/api/api-input.ts): a NUL (U+0000) or an over-long text anywhere in the
 * address, the query or a form (urlencoded or multipart, the names of its files too) is refused with a 400 page
 * before any page reads it. A refused sign-in form is audited like every sign-in attempt. Mount it after the form
 * parsers.
 */
export function pageInput(db: Db) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const problem =
      pathProblem(req.path) ?? inputProblem(req.query, "query") ?? inputProblem(req.body, "form") ?? inputProblem(req.files?.map((file) => file.fileName), "files");
    if (!problem) return next();
    req.log.warn({ path: req.originalUrl.slice(0, 200), problem }, "page request refused: hostile or malformed input");
    const path = req.baseUrl + req.path;
    if (req.method === "POST" && path === "/staff/sign-in") {
      const login = (req.body as { login?: unknown } | undefined)?.login;
      await auditRefusedSignIn(db, { login, kind: "cookie", ip: req.ip ?? "", requestId: req.id }, problem);
    }
    const back = path.startsWith("/staff") ? html`<a class="button" href="/staff/sign-in">Ко входу</a>` : undefined;
    messagePage(req, res, 400, "Запрос не принят", "В адресе или в форме недопустимый символ (нулевой байт) или слишком длинный текст, поэтому ничего не сделано. Откройте страницу заново и повторите.", back);
  };
}
