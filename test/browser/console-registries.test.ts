import { writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bank, bankPayment } from "../support/bank-client.ts";
import { expectLedgerConsistent, waitUntilAllCredited } from "../support/test-hub.ts";
import { browserSuite, PageClient, screenshot, signInAs, textOf } from "./desk-browser.ts";

// «Реестры» in a real browser: a supervisor uploads Sberbank's registry (cp1251, as the bank sends it) with the
// upload form, sees each class counted, records the payment the hub never heard of from its line (credited once),
// and closes an amount mismatch with a note; the audit keeps both. A cashier is refused.

const t = browserSuite();
const moscowDay = () => new Date(Date.now() + 3 * 3_600_000).toISOString().slice(0, 10);

/** cp1251 bytes of the text: ASCII as is, Cyrillic by its code page position. */
function cp1251(text: string): Buffer {
  return Buffer.from(
    [...text].map((char) => {
      const code = char.codePointAt(0)!;
      if (code < 0x80) return code;
      if (code >= 0x410 && code <= 0x44f) return code - 0x410 + 0xc0;
      if (code === 0x401) return 0xa8;
      if (code === 0x451) return 0xb8;
      throw new Error(`no cp1251 byte for ${char}`);
    }),
  );
}

describe("the registries page", () => {
  it("a supervisor uploads a registry, sees its classes, records a missing payment from its line and resolves a mismatch with a note", async () => {
    expect((await bank(t.hub.url, "sberbank", bankPayment("5100090001", "100080", "1200.00"))).elements.CODE).toBe("0");
    expect((await bank(t.hub.url, "sberbank", bankPayment("5100090002", "100082", "100.00"))).elements.CODE).toBe("0");
    await waitUntilAllCredited(t.hub);
    const day = moscowDay();
    const dmy = `${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}`;
    const lines = [
      `${dmy};09:14:05;8635;9001;5100090001;100080;Ким А.С.;г. Владивосток;1200.00;12.00`,
      `${dmy};10:20:00;8635;9001;5100090002;100082;Сидоров А.П.;;150.00;1.50`,
      `${dmy};12:40:17;8635;0104;5100090003;100081;Петрова М.С.;г. Уссурийск;350.50;3.51`,
      `=3;1700.50;17.01;1683.49;2291;${dmy}`,
    ];
    const dir = await mkdtemp(path.join(tmpdir(), "payhub-registry-page-"));
    const file = path.join(dir, `2540000000_40702810000000000001_${day.slice(8, 10)}${day.slice(5, 7)}${day.slice(2, 4)}_001.txt`);
    await writeFile(file, cp1251(`${lines.join("\r\n")}\r\n`));

    await signInAs(t.page, t.hub, "starshiy", "/console");
    await t.page.getByRole("link", { name: "Реестры" }).click();
    await t.page.getByLabel("Канал").selectOption("bank:sberbank");
    await t.page.getByLabel("Файл реестра").setInputFiles(file);
    await t.page.getByRole("button", { name: "Загрузить и сверить" }).click();
    await t.page.locator("[data-import-result]").waitFor();
    expect(await textOf(t.page, "[data-import-result] .notice")).toContain("принят: bank:sberbank");
    expect(await textOf(t.page, '[data-import-result] tr[data-class="matched"]')).toMatch(/сверено\s+1\s+1200\.00/);
    expect(await textOf(t.page, '[data-import-result] tr[data-class="missing_in_hub"]')).toMatch(/нет в payhub\s+1\s+350\.50/);
    expect(await textOf(t.page, '[data-import-result] tr[data-class="amount_mismatch"]')).toMatch(/сумма отличается\s+1\s+150\.00/);
    await screenshot(t.page, "console-registries");

    const missing = t.page.locator('[data-class="missing_in_hub"][data-item]');
    expect(await missing.innerText()).toContain("5100090003");
    await missing.getByRole("button", { name: "Записать платёж по строке" }).click();
    await t.page.waitForURL(/ok=recorded/);
    await waitUntilAllCredited(t.hub);
    expect((await t.hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100081" } })).balanceKopecks).toBe(35_050n);

    const mismatch = t.page.locator('[data-class="amount_mismatch"][data-item]');
    expect(await mismatch.innerText()).toContain("150.00 (в payhub: 100.00)");
    await mismatch.getByLabel(/Что проверено и сделано/).fill("Сбербанк подтвердил 100.00, исправит реестр");
    await mismatch.getByRole("button", { name: "Закрыть с комментарием" }).click();
    await t.page.waitForURL(/ok=registry-resolved/);
    expect(await textOf(t.page, ".notice")).toBe("Расхождение закрыто.");
    expect(await t.page.locator('[data-class="amount_mismatch"][data-item]').count()).toBe(0);

    const audit = await t.hub.hub.db.auditEntry.findMany({ where: { action: { startsWith: "registry." } }, orderBy: { id: "asc" } });
    expect(audit.map((entry) => [entry.action, entry.actor])).toEqual([
      ["registry.import", "starshiy"],
      ["registry.record-payment", "starshiy"],
      ["registry.resolve-line", "starshiy"],
    ]);
    const stored = await t.hub.hub.db.registryLine.findFirstOrThrow({ where: { externalId: "5100090003" } });
    expect(stored.payer).toBe("Петрова М.С.");

    const kassir1 = await PageClient.signIn(t.hub, "kassir1");
    expect((await kassir1.get("/console/registries")).status).toBe(403);
    await expectLedgerConsistent(t.hub);
  });
});
