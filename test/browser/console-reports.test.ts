import { describe, expect, it } from "vitest";
import { officeToday } from "../../src/calendar/office-day.ts";
import { previousMonth } from "../../src/reports/period.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { waitUntilAllCredited } from "../support/test-hub.ts";
import { browserSuite, PageClient, screenshot, signInAs, textOf } from "./desk-browser.ts";

// Сверка in a real browser: a supervisor opens the month-end reconciliation from the console's navigation, picks a
// period, reads the figures per channel, sees that nothing is out and downloads the CSV; a cashier is refused.

const t = browserSuite();

describe("the reconciliation page", () => {
  it("a supervisor reads the period's figures, no discrepancy and downloads the CSV; a cashier is refused", async () => {
    expect((await osmp(t.hub.url, payParams(93001, "100081", "1500.50"))).result).toBe(0);
    await waitUntilAllCredited(t.hub);

    await signInAs(t.page, t.hub, "starshiy", "/console");
    await t.page.getByRole("link", { name: "Сверка" }).click();
    const month = previousMonth();
    expect([await t.page.getByLabel("С", { exact: true }).inputValue(), await t.page.getByLabel("по", { exact: true }).inputValue()]).toEqual([month.from, month.to]);

    const today = officeToday();
    await t.page.getByLabel("С", { exact: true }).fill(today);
    await t.page.getByLabel("по", { exact: true }).fill(today);
    await t.page.getByRole("button", { name: "Показать" }).click();
    await t.page.waitForURL(/from=/);
    expect(await textOf(t.page, 'tr[data-channel="osmp:qiwi"]')).toBe("osmp:qiwi 1 1 500,50 ₽ 0,00 ₽ 1 500,50 ₽ 1 1 500,50 ₽ 0 0,00 ₽ 1 500,50 ₽ 0 0,00 ₽");
    expect(await textOf(t.page, "[data-discrepancies]")).toBe("Расхождений нет.");
    expect(await textOf(t.page, 'tr[data-ledger="clearing:osmp:qiwi"]')).toBe("clearing:osmp:qiwi −1 500,50 ₽ −1 500,50 ₽ 0,00 ₽");
    await screenshot(t.page, "console-reports");

    const csv = await t.context.request.get(`${t.hub.url}${await t.page.locator("[data-csv]").getAttribute("href")}`);
    expect(csv.headers()["content-type"]).toBe("text/csv; charset=utf-8");
    const text = (await csv.body()).toString("utf8");
    expect(text.startsWith("\uFEFFКанал;")).toBe(true);
    expect(text).toContain("\r\nosmp:qiwi;1;1500,50;0,00;1500,50;1;1500,50;0;0,00;1500,50;0;0,00\r\n");

    const kassir1 = await PageClient.signIn(t.hub, "kassir1");
    expect((await kassir1.get("/console/reports")).status).toBe(403);
    expect((await kassir1.get(`/console/reports/reconciliation.csv?from=${today}&to=${today}`)).status).toBe(403);
  });
});
