import express, { type Request, type Response, type Router } from "express";
import { createStaff, listStaff, StaffInput, unlockStaff } from "../staff/staff-users.ts";
import { actionContext } from "../staff/http-auth.ts";
import { html, notice, officeTime, page, postForm, ROLE_NAMES, type Html } from "./html.ts";
import { attempt, confirmation, field, notFoundPage, send, type PageDeps } from "./respond.ts";
import { requireAdmin } from "./session.ts";

/** What is wrong with a new member of staff, field by field, in Russian. */
const FIELD_PROBLEMS: Record<string, string> = {
  login: "Логин: от 3 до 40 латинских букв, цифр, точек, дефисов или подчёркиваний.",
  fullName: "ФИО: от 3 до 200 символов.",
  role: "Выберите роль.",
  office: "Выберите офис.",
  password: "Введите пароль.",
};

interface NewStaffValues {
  login: string;
  fullName: string;
  role: string;
  office: string;
}

const EMPTY: NewStaffValues = { login: "", fullName: "", role: "cashier", office: "" };

async function renderAdmin({ db }: PageDeps, req: Request, res: Response, status = 200, message?: Html, values = EMPTY): Promise<void> {
  const actor = req.actor!;
  const [staff, offices, entries] = await Promise.all([
    listStaff(db),
    db.office.findMany({ orderBy: { code: "asc" } }),
    db.auditEntry.findMany({ orderBy: { id: "desc" }, take: 200 }),
  ]);
  const staffRows = staff.map(
    (member) => html`<tr data-staff="${member.login}">
      <td>${member.login}</td><td>${member.fullName}</td><td>${ROLE_NAMES[member.role]}</td><td>${member.office ?? "—"}</td>
      <td>${member.active ? "работает" : "отключён"}</td>
      <td class="when">${member.lastSignedInAt ? officeTime(new Date(member.lastSignedInAt)) : "—"}</td>
      <td>${member.lockedUntil
        ? html`<span class="cancelled">заблокирован до ${officeTime(new Date(member.lockedUntil))}</span>
            ${postForm(`/admin/staff/${member.login}/unlock`, actor.csrfToken, html`<button type="submit" class="secondary">Разблокировать</button>`, "inline")}`
        : ""}</td>
    </tr>`,
  );
  const roleOptions = (["cashier", "supervisor", "admin"] as const).map((role) => html`<option value="${role}" ${values.role === role ? "selected" : ""}>${ROLE_NAMES[role]}</option>`);
  const officeOptions = offices.map((office) => html`<option value="${office.code}" ${values.office === office.code ? "selected" : ""}>${office.city}, ${office.address} (${office.code})</option>`);
  const auditRows = entries.map(
    (entry) => html`<tr><td class="when">${officeTime(entry.createdAt)}</td><td>${entry.actor}</td><td>${entry.action}</td><td>${entry.target ?? ""}</td><td>${entry.reason ?? ""}</td>
      <td>${entry.ip}</td><td class="muted">${JSON.stringify(entry.detail).slice(0, 300)}</td></tr>`,
  );
  const body = html`${message ?? confirmation(req)}
    <h1>Администрирование</h1>
    <h2>Сотрудники</h2>
    <table><thead><tr><th>Логин</th><th>ФИО</th><th>Роль</th><th>Офис</th><th>Состояние</th><th>Последний вход</th><th>Блокировка</th></tr></thead><tbody>${staffRows}</tbody></table>
    <section class="box">
      <h2>Новый сотрудник</h2>
      ${postForm(
        "/admin/staff",
        actor.csrfToken,
        html`<label for="new-login">Логин</label><input id="new-login" name="login" value="${values.login}" autocomplete="off" autocapitalize="none" required>
          <label for="new-name">ФИО</label><input id="new-name" name="fullName" value="${values.fullName}" size="40" required>
          <label for="new-role">Роль</label><select id="new-role" name="role">${roleOptions}</select>
          <label for="new-office">Офис (для кассира и старшего кассира)</label><select id="new-office" name="office"><option value="">— без офиса (администратор) —</option>${officeOptions}</select>
          <label for="new-password">Пароль (не короче 10 символов)</label><input id="new-password" name="password" type="password" autocomplete="new-password" required minlength="10">
          <div><button type="submit">Создать сотрудника</button></div>`,
      )}
    </section>
    <h2>Журнал действий (последние 200)</h2>
    <table class="audit"><thead><tr><th>Время</th><th>Кто</th><th>Действие</th><th>Объект</th><th>Причина</th><th>IP</th><th>Подробности</th></tr></thead><tbody>${auditRows}</tbody></table>`;
  send(res, status, page({ title: "Администрирование", actor, body }));
}

/** GET /admin, POST /admin/staff (create), POST /admin/staff/:login/unlock. Admins only. */
export function adminRoutes(deps: PageDeps): Router {
  const { db, config } = deps;
  const router = express.Router();
  router.use("/admin", requireAdmin);

  router.get("/admin", (req, res) => renderAdmin(deps, req, res));

  router.post("/admin/staff", async (req, res) => {
    const values: NewStaffValues = { login: field(req, "login").slice(0, 100), fullName: field(req, "fullName").slice(0, 300), role: field(req, "role"), office: field(req, "office").slice(0, 40) };
    const input = StaffInput.safeParse({ ...values, office: values.office || undefined, password: field(req, "password") });
    if (!input.success) {
      const fields = [...new Set(input.error.issues.map((issue) => String(issue.path[0])))];
      return renderAdmin(deps, req, res, 400, notice("error", fields.map((name) => FIELD_PROBLEMS[name] ?? name).join(" ")), values);
    }
    const created = await attempt(req, config, () => createStaff(db, actionContext(req), input.data));
    if (created.ok) return res.redirect(303, "/admin?ok=created");
    await renderAdmin(deps, req, res, created.status, notice("error", created.message), values);
  });

  router.post("/admin/staff/:login/unlock", async (req, res) => {
    const login = req.params.login;
    if (!/^[a-z0-9._-]{3,40}$/.test(login)) return notFoundPage(req, res);
    const unlocked = await attempt(req, config, () => unlockStaff(db, actionContext(req), login));
    if (unlocked.ok) return res.redirect(303, "/admin?ok=unlocked");
    await renderAdmin(deps, req, res, unlocked.status, notice("error", unlocked.message));
  });
  return router;
}
