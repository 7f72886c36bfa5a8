import { describe, expect, it } from "vitest";
import { expectedSha1Hash } from "../../adapters/yoomoney/verify.ts";
import { expectLedgerConsistent } from "../support/test-hub.ts";
import { browserSuite, PageClient, screenshot, signInAs, textOf } from "./desk-browser.ts";

// Инциденты приёма in a real browser: money a provider says it moved that payhub did not take (here a YooMoney transfer
// above the channel's limit) is on the console with the request as received and what to do; a supervisor closes it
// with a note, which the audit log keeps; a cashier is refused; /metrics counts what is open.

const SECRET = "ym-incidents-secret";
const t = browserSuite({ YOOMONEY_NOTIFICATION_SECRET: SECRET, YOOMONEY_MAX_SUM: "5000.00" });

async function yoomoney(operationId: string, label: string, amount: string): Promise<number> {
  const signed = { notification_type: "p2p-incoming", operation_id: operationId, amount, currency: "643", datetime: "2026-12-03T09:00:00.000+10:00", sender: "41001000099", codepro: "false", label };
  const body = new URLSearchParams({ ...signed, test_notification: "false", unaccepted: "false", sha1_hash: expectedSha1Hash(signed, SECRET) });
  return (await fetch(`${t.hub.url}/webhooks/yoomoney`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body })).status;
}

const openIncidentsMetric = async () => {
  const text = await (await fetch(`${t.hub.url}/metrics`)).text();
  return Number(/^payhub_intake_incidents_open\{kind="out-of-limits"\} ([0-9]+)$/m.exec(text)?.[1]);
};

describe("the intake incidents page", () => {
  it("a supervisor sees a transfer refused above the limit with its request, closes it with a note, and the audit keeps the note; a cashier is refused", async () => {
    expect(await openIncidentsMetric()).toBe(0);
    expect(await yoomoney("ym-incident-1", "100081", "7500.00")).toBe(422);
    expect(await openIncidentsMetric()).toBe(1);

    await signInAs(t.page, t.hub, "starshiy", "/console");
    await t.page.getByRole("link", { name: "Инциденты" }).click();
    const box = t.page.locator("[data-incident]").first();
    expect(await box.locator("h2").innerText()).toMatch(/^№ \d+: сумма вне лимита$/);
    expect(await box.innerText()).toContain("yoomoney ym-incident-1");
    expect(await box.innerText()).toContain("Деньги у провайдера, но сумма вне лимитов канала");
    await box.getByText("Запрос, как он пришёл").click();
    const request = JSON.parse(await box.locator("pre.raw").innerText()) as Record<string, string>;
    expect(request).toMatchObject({ operation_id: "ym-incident-1", amount: "7500.00", label: "100081" });
    expect(request.sha1_hash).toBeUndefined();
    await screenshot(t.page, "console-incidents");

    await box.getByLabel(/Что сделано/).fill("Плательщик получил возврат через ЮMoney, зачислять нечего");
    await box.getByRole("button", { name: "Закрыть инцидент" }).click();
    await t.page.waitForURL(/ok=resolved/);
    expect(await textOf(t.page, ".notice")).toBe("Инцидент закрыт.");
    expect(await t.page.getByText("Открытых инцидентов нет.").count()).toBe(1);
    expect(await textOf(t.page, "table.incidents tbody tr")).toContain("Плательщик получил возврат через ЮMoney");
    expect(await openIncidentsMetric()).toBe(0);
    const audit = await t.hub.hub.db.auditEntry.findFirstOrThrow({ where: { action: "incident.resolve" } });
    expect(audit).toMatchObject({ actor: "starshiy", reason: "Плательщик получил возврат через ЮMoney, зачислять нечего" });

    const kassir1 = await PageClient.signIn(t.hub, "kassir1");
    expect((await kassir1.get("/console/incidents")).status).toBe(403);
    await expectLedgerConsistent(t.hub);
  });
});
