import { describe, expect, it, vi } from "vitest";
import { safeNext } from "../../src/pages/sign-in.ts";
import { createStaff } from "../../src/staff/staff-users.ts";
import { waitUntilAllCredited } from "../support/test-hub.ts";
import { browserSuite, openShift, PageClient, screenshot, signInAs, takePayment, textOf } from "./desk-browser.ts";

// Who may do what on the pages: sessions, CSRF, roles and offices, lock-out, administration.
// Demo staff: admin; starshiy (supervisor) and kassir1 (cashier) at vl-lugovaya; kassir2 (cashier) at us-nekrasova.

const t = browserSuite();

/** One page session per login for the fetch-driven checks (a sign-in costs a deliberately slow scrypt). */
const sessions = new Map<string, Promise<PageClient>>();
function session(login: string): Promise<PageClient> {
  if (!sessions.has(login)) sessions.set(login, PageClient.signIn(t.hub, login));
  return sessions.get(login)!;
}

/** A closed vl-lugovaya shift of kassir1 with one credited payment of 300 rubles: [shift id, payment id]. */
let closedShift: Promise<[number, bigint]> | undefined;
function closedLugovayaShift(): Promise<[number, bigint]> {
  closedShift ??= (async () => {
    const kassir1 = await session("kassir1");
    expect((await kassir1.post("/cash/shifts", { desk: "vl-lugovaya-2", openingCash: "0" })).status).toBe(303);
    const shift = (await t.hub.hub.db.cashShift.findFirstOrThrow({ where: { closedAt: null, cashier: { login: "kassir1" } } })).id;
    const form = await kassir1.get("/cash/pay?account=100080");
    const receiptNumber = /name="receiptNumber" value="(\d+)"/.exec(form.text)![1]!;
    const paid = await kassir1.post("/cash/payments", { shiftId: String(shift), receiptNumber, account: "100080", amount: "300" });
    expect(paid.status).toBe(303);
    await waitUntilAllCredited(t.hub);
    expect((await kassir1.post("/cash/close", { shiftId: String(shift), counted: "300" })).status).toBe(303);
    return [shift, BigInt(paid.location!.split("/").pop()!)];
  })();
  return closedShift;
}

describe("sessions and CSRF", () => {
  it("when signed out, a page redirects to the sign-in form and a form POST is refused with 401, writing nothing", async () => {
    const desk = await PageClient.send(t.hub, "GET", "/cash/shifts?office=vl-lugovaya", undefined);
    expect(desk.status).toBe(303);
    expect(desk.location).toBe("/staff/sign-in?next=%2Fcash%2Fshifts%3Foffice%3Dvl-lugovaya");
    const admin = await PageClient.send(t.hub, "GET", "/admin", undefined);
    expect(admin.location).toBe("/staff/sign-in?next=%2Fadmin");
    const post = await PageClient.send(t.hub, "POST", "/cash/shifts", undefined, new URLSearchParams({ desk: "vl-100let-1", openingCash: "0" }));
    expect(post.status).toBe(401);
    expect(post.text).toContain("Вы не вошли или сессия закончилась");
    expect(await t.hub.hub.db.cashShift.count({ where: { desk: { code: "vl-100let-1" } } })).toBe(0);
    // A forged cookie is as good as none.
    const forged = await PageClient.send(t.hub, "GET", "/cash", "payhub_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect(forged.status).toBe(303);
  });

  it("when a form comes with a missing or wrong _csrf, then 403 with a clear page, an audit line, and nothing done", async () => {
    const admin = await PageClient.signIn(t.hub, "admin");
    for (const csrf of [null, "wrong-token-wrong-token-wrong-token-0000"]) {
      const answer = await admin.post("/cash/shifts", { desk: "vl-100let-1", openingCash: "0" }, csrf);
      expect(answer.status).toBe(403);
      expect(answer.text).toContain("Форма устарела или отправлена не со страницы payhub, поэтому ничего не сделано.");
      expect(answer.text).not.toMatch(/at .*\.ts|"error"/);
    }
    const created = await admin.post("/admin/staff", { login: "csrf-victim", fullName: "Жертва Подделки", role: "admin", office: "", password: "long-enough-password" }, null);
    expect(created.status).toBe(403);
    expect(await t.hub.hub.db.cashShift.count({ where: { desk: { code: "vl-100let-1" } } })).toBe(0);
    expect(await t.hub.hub.db.staffUser.count({ where: { login: "csrf-victim" } })).toBe(0);
    expect(await t.hub.hub.db.auditEntry.count({ where: { action: "csrf.refused", actor: "admin" } })).toBe(3);
    // A cross-site Origin is refused even with the right token.
    const crossSite = await fetch(`${t.hub.url}/cash/shifts`, { method: "POST", redirect: "manual", headers: { cookie: admin.cookie, origin: "https://evil.example" }, body: new URLSearchParams({ desk: "vl-100let-1", openingCash: "0", _csrf: admin.csrf }) });
    expect(crossSite.status).toBe(403);
    // Signing out needs the token too; with it, the session ends.
    expect((await admin.post("/staff/sign-out", {}, null)).status).toBe(403);
    expect((await admin.get("/cash")).status).toBe(200);
    const out = await admin.post("/staff/sign-out", {});
    expect(out.status).toBe(303);
    expect((await admin.get("/cash")).status).toBe(303);
  });

  it("the session cookie is HttpOnly, SameSite=Strict, Path=/; sign-in goes only to a local next; pages are not cached", async () => {
    const signIn = (next: string) =>
      fetch(`${t.hub.url}/staff/sign-in`, { method: "POST", redirect: "manual", body: new URLSearchParams({ login: "kassir2", password: "demo-password-2026", next }) });
    const answer = await signIn("/cash/shifts");
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/cash/shifts");
    expect(answer.headers.get("set-cookie")).toMatch(/^payhub_session=[\w-]{40,}; Max-Age=\d+; Path=\/; Expires=.*; HttpOnly; SameSite=Strict$/);
    expect((await signIn("https://evil.example/")).headers.get("location")).toBe("/cash");
    for (const next of ["https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example", "javascript:alert(1)", "/staff/sign-out", ""]) {
      expect(safeNext(next), next).toBe("/cash");
    }
    expect(safeNext("/cash/shifts/7?x=%2F")).toBe("/cash/shifts/7?x=%2F");
    const form = await fetch(`${t.hub.url}/staff/sign-in`);
    expect(form.headers.get("cache-control")).toBe("no-store");
    expect(form.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("after 5 wrong passwords the login is locked, the page says until when, and even the right password is refused", async () => {
    await createStaff(t.hub.hub.db, undefined, { login: "kassir9", fullName: "Забывчивая Ольга Петровна", role: "cashier", office: "ar-frunze", password: "right-password-2026" });
    await t.page.goto(`${t.hub.url}/staff/sign-in`);
    for (let attempt = 1; attempt <= 4; attempt++) {
      await t.page.getByLabel("Логин").fill("kassir9");
      await t.page.getByLabel("Пароль").fill(`wrong-password-${attempt}`);
      await t.page.getByRole("button", { name: "Войти" }).click();
      await t.page.getByRole("alert").waitFor();
      expect(await textOf(t.page, '[role="alert"]')).toBe("Неверный логин или пароль.");
    }
    for (const password of ["wrong-password-5", "right-password-2026"]) {
      await t.page.getByLabel("Пароль").fill(password);
      await t.page.getByRole("button", { name: "Войти" }).click();
      await t.page.getByText("Вход временно заблокирован").waitFor();
      expect(await textOf(t.page, '[role="alert"]')).toMatch(/^Вход временно заблокирован после 5 неверных попыток до \d\d\.\d\d\.\d{4}, \d\d:\d\d \(время Владивостока\)\. Снять блокировку раньше может администратор\.$/);
    }
    expect(new URL(t.page.url()).pathname).toBe("/staff/sign-in");
    await screenshot(t.page, "11-lock-out");
  });
});

describe("roles and offices", () => {
  it("a cashier cannot reach the administration: 403 'Нет доступа', and an admin POST writes nothing", async () => {
    const kassir1 = await session("kassir1");
    const admin = await kassir1.get("/admin");
    expect(admin.status).toBe(403);
    expect(admin.text).toContain("Нет доступа");
    expect(admin.text).not.toContain("Журнал действий");
    const created = await kassir1.post("/admin/staff", { login: "sneaky", fullName: "Хитрый Кассир", role: "admin", office: "", password: "long-enough-password" });
    expect(created.status).toBe(403);
    expect(await t.hub.hub.db.staffUser.count({ where: { login: "sneaky" } })).toBe(0);
    await signInAs(t.page, t.hub, "kassir1", "/admin");
    expect(await textOf(t.page, "h1")).toBe("Нет доступа");
    expect(await t.page.getByRole("link", { name: "Администрирование" }).count()).toBe(0);
  });

  it("a cashier of us-nekrasova cannot see a vl-lugovaya Z-report, receipt or shift list", async () => {
    const [shift, payment] = await closedLugovayaShift();
    const kassir2 = await session("kassir2");
    const report = await kassir2.get(`/cash/shifts/${shift}`);
    expect(report.status).toBe(403);
    expect(report.text).toContain("Это касса или смена другого офиса");
    expect(report.text).not.toContain("300,00");
    const receipt = await kassir2.get(`/cash/receipts/${payment}`);
    expect(receipt.status).toBe(403);
    expect(receipt.text).not.toContain("100080");
    expect((await kassir2.get("/cash/shifts?office=vl-lugovaya")).status).toBe(403);
    const own = await kassir2.get("/cash/shifts");
    expect(own.status).toBe(200);
    expect(own.text).not.toContain(`href="/cash/shifts/${shift}"`);
    // The same office's supervisor sees it.
    expect((await (await session("starshiy")).get(`/cash/shifts/${shift}`)).status).toBe(200);
  });

  it("bad addresses are 404 pages, never errors", async () => {
    const kassir1 = await session("kassir1");
    for (const path of ["/cash/shifts/abc", "/cash/shifts/0", "/cash/shifts/99999999999", "/cash/shifts/999999", "/cash/receipts/-1", "/cash/receipts/123456789", "/cash/nothing-here", "/cash/close?shift=x"]) {
      const answer = await kassir1.get(path);
      expect(answer.status, path).toBe(404);
      expect(answer.text, path).toContain("<!doctype html>");
    }
    const pay = await kassir1.get("/cash/pay?account=999999");
    expect(pay.status).toBe(404);
    expect(pay.text).toContain("Лицевой счёт не найден");
    expect((await kassir1.post("/cash/payments/abc/storno", { reason: "проверка" })).status).toBe(404);
    const damaged = await kassir1.post("/cash/payments", { shiftId: "x", receiptNumber: "1", account: "100080", amount: "1" });
    expect(damaged.status).toBe(400);
    expect(damaged.text).toContain("Форма платежа повреждена");
    const huge = await kassir1.post("/cash/shifts", { desk: "vl-lugovaya-1", openingCash: "0", note: "я".repeat(40_000) });
    expect(huge.status).toBe(413);
    expect(huge.text).toContain("Форма слишком большая");
  });

  it("a cashier cannot cancel a payment of a closed shift, but the office's supervisor can from the Z-report", async () => {
    const [shift, payment] = await closedLugovayaShift();
    const kassir1 = await session("kassir1");
    const refused = await kassir1.post(`/cash/payments/${payment}/storno`, { reason: "хочу отменить", back: "desk" });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("Смена закрыта: аннулировать её платежи может только старший кассир офиса.");
    expect(await t.hub.hub.db.cashStorno.count()).toBe(0);

    await signInAs(t.page, t.hub, "starshiy", `/cash/shifts/${shift}`);
    const line = t.page.locator(`tr[data-payment="${payment}"]`);
    await line.getByPlaceholder("причина аннулирования").fill("Плательщик вернулся: ошибка в номере счёта");
    await line.getByRole("button", { name: "Аннулировать" }).click();
    await t.page.waitForURL(new RegExp(`/cash/shifts/${shift}\\?ok=storno$`));
    expect(await t.page.getByText("Платёж аннулирован.").isVisible()).toBe(true);
    expect(await textOf(t.page, `tr[data-payment="${payment}"]`)).toContain("АННУЛИРОВАН после закрытия");
    expect(await textOf(t.page, 'tr[data-figure="storno-after-close"]')).toBe("Аннулировано после закрытия (итоги закрытия не меняет) 1 на сумму 300,00 ₽");
    expect(await textOf(t.page, 'tr[data-figure="storno"]')).toBe("Аннулировано в смене 0 на сумму 0,00 ₽");
    expect(await textOf(t.page, 'tr[data-figure="expected"]')).toBe("Должно быть в кассе 300,00 ₽");
    expect(await textOf(t.page, "table.after-close")).toContain("Плательщик вернулся: ошибка в номере счёта");
    await screenshot(t.page, "10-storno-after-close");
    expect(await t.hub.hub.db.cashStorno.findUniqueOrThrow({ where: { paymentId: payment } })).toMatchObject({ afterClose: true, shiftId: shift });

    // Twice is refused in words.
    const starshiy = await session("starshiy");
    const again = await starshiy.post(`/cash/payments/${payment}/storno`, { reason: "ещё раз", back: `shift:${shift}` });
    expect(again.status).toBe(409);
    expect(again.text).toContain("Этот платёж уже аннулирован.");
  });
});

describe("shift history", () => {
  it("a shift open over a Vladivostok midnight is flagged on its report and in the history; an admin picks the office", async () => {
    const kassir2 = await session("kassir2");
    expect((await kassir2.post("/cash/shifts", { desk: "us-nekrasova-1", openingCash: "1 500" })).status).toBe(303);
    const shift = await t.hub.hub.db.cashShift.findFirstOrThrow({ where: { closedAt: null, cashier: { login: "kassir2" } } });
    expect(shift.openingCashKopecks).toBe(150000n);
    await t.hub.hub.db.cashShift.update({ where: { id: shift.id }, data: { openedAt: new Date(Date.now() - 26 * 3600_000) } });
    const report = await kassir2.get(`/cash/shifts/${shift.id}`);
    expect(report.text).toContain("Смена открыта: текущие итоги");
    expect(report.text).toContain("Смена переходила через полночь");
    const history = await kassir2.get("/cash/shifts");
    expect(history.text).toMatch(new RegExp(`href="/cash/shifts/${shift.id}">[\\s\\S]*?<strong>открыта</strong><br><strong class="cancelled">через полночь</strong>`));

    await signInAs(t.page, t.hub, "admin", "/cash/shifts");
    await t.page.getByLabel("Офис").selectOption("us-nekrasova");
    await t.page.getByRole("button", { name: "Показать" }).click();
    await t.page.waitForURL(/office=us-nekrasova$/);
    expect(await t.page.locator(`a[href="/cash/shifts/${shift.id}"]`).count()).toBe(1);
    expect(await t.page.locator("main tbody tr").count()).toBe(1);
  });

  it("an unexpected failure is a 500 page naming the request id, never a stack trace", async () => {
    const admin = await session("admin");
    const failure = vi.spyOn(t.hub.hub.db.office, "findMany").mockRejectedValueOnce(new Error("database exploded at secret.ts:42"));
    try {
      const response = await fetch(`${t.hub.url}/cash/shifts`, { headers: { cookie: admin.cookie, "x-request-id": "page-failure-0001" } });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).toContain("Внутренняя ошибка, номер запроса page-failure-0001");
      expect(text).not.toContain("exploded");
    } finally {
      failure.mockRestore();
    }
  });
});

describe("administration", () => {
  it("an admin lists staff and the audit log, creates a cashier, and unlocks a locked login", async () => {
    await createStaff(t.hub.hub.db, undefined, { login: "kassir8", fullName: "Запертый Иван Ильич", role: "cashier", office: "nk-leninskaya", password: "kassir8-password" });
    await t.hub.hub.db.staffUser.update({ where: { login: "kassir8" }, data: { failedSignIns: 5, lockedUntil: new Date(Date.now() + 15 * 60_000) } });
    await signInAs(t.page, t.hub, "admin", "/admin");
    expect(await textOf(t.page, 'tr[data-staff="kassir1"]')).toContain("Кассирова Анна Игоревна кассир vl-lugovaya работает");
    expect(await textOf(t.page, "table.audit")).toContain("sign-in");

    // A refused creation keeps what was typed and says why.
    await t.page.getByLabel("Логин").fill("новый");
    await t.page.getByLabel("ФИО").fill("Новикова Мария Сергеевна");
    await t.page.getByLabel("Роль", { exact: true }).selectOption("cashier");
    // (The browser itself refuses a password under 10 characters: minlength.)
    expect(await t.page.getByLabel("Пароль (не короче 10 символов)").getAttribute("minlength")).toBe("10");
    await t.page.getByLabel("Пароль (не короче 10 символов)").fill("new-cashier-password");
    await t.page.getByRole("button", { name: "Создать сотрудника" }).click();
    await t.page.getByRole("alert").waitFor();
    expect(await textOf(t.page, '[role="alert"]')).toBe("Логин: от 3 до 40 латинских букв, цифр, точек, дефисов или подчёркиваний.");
    expect(await t.page.getByLabel("ФИО").inputValue()).toBe("Новикова Мария Сергеевна");
    await t.page.getByLabel("Логин").fill("kassir5");
    await t.page.getByLabel("Пароль (не короче 10 символов)").fill("new-cashier-password");
    await t.page.getByRole("button", { name: "Создать сотрудника" }).click();
    await t.page.getByRole("alert").waitFor();
    expect(await textOf(t.page, '[role="alert"]')).toBe("Кассиру и старшему кассиру нужно указать офис.");
    await t.page.getByLabel("Офис (для кассира и старшего кассира)").selectOption("vl-100let");
    await t.page.getByLabel("Пароль (не короче 10 символов)").fill("new-cashier-password");
    await t.page.getByRole("button", { name: "Создать сотрудника" }).click();
    await t.page.getByText("Сотрудник создан.").waitFor();
    expect(await textOf(t.page, 'tr[data-staff="kassir5"]')).toContain("Новикова Мария Сергеевна кассир vl-100let");

    expect(await textOf(t.page, 'tr[data-staff="kassir8"]')).toContain("заблокирован до");
    await screenshot(t.page, "12-admin");
    await t.page.locator('tr[data-staff="kassir8"]').getByRole("button", { name: "Разблокировать" }).click();
    await t.page.getByText("Вход разблокирован.").waitFor();
    expect(await textOf(t.page, 'tr[data-staff="kassir8"]')).not.toContain("заблокирован");
    expect(await t.hub.hub.db.auditEntry.count({ where: { action: "staff.unlock", target: "staff:kassir8", actor: "admin" } })).toBe(1);

    // The new cashier signs in and works.
    const fresh = await t.browser.newContext();
    const freshPage = await fresh.newPage();
    await signInAs(freshPage, t.hub, "kassir5", "/cash", "new-cashier-password");
    await openShift(freshPage, t.hub, "100");
    await takePayment(freshPage, t.hub, "100082", "10");
    expect(await textOf(freshPage, ".receipt")).toContain("Кассир Новикова Мария Сергеевна");
    await fresh.close();
  });
});
