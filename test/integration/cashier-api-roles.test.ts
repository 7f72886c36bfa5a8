import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authApi } from "../../src/api/auth-routes.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";
import { AUTOMATION_TOKEN, expectDocumented, staffApi } from "./cashier-api-client.ts";

// Who may do what through the staff API. Demo staff: admin, starshiy (supervisor, vl-lugovaya), kassir1 (cashier,
// vl-lugovaya), kassir2 (cashier, us-nekrasova). Three wrong passwords lock a login in this hub.

const LOCKOUT_ATTEMPTS = 3;

let hub: TestHub;
let api: ReturnType<typeof staffApi>;
let kassir1: string;
let kassir2: string;
let starshiy: string;

beforeAll(async () => {
  hub = await startTestHub({ STAFF_LOCKOUT_ATTEMPTS: String(LOCKOUT_ATTEMPTS) });
  api = staffApi(hub);
  [kassir1, kassir2, starshiy] = await Promise.all([api.signIn("kassir1"), api.signIn("kassir2"), api.signIn("starshiy")]);
});
afterAll(async () => {
  await hub?.stop();
});

describe("signing in for a token", () => {
  it("when the password is right, then 201 with the token and who signed in, and the token opens the cash desk API", async () => {
    const answer = await api.call("POST", "/api/auth/tokens", undefined, { login: "KASSIR1", password: hub.config.staff.demoPassword });
    expect(answer.status).toBe(201);
    expectDocumented(authApi.routes.signIn, 201, answer.json);
    expect(answer.json!.staff).toEqual({ login: "kassir1", fullName: "Кассирова Анна Игоревна", role: "cashier", office: "vl-lugovaya" });
    const desks = await api.expectStatus(200, "GET", "/api/cashier/desks", answer.json!.token);
    expect(desks.desks.map((desk: { code: string }) => desk.code)).toEqual(["vl-lugovaya-1", "vl-lugovaya-2"]);
  });

  it("when the password is wrong or the login unknown, then 401 bad_credentials", async () => {
    expect(await api.call("POST", "/api/auth/tokens", undefined, { login: "kassir2", password: "wrong-password-1" })).toMatchObject({ status: 401, json: { error: "bad_credentials" } });
    expect(await api.call("POST", "/api/auth/tokens", undefined, { login: "nobody", password: "wrong-password-1" })).toMatchObject({ status: 401, json: { error: "bad_credentials" } });
    // kassir2's one wrong password is forgotten by its next right one.
    await api.signIn("kassir2");
  });

  it(`when ${LOCKOUT_ATTEMPTS} wrong passwords come in a row, then 423 until an admin unlocks, the right password too, and every attempt is audited`, async () => {
    await api.expectStatus(201, "POST", "/api/staff", AUTOMATION_TOKEN, { login: "kassir9", fullName: "Забывчивый Олег", role: "cashier", office: "vl-100let", password: "right-password-9" });
    const attempt = (password: string) => api.call("POST", "/api/auth/tokens", undefined, { login: "kassir9", password });
    for (let i = 1; i < LOCKOUT_ATTEMPTS; i += 1) expect((await attempt(`wrong-password-${i}`)).status).toBe(401);
    const locked = await attempt("wrong-password-last");
    expect(locked).toMatchObject({ status: 423, json: { error: "locked", lockedUntil: expect.stringMatching(/^\d{4}-/) } });
    expectDocumented(authApi.routes.signIn, 423, locked.json);
    expect((await attempt("right-password-9")).status).toBe(423);

    const audit = await api.expectStatus(200, "GET", "/api/audit?staff=kassir9&action=sign-in", starshiy);
    expect(audit.entries.map((entry: { action: string }) => entry.action)).toEqual([
      "sign-in.refused-locked",
      "sign-in.locked-out",
      ...Array<string>(LOCKOUT_ATTEMPTS - 1).fill("sign-in.failed"),
    ]);
    expect(JSON.stringify(audit)).not.toContain("wrong-password");
    const listed = await api.expectStatus(200, "GET", "/api/staff", AUTOMATION_TOKEN);
    expect(listed.staff.find((member: { login: string }) => member.login === "kassir9")).toMatchObject({ lockedUntil: locked.json!.lockedUntil });
    expect(JSON.stringify(listed)).not.toMatch(/password|scrypt/i);

    await api.expectStatus(200, "POST", "/api/staff/kassir9/unlock", AUTOMATION_TOKEN);
    await api.signIn("kassir9", "right-password-9");
  });

  it("when a token is revoked, then it answers 401, and the others still work", async () => {
    const token = await api.signIn("kassir2");
    await api.expectStatus(200, "GET", "/api/cashier/desks", token);
    expect((await api.call("DELETE", "/api/auth/tokens/current", token)).status).toBe(204);
    expect(await api.call("GET", "/api/cashier/desks", token)).toMatchObject({ status: 401, json: { error: "unauthorized" } });
    expect((await api.call("DELETE", "/api/auth/tokens/current", token)).status).toBe(401);
    await api.expectStatus(200, "GET", "/api/cashier/desks", kassir2);
  });

  it("when a request carries no token, then the cash desk API answers 401", async () => {
    for (const [method, path] of [["GET", "/api/cashier/desks"], ["POST", "/api/cashier/shifts"], ["GET", "/api/cashier/shifts/1"], ["DELETE", "/api/auth/tokens/current"]] as const) {
      expect({ path, status: (await api.call(method, path)).status }).toEqual({ path, status: 401 });
    }
  });
});

describe("roles and offices", () => {
  it("a cashier cannot open a shift in another office, manage staff, read the audit log or use the operators' API", async () => {
    await api.expectStatus(403, "POST", "/api/cashier/shifts", kassir1, { desk: "us-nekrasova-1", openingCash: "0" });
    await api.expectStatus(403, "GET", "/api/staff", kassir1);
    await api.expectStatus(403, "POST", "/api/staff", kassir1, { login: "hacker", fullName: "Хакер Хакер", role: "admin", password: "0123456789ab" });
    await api.expectStatus(403, "GET", "/api/audit", kassir1);
    await api.expectStatus(403, "GET", "/api/payments", kassir1);
    await api.expectStatus(403, "GET", "/api/accounts/100080", kassir1);
  });

  it("the automation token cannot open a shift: 403 staff_only", async () => {
    expect(await api.call("POST", "/api/cashier/shifts", AUTOMATION_TOKEN, { desk: "vl-lugovaya-2", openingCash: "100.00" })).toMatchObject({ status: 403, json: { error: "staff_only" } });
  });

  it("a payment of a closed shift: the cashier cannot storno it, the office's supervisor can, with a compensating posting; the other office cannot see the Z-report", async () => {
    const desk = api.desk(kassir1);
    const shiftId = await desk.open("vl-lugovaya-1", "1000.00");
    const paymentId = await desk.pay(shiftId, "100080", "300.00");
    await waitUntilAllCredited(hub);
    await desk.close(shiftId, "1300.00");
    const balance = async () => (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100080" } })).balanceKopecks;
    const creditPosting = () => hub.hub.db.posting.findUniqueOrThrow({ where: { creditOfPaymentId: BigInt(paymentId) }, include: { entries: { orderBy: { id: "asc" } } } });
    const [balanceBefore, postingBefore] = [await balance(), await creditPosting()];

    await api.expectStatus(403, "GET", `/api/cashier/shifts/${shiftId}`, kassir2);
    await api.expectStatus(403, "POST", `/api/cashier/payments/${paymentId}/storno`, kassir2, { reason: "чужой офис" });
    expect(await api.call("POST", `/api/cashier/payments/${paymentId}/storno`, kassir1, { reason: "плательщик передумал" })).toMatchObject({ status: 403, json: { error: "supervisor_required" } });
    const storno = await api.expectStatus(200, "POST", `/api/cashier/payments/${paymentId}/storno`, starshiy, { reason: "плательщик передумал" });
    expect(storno).toEqual({ paymentId, shiftId, amount: "300.00", afterClose: true });
    await api.expectStatus(409, "POST", `/api/cashier/payments/${paymentId}/storno`, starshiy, { reason: "ещё раз" });

    expect(await balance()).toBe(balanceBefore - 30000n);
    expect(await creditPosting()).toEqual(postingBefore);
    const compensating = await hub.hub.db.posting.findMany({ where: { paymentId: BigInt(paymentId), creditOfPaymentId: null }, include: { entries: { include: { ledgerAccount: true } } } });
    expect(compensating).toHaveLength(1);
    expect(compensating[0]!.entries.map((entry) => [entry.ledgerAccount.code, entry.amountKopecks]).sort()).toEqual([
      ["cash:vl-lugovaya-1", 30000n],
      ["subscriber:100080", -30000n],
    ]);
    const report = await api.expectStatus(200, "GET", `/api/cashier/shifts/${shiftId}`, starshiy);
    expect(report).toMatchObject({ expectedCash: "1300.00", countedCash: "1300.00", difference: "0.00", stornoAfterClose: { count: 1, sum: "300.00" }, storno: { count: 0 } });
    await expectLedgerConsistent(hub);
  });
});
