import express, { type Request, type Response, type Router } from "express";
import { audit } from "../staff/audit.ts";
import { actionContext, csrfProblem, pageActor, SESSION_COOKIE } from "../staff/http-auth.ts";
import { revokeSession, signIn } from "../staff/sessions.ts";
import { html, notice, officeTime, page } from "./html.ts";
import { field, messagePage, queryParam, send, type PageDeps } from "./respond.ts";
import { refuseForgedForm } from "./session.ts";

/** Where to go after signing in: a local path only (never //host or /\host), else the desk. */
export function safeNext(next: string): string {
  if (next.length > 500 || !/^\/(?![/\\])[\x21-\x7e]*$/.test(next)) return "/cash";
  return next.startsWith("/staff/") ? "/cash" : next;
}

function signInPage(next: string, login: string, error?: string): string {
  return page({
    title: "Вход",
    body: html`<section class="box">
      <h1>Вход для сотрудников</h1>
      ${notice("error", error)}
      <form method="post" action="/staff/sign-in">
        <input type="hidden" name="next" value="${next}">
        <label for="login">Логин</label>
        <input id="login" name="login" value="${login}" autocomplete="username" autocapitalize="none" spellcheck="false" required ${login ? "" : html`autofocus`}>
        <label for="password">Пароль</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required ${login ? html`autofocus` : ""}>
        <div><button type="submit">Войти</button></div>
      </form>
    </section>`,
  });
}

/** A cross-site sign-in form (login CSRF) is refused: the Origin, when sent, must be this host. */
function crossSite(req: Request): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== "string" || origin === "null") return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/**
 * GET/POST /staff/sign-in and POST /staff/sign-out. The session cookie is HttpOnly, SameSite=Strict, Path=/,
 * Secure when configured, and lives as long as the session.
 */
export function signInRoutes({ config, db }: PageDeps): Router {
  const router = express.Router();
  const cookieOptions = { httpOnly: true, sameSite: "strict" as const, path: "/", secure: config.staff.cookieSecure };

  router.get("/staff/sign-in", async (req, res) => {
    const next = safeNext(queryParam(req, "next"));
    if (await pageActor(db, req)) return res.redirect(303, next);
    send(res, 200, signInPage(next, ""));
  });

  router.post("/staff/sign-in", async (req, res) => {
    const next = safeNext(field(req, "next"));
    const login = field(req, "login").slice(0, 100);
    const password = field(req, "password").slice(0, 200);
    if (crossSite(req)) {
      req.log.warn({ origin: req.headers.origin }, "cross-site sign-in form refused");
      return messagePage(req, res, 403, "Вход отклонён", "Форма входа отправлена с чужого сайта. Откройте страницу входа payhub и войдите там.", html`<a class="button" href="/staff/sign-in">Ко входу</a>`);
    }
    if (!login.trim() || !password) return send(res, 400, signInPage(next, login, "Введите логин и пароль."));
    const result = await signIn(db, config.staff, { login, password, kind: "cookie", ip: req.ip ?? "", userAgent: req.get("user-agent") ?? "", requestId: req.id });
    if (result.ok) {
      res.cookie(SESSION_COOKIE, result.token, { ...cookieOptions, maxAge: Math.max(0, result.expiresAt.getTime() - Date.now()) });
      return res.redirect(303, next);
    }
    if (result.reason === "locked") {
      const message = `Вход временно заблокирован после ${config.staff.lockoutAttempts} неверных попыток до ${officeTime(result.lockedUntil)} (время Владивостока). Снять блокировку раньше может администратор.`;
      return send(res, 429, signInPage(next, login, message));
    }
    send(res, 401, signInPage(next, login, "Неверный логин или пароль."));
  });

  router.post("/staff/sign-out", async (req: Request, res: Response) => {
    const actor = await pageActor(db, req);
    if (actor) {
      req.actor = actor;
      const problem = csrfProblem(req);
      if (problem) return refuseForgedForm(db, req, res, problem);
      await revokeSession(db, actor.sessionId!);
      await audit(db, actionContext(req), { action: "sign-out", detail: { session: actor.sessionId } });
    }
    res.clearCookie(SESSION_COOKIE, cookieOptions);
    res.redirect(303, "/staff/sign-in");
  });
  return router;
}
