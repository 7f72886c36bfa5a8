import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectedSha1Hash } from "../../adapters/yoomoney/verify.ts";
import { ALL_CHANNELS } from "../../src/channels/index.ts";
import { ensureLedgerAccounts } from "../../src/ledger/ledger-accounts.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { expectLedgerConsistent, waitFor, waitUntilAllCredited } from "../support/test-hub.ts";
import { browserSuite, PageClient, screenshot, signInAs, textOf } from "./desk-browser.ts";

// The operator console in a real browser: supervisors and admins find payments by any identifier, read a payment's
// whole story, move a mis-sent payment to the right account (maker-checker, with the payer's receipt), assign
// suspense, and replay failed credits. Demo: starshiy (supervisor, vl-lugovaya), admin, kassir1 (cashier).

const YOOMONEY_SECRET = "console-yoomoney-secret";
// One credit attempt, so that a payment whose credit cannot balance is marked failed at once.
const t = browserSuite({ CREDIT_ATTEMPTS: "1", YOOMONEY_NOTIFICATION_SECRET: YOOMONEY_SECRET });

// A 2×2 PNG: the payer's receipt as a phone photo would be, only smaller.
const RECEIPT_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
  "base64",
);

const balance = async (number: string) => (await t.hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } })).balanceKopecks;

describe("the operator console", () => {
  it("a cashier is refused the console, and is not offered it", async () => {
    const kassir1 = await PageClient.signIn(t.hub, "kassir1");
    for (const path of ["/console", "/console/failed", "/console/health", "/console/transfers", "/console/suspense", "/console/payments/1"]) {
      const answer = await kassir1.get(path);
      expect(answer.status, path).toBe(403);
      expect(answer.text).toContain("Нет доступа");
    }
    expect((await kassir1.post("/console/payments/1/retry", {})).status).toBe(403);
    await signInAs(t.page, t.hub, "kassir1");
    expect(await t.page.getByRole("link", { name: "Операторская" }).count()).toBe(0);
  });

  it("a failed credit is shown with its reason on the failures page, and its replay button credits it once; a failed billing notification is replayed", async () => {
    // The channel's clearing account is missing, so the credit cannot balance: failed after the one attempt.
    await t.hub.hub.db.ledgerAccount.delete({ where: { code: "clearing:osmp:epos" } });
    const answer = await osmp(t.hub.url, payParams(4201, "100083", "250.00"), { profile: "epos" });
    expect(answer.result).toBe(0);
    const paymentId = BigInt(answer.prvTxn!);
    await waitFor("the payment to fail", async () => (await t.hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { id: paymentId } })).status === "failed");
    const before = await balance("100083");

    await signInAs(t.page, t.hub, "starshiy", "/console/failed");
    const line = t.page.locator(`tr[data-payment="${paymentId}"]`);
    expect(await textOf(t.page, `tr[data-payment="${paymentId}"]`)).toMatch(/osmp:epos 4201 100083 250,00 ₽ ошибка зачисления .*unbalanced/);
    await t.page.goto(`${t.hub.url}/console/health`);
    expect(await textOf(t.page, 'tr[data-figure="credit-failed"]')).toBe("Зачисления со сбоем 1");
    await screenshot(t.page, "console-health");
    await t.page.goto(`${t.hub.url}/console/failed`);
    await screenshot(t.page, "console-failed");

    // The cause fixed, the replay credits it.
    await ensureLedgerAccounts(t.hub.hub.db, ALL_CHANNELS);
    await line.getByRole("button", { name: "Повторить зачисление" }).click();
    await t.page.getByText("Платёж отправлен на повторное зачисление.").waitFor();
    await waitUntilAllCredited(t.hub);
    expect(await balance("100083")).toBe(before + 25000n);
    const retried = await t.hub.hub.db.auditEntry.findFirstOrThrow({ where: { action: "payment.retry" } });
    expect(retried).toMatchObject({ actor: "starshiy", target: `payment:${paymentId}` });
    await t.page.goto(`${t.hub.url}/console/payments/${paymentId}`);
    expect(await textOf(t.page, "dd[data-status]")).toBe("зачислен");
    await expectLedgerConsistent(t.hub);

    // Its billing notification, as the billing worker leaves it when the retries ran out, is replayed from the page.
    const notification = await t.hub.hub.db.billingNotification.findFirstOrThrow({ where: { posting: { creditOfPaymentId: paymentId } } });
    await t.hub.hub.db.billingNotification.update({ where: { id: notification.id }, data: { failedAt: new Date(), attempts: 12, lastError: "billing answered 503" } });
    await t.page.goto(`${t.hub.url}/console/failed`);
    expect(await textOf(t.page, `tr[data-billing="${notification.id}"]`)).toContain(`${paymentId} ${notification.postingId} payment-credit 12`);
    await t.page.locator(`tr[data-billing="${notification.id}"]`).getByRole("button", { name: "Отправить заново" }).click();
    await t.page.getByText("Уведомление биллингу отправлено заново.").waitFor();
    expect((await t.hub.hub.db.billingNotification.findUniqueOrThrow({ where: { id: notification.id } })).failedAt).toBeNull();
    expect(await t.hub.hub.db.auditEntry.count({ where: { action: "billing.replay", actor: "starshiy" } })).toBe(1);
  });

  it("a payment sent to the wrong account is found by its external id, a transfer is filed with the receipt, another user approves it, both balances move, and its reversal moves them back", async () => {
    const answer = await osmp(t.hub.url, payParams(77001, "100081", "700.00"));
    expect(answer.result).toBe(0);
    await waitUntilAllCredited(t.hub);
    const paymentId = BigInt(answer.prvTxn!);
    const [wrongBefore, rightBefore] = [await balance("100081"), await balance("100080")];

    // The supervisor finds it by the terminal's transaction number and opens its story.
    await signInAs(t.page, t.hub, "starshiy", "/console");
    await t.page.getByLabel("Номер платежа, внешний номер (любой канал), лицевой счёт или номер запроса").fill("77001");
    await t.page.getByRole("button", { name: "Найти платежи" }).click();
    expect(await textOf(t.page, `tr[data-payment="${paymentId}"]`)).toMatch(new RegExp(`^${paymentId} osmp:qiwi 77001 100081 700,00 ₽ зачислен \\d\\d\\.\\d\\d\\.\\d{4}, \\d\\d:\\d\\d$`));
    await screenshot(t.page, "console-search");
    // By the account, the day (Vladivostok) and the sum, as the payer's receipt shows them.
    const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Vladivostok" }).format(new Date());
    await t.page.goto(`${t.hub.url}/console?q=100081&date=${day}&amount=${encodeURIComponent("700,00")}`);
    expect(await t.page.locator("table.payments tbody tr").count()).toBe(1);
    await t.page.goto(`${t.hub.url}/console?q=100081&date=${day}&amount=701`);
    expect(await t.page.getByText("Платежей не найдено.").count()).toBe(1);
    await t.page.goto(`${t.hub.url}/console?q=77001`);
    await t.page.locator(`tr[data-payment="${paymentId}"]`).getByRole("link", { name: String(paymentId) }).click();
    await t.page.waitForURL(new RegExp(`/console/payments/${paymentId}$`));
    expect(await textOf(t.page, "pre[data-request]")).toContain('"txn_id": "77001"');
    expect(await textOf(t.page, "pre[data-response]")).toContain("<result>0</result>");
    expect(await textOf(t.page, "table.postings")).toMatch(/subscriber:100081 700,00 ₽/);
    expect(await textOf(t.page, "dd[data-request-id]")).not.toBe("—");

    // The transfer request with the payer's receipt.
    const dir = await mkdtemp(join(tmpdir(), "payhub-receipt-"));
    await writeFile(join(dir, "чек.png"), RECEIPT_PNG);
    await t.page.getByLabel("Правильный лицевой счёт").fill("100080");
    expect(await t.page.getByLabel("Сумма переноса, ₽").inputValue()).toBe("700,00");
    await t.page.getByLabel("Причина (что показывает квитанция плательщика)").fill("Плательщик ошибся цифрой: квитанция на 100080");
    await t.page.getByLabel(/Квитанция или снимок экрана/).setInputFiles(join(dir, "чек.png"));
    await screenshot(t.page, "console-payment");
    await t.page.getByRole("button", { name: "Подать заявку на перенос" }).click();
    await t.page.waitForURL(/\/console\/transfers\/\d+\?ok=filed$/);
    const transferId = Number(new URL(t.page.url()).pathname.split("/").pop());
    expect(await textOf(t.page, "dd[data-status]")).toBe("ждёт решения");
    expect(await t.page.getByRole("button", { name: "Провести перенос" }).count()).toBe(0);
    expect(await balance("100081")).toBe(wrongBefore);

    // An admin approves it: the receipt is shown, 100081 holds enough, so no "go negative" box.
    const admin = await t.browser.newContext({ locale: "ru-RU", viewport: { width: 1280, height: 900 } });
    const adminPage = await admin.newPage();
    await signInAs(adminPage, t.hub, "admin", "/console/transfers");
    expect(await textOf(adminPage, `tr[data-transfer="${transferId}"]`)).toContain("100081 → 100080 700,00 ₽ ждёт решения");
    await screenshot(adminPage, "console-transfers");
    await adminPage.locator(`tr[data-transfer="${transferId}"]`).getByRole("link", { name: `№ ${transferId}` }).click();
    const image = adminPage.locator("img.evidence");
    await image.waitFor();
    expect(await image.evaluate((element) => { const img = element as unknown as { complete: boolean; naturalWidth: number }; return img.complete && img.naturalWidth; })).toBe(2);
    const download = await fetch(`${t.hub.url}/console/transfers/${transferId}/evidence/${(await t.hub.hub.db.transferEvidence.findFirstOrThrow({ where: { transferRequestId: transferId } })).id}`, {
      headers: { cookie: (await admin.cookies()).map((cookie) => `${cookie.name}=${cookie.value}`).join("; ") },
    });
    expect(download.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await download.arrayBuffer()).equals(RECEIPT_PNG)).toBe(true);
    expect(await adminPage.getByLabel("разрешить уход в минус").count()).toBe(0);
    expect(await textOf(adminPage, "dl[data-transfer-facts]")).toContain("Подал Старшая Светлана Петровна");
    await screenshot(adminPage, "console-transfer");
    await adminPage.getByRole("button", { name: "Провести перенос" }).click();
    await adminPage.getByText("Перенос проведён: деньги на правильном счёте.").waitFor();
    expect(await textOf(adminPage, "dd[data-status]")).toBe("проведён");
    await admin.close();

    // The story shows the transfer, and the balances moved.
    expect(await balance("100081")).toBe(wrongBefore - 70000n);
    expect(await balance("100080")).toBe(rightBefore + 70000n);
    await t.page.goto(`${t.hub.url}/console/payments/${paymentId}`);
    expect(await textOf(t.page, `tr[data-transfer="${transferId}"]`)).toMatch(/100081 → 100080 700,00 ₽ проведён/);
    expect(await textOf(t.page, "table.postings")).toMatch(/subscriber:100081 −700,00 ₽ subscriber:100080 700,00 ₽/);
    expect(await textOf(t.page, "p[data-left]")).toContain("Можно перенести ещё 0,00 ₽");
    await screenshot(t.page, "console-payment-story");
    await expectLedgerConsistent(t.hub);

    // Reversed as a unit (any supervisor, with a reason): the money goes back, the payment may be transferred again.
    await t.page.goto(`${t.hub.url}/console/transfers/${transferId}`);
    await t.page.getByLabel("Почему отменить").fill("Плательщик отозвал заявление");
    await t.page.getByRole("button", { name: "Отменить перенос" }).click();
    await t.page.getByText("Перенос отменён обратной проводкой.").waitFor();
    expect(await textOf(t.page, "dd[data-status]")).toBe("отменён");
    expect([await balance("100081"), await balance("100080")]).toEqual([wrongBefore, rightBefore]);
    await expectLedgerConsistent(t.hub);
  });

  it("a YooMoney payment to an account that does not exist waits in suspense with a suggestion, and a supervisor assigns it", async () => {
    const secret = YOOMONEY_SECRET;
    const signed = { notification_type: "p2p-incoming", operation_id: "ym-console-1", amount: "320.00", currency: "643", datetime: "2026-11-24T09:00:00.000+10:00", sender: "41001000099", codepro: "false", label: "100008" };
    const body = new URLSearchParams({ ...signed, test_notification: "false", unaccepted: "false", sha1_hash: expectedSha1Hash(signed, secret) });
    expect((await fetch(`${t.hub.url}/webhooks/yoomoney`, { method: "POST", body })).status).toBe(200);
    await waitUntilAllCredited(t.hub);
    const item = await t.hub.hub.db.suspenseItem.findFirstOrThrow({ where: { payment: { externalId: "ym-console-1" } } });
    const before = await balance("100080");

    await signInAs(t.page, t.hub, "starshiy", "/console/suspense");
    const box = t.page.locator(`section[data-item="${item.id}"]`);
    expect(await textOf(t.page, `section[data-item="${item.id}"] h2`)).toBe(`№ ${item.id}: 320,00 ₽ на «100008»`);
    expect(await textOf(t.page, `section[data-item="${item.id}"] tr[data-suggestion="100080"]`)).toContain("соседние цифры переставлены");
    await box.getByLabel("Разнести на лицевой счёт").fill("100080");
    await box.getByLabel("Примечание: почему этот счёт").fill("Переставлены цифры, плательщик подтвердил по телефону");
    await screenshot(t.page, "console-suspense");
    await box.getByRole("button", { name: "Разнести" }).click();
    await t.page.getByText("Платёж разнесён на счёт.").waitFor();
    expect(await textOf(t.page, `table.assigned tr[data-item="${item.id}"]`)).toContain("100008 320,00 ₽ 100080 starshiy");
    expect(await balance("100080")).toBe(before + 32000n);
    await t.page.goto(`${t.hub.url}/console/payments/${item.paymentId}`);
    expect(await textOf(t.page, "dl[data-suspense]")).toContain("Разнесён на счёт 100080");
    await expectLedgerConsistent(t.hub);
  });

  it("a transfer request without a real receipt or without the form's CSRF token is refused with a clear page and files nothing; a rejection moves nothing", async () => {
    const answer = await osmp(t.hub.url, payParams(77002, "100082", "150.00"));
    await waitUntilAllCredited(t.hub);
    const paymentId = answer.prvTxn!;
    const [starshiy, admin] = await Promise.all([PageClient.signIn(t.hub, "starshiy"), PageClient.signIn(t.hub, "admin")]);
    const file = (client: PageClient, evidence: Blob | undefined, fields: Record<string, string> = {}) => {
      const form = new FormData();
      for (const [name, value] of Object.entries({ _csrf: client.csrf, toAccount: "100080", amount: "150", reason: "Квитанция на 100080", ...fields })) form.set(name, value);
      if (evidence) form.set("evidence", evidence, "квитанция.png");
      return fetch(`${t.hub.url}/console/payments/${paymentId}/transfers`, { method: "POST", redirect: "manual", headers: { cookie: client.cookie }, body: form });
    };
    const fake = await file(starshiy, new Blob(["это не картинка"], { type: "image/png" }));
    expect(fake.status).toBe(400);
    const fakePage = await fake.text();
    expect(fakePage).toContain("Файл подтверждения должен быть изображением PNG или JPEG или документом PDF");
    expect(fakePage).toContain('value="100080"');
    expect(await (await file(starshiy, undefined)).text()).toContain("Приложите квитанцию или снимок экрана плательщика");
    const forged = await file(starshiy, new Blob([RECEIPT_PNG], { type: "image/png" }), { _csrf: "forged" });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("Форма устарела");
    expect(await t.hub.hub.db.transferRequest.count({ where: { paymentId: BigInt(paymentId) } })).toBe(0);

    // Filed properly, then rejected by another supervisor: nothing moves.
    const filed = await file(starshiy, new Blob([RECEIPT_PNG], { type: "image/png" }));
    expect(filed.status).toBe(303);
    const transferPath = filed.headers.get("location")!.replace("?ok=filed", "");
    const before = await balance("100082");
    expect((await starshiy.post(`${transferPath}/approve`, {})).text).toContain("Вы подали эту заявку");
    expect((await admin.post(`${transferPath}/reject`, { note: "" })).text).toContain("Укажите, почему заявка отклонена.");
    expect((await admin.post(`${transferPath}/reject`, { note: "Квитанция другого плательщика" })).status).toBe(303);
    const rejected = await admin.get(transferPath);
    expect(rejected.text).toContain("отклонён");
    expect(rejected.text).not.toContain("Провести перенос");
    expect(await balance("100082")).toBe(before);
  });
});
