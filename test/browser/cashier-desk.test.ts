import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestHub, waitUntilAllCredited, expectLedgerConsistent, type TestHub } from "../support/test-hub.ts";
import { launchBrowser, openShift, PageClient, screenshot, signInAs, takePayment, textOf } from "./desk-browser.ts";

// A cashier's working day in a real browser: sign in, open a shift, find the subscriber by address and name, take
// cash, print the receipt, cancel a payment, close with a shortage, read the Z-report.
// Demo: 100080 "Иванов Иван Иванович", "г. Владивосток, ул. Луговая, д. 21а, кв. 12"; kassir1 works at vl-lugovaya.

let hub: TestHub;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  [hub, browser] = await Promise.all([startTestHub(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});
beforeEach(async () => {
  context = await browser.newContext({ locale: "ru-RU", viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
});
afterEach(async () => {
  await context?.close();
});

const DATE_TIME = /\d\d\.\d\d\.\d{4}, \d\d:\d\d/;

describe("the cash desk pages", () => {
  it("a cashier signs in, opens a shift, takes and prints a payment, cancels it, and closes with a shortage the Z-report shows", async () => {
    // Signed out, the desk sends to the sign-in form and back.
    await page.goto(`${hub.url}/cash`);
    expect(new URL(page.url()).pathname).toBe("/staff/sign-in");
    expect(new URL(page.url()).searchParams.get("next")).toBe("/cash");
    await screenshot(page, "01-sign-in");
    await signInAs(page, hub, "kassir1");
    expect(new URL(page.url()).pathname).toBe("/cash");
    await expect(page.getByRole("heading", { name: "Смена не открыта" }).isVisible()).resolves.toBe(true);

    // Open a shift at desk 1 with 1 000 rubles in the drawer.
    await page.getByLabel("Касса").selectOption("vl-lugovaya-1");
    await page.getByLabel("Наличные в кассе на начало смены, ₽").fill("1000,00");
    await page.getByRole("button", { name: "Открыть смену" }).click();
    await page.getByText("Смена открыта. Можно принимать платежи.").waitFor();
    const shift = (await hub.hub.db.cashShift.findFirstOrThrow({ where: { closedAt: null, cashier: { login: "kassir1" } } })).id;
    const facts = await textOf(page, "dl.facts");
    expect(facts).toContain("Владивосток, ул. Луговая, 21а, офис 462");
    expect(facts).toContain("Касса 1 (vl-lugovaya-1)");
    expect(facts).toContain("Кассирова Анна Игоревна");
    expect(facts).toContain(`Смена № ${shift}`);
    expect(facts).toMatch(DATE_TIME);
    await screenshot(page, "02-desk");

    // Find the subscriber by address and owner's name.
    await page.getByLabel("Найти лицевой счёт").fill("Луговая 21а Иванов");
    await page.getByRole("button", { name: "Найти" }).click();
    await page.waitForURL(/\/cash\/find\?q=/);
    const found = await textOf(page, 'tr[data-account="100080"]');
    expect(found).toContain("И***в И. И.");
    expect(found).toContain("г. Владивосток, ул. Луговая, д. 21а, кв. 12");
    expect(found).toContain("действует");
    expect(await page.locator("body").innerText()).not.toContain("Иванов Иван");
    await screenshot(page, "03-search");

    // The payment form: the account, a receipt number, the amount.
    await page.locator('tr[data-account="100080"]').getByRole("link", { name: "Принять платёж" }).click();
    await page.waitForURL(/\/cash\/pay\?account=100080$/);
    expect(await textOf(page, "main")).toContain("квитанция № vl-lugovaya-1:1");
    await page.getByLabel("Сумма, ₽").fill("500");
    await screenshot(page, "04-payment-form");
    await page.getByRole("button", { name: "Принять платёж" }).click();
    await page.waitForURL(/\/cash\/receipts\/\d+$/);
    const paymentId = BigInt(new URL(page.url()).pathname.split("/").pop()!);

    // The receipt, and its printing.
    const receipt = await textOf(page, ".receipt");
    expect(receipt).toContain("Квитанция № vl-lugovaya-1:1");
    expect(receipt).toContain(`Платёж № ${paymentId}`);
    expect(receipt).toContain("Лицевой счёт 100080");
    expect(receipt).toContain("Владелец договора И***в И. И.");
    expect(receipt).toContain("Сумма 500,00 ₽");
    expect(receipt).toContain("Офис Владивосток, ул. Луговая, 21а, офис 462");
    expect(receipt).toContain("Касса Касса 1 (vl-lugovaya-1)");
    expect(receipt).toContain("Кассир Кассирова Анна Игоревна");
    expect(receipt).toMatch(new RegExp(`Дата и время ${DATE_TIME.source}`));
    expect(receipt).not.toContain("АННУЛИРОВАН");
    await screenshot(page, "05-receipt");
    await page.evaluate("window.printed = 0; window.print = () => { window.printed += 1; }");
    await page.getByRole("button", { name: "Печать" }).click();
    expect(await page.evaluate("window.printed")).toBe(1);
    await page.emulateMedia({ media: "print" });
    expect(await page.locator("header.top").isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: "Печать" }).isVisible()).toBe(false);
    await page.emulateMedia({ media: "screen" });

    // A second payment, typed with a comma, that stays.
    const kept = await takePayment(page, hub, "100080", "250,50");
    expect(await textOf(page, ".receipt")).toContain("Сумма 250,50 ₽");

    // Storno of the first payment, once it is credited (a storno compensates a credit).
    await waitUntilAllCredited(hub);
    await page.goto(`${hub.url}/cash`);
    const line = page.locator(`tr[data-payment="${paymentId}"]`);
    await line.getByPlaceholder("причина аннулирования").fill("Ошибка кассира: не тот счёт");
    await line.getByRole("button", { name: "Аннулировать" }).click();
    await page.getByText("Платёж аннулирован.").waitFor();
    const cancelledLine = await textOf(page, `tr[data-payment="${paymentId}"]`);
    expect(cancelledLine).toContain("АННУЛИРОВАН");
    expect(cancelledLine).toContain("Ошибка кассира: не тот счёт");
    expect(await page.locator(`tr[data-payment="${kept}"]`).getByRole("button", { name: "Аннулировать" }).count()).toBe(1);
    await screenshot(page, "06-storno");
    await page.goto(`${hub.url}/cash/receipts/${paymentId}`);
    expect(await textOf(page, ".receipt")).toMatch(/АННУЛИРОВАН Причина: Ошибка кассира: не тот счёт/);

    // Close: expected 1 000,00 + 750,50 − 500,00 = 1 250,50; counted 1 240,50: 10 rubles short.
    await page.goto(`${hub.url}/cash`);
    await page.getByRole("link", { name: "Закрыть смену" }).click();
    await page.waitForURL(/\/cash\/close$/);
    expect(await textOf(page, 'tr[data-figure="expected"]')).toBe("Должно быть в кассе сейчас 1 250,50 ₽");
    await page.getByLabel("Пересчитано наличных в кассе, ₽").fill("1 240,50");
    await page.getByLabel("Примечание (например, причина расхождения)").fill("не хватает 10 рублей");
    await screenshot(page, "07-close");
    await page.getByRole("button", { name: "Закрыть смену" }).click();
    await page.waitForURL(new RegExp(`/cash/shifts/${shift}\\?ok=closed$`));

    // The Z-report, every figure.
    expect(await textOf(page, "h1")).toBe(`Z-отчёт · смена № ${shift}`);
    expect(await page.getByText("Смена закрыта.").isVisible()).toBe(true);
    const figure = (key: string) => textOf(page, `tr[data-figure="${key}"]`);
    expect(await figure("opening")).toBe("Наличные на начало смены 1 000,00 ₽");
    expect(await figure("payments")).toBe("Принято платежей 2 на сумму 750,50 ₽");
    expect(await figure("storno")).toBe("Аннулировано в смене 1 на сумму 500,00 ₽");
    expect(await figure("expected")).toBe("Должно быть в кассе 1 250,50 ₽");
    expect(await figure("counted")).toBe("Пересчитано в кассе 1 240,50 ₽");
    expect(await figure("difference")).toBe("Расхождение −10,00 ₽ недостача");
    expect(await figure("note")).toBe("Примечание при закрытии не хватает 10 рублей");
    expect(await page.locator('tr[data-figure="storno-after-close"]').count()).toBe(0);
    const zFacts = await textOf(page, "dl.facts");
    expect(zFacts).toContain("Касса Касса 1 (vl-lugovaya-1)");
    expect(zFacts).toContain("Кассир Кассирова Анна Игоревна");
    expect(zFacts).toMatch(new RegExp(`Открыта ${DATE_TIME.source} Закрыта ${DATE_TIME.source} \\(Кассирова Анна Игоревна\\)`));
    expect(await page.getByText("Смена переходила через полночь").count()).toBe(0);
    expect(await page.locator("table.lines tbody tr").count()).toBe(2);
    expect(await textOf(page, `tr[data-payment="${paymentId}"]`)).toMatch(/^1 \S+, \S+ 100080 500,00 ₽ АННУЛИРОВАН Ошибка кассира: не тот счёт/);
    expect(await textOf(page, `tr[data-payment="${kept}"]`)).toMatch(/^2 \S+, \S+ 100080 250,50 ₽ зачислен$/);
    // A cashier cannot cancel on a closed shift: no storno buttons are offered.
    expect(await page.getByRole("button", { name: "Аннулировать" }).count()).toBe(0);
    await screenshot(page, "08-z-report");

    const closed = await hub.hub.db.cashShift.findUniqueOrThrow({ where: { id: shift } });
    expect(closed).toMatchObject({ openingCashKopecks: 100000n, expectedCashKopecks: 125050n, countedCashKopecks: 124050n, differenceKopecks: -1000n, closeNote: "не хватает 10 рублей" });
    expect((await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100080" } })).balanceKopecks).toBe(25050n);
    await expectLedgerConsistent(hub);

    // The history lists it with its difference.
    await page.goto(`${hub.url}/cash/shifts`);
    const history = await textOf(page, `main table tbody tr:has(a[href="/cash/shifts/${shift}"])`);
    expect(history).toContain("vl-lugovaya-1");
    expect(history).toContain("Кассирова Анна Игоревна");
    expect(history).toContain("−10,00 ₽ недостача");
    await screenshot(page, "09-history");
  });

  it("a payment form submitted twice (double click, then the same form re-sent) records one payment and shows one receipt", async () => {
    await signInAs(page, hub, "kassir1");
    await openShift(page, hub);
    await page.goto(`${hub.url}/cash/pay?account=100081`);
    const receiptNumber = await page.locator('input[name="receiptNumber"]').inputValue();
    const fields = Object.fromEntries(
      await Promise.all(["shiftId", "receiptNumber", "account", "_csrf"].map(async (name) => [name, await page.locator(`main input[name="${name}"]`).inputValue()] as const)),
    );
    await page.getByLabel("Сумма, ₽").fill("777.00");
    await page.getByRole("button", { name: "Принять платёж" }).dblclick();
    await page.waitForURL(/\/cash\/receipts\/\d+$/);
    const receiptPath = new URL(page.url()).pathname;

    // The same form sent again, as a reload after a lost answer would: the same receipt, nothing new.
    const cookie = (await context.cookies()).map((each) => `${each.name}=${each.value}`).join("; ");
    for (const amount of ["777", "777,00"]) {
      const again = await PageClient.send(hub, "POST", "/cash/payments", cookie, new URLSearchParams({ ...fields, amount }));
      expect(again.status).toBe(303);
      expect(again.location).toBe(receiptPath);
    }
    const payments = await hub.hub.db.inboundPayment.findMany({ where: { channel: "cashier", accountNumber: "100081" } });
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ externalId: `${await deskOfShift(Number(fields.shiftId))}:${receiptNumber}`, amountKopecks: 77700n });
    expect(receiptPath).toBe(`/cash/receipts/${payments[0]!.id}`);

    // The same receipt number with another amount is refused on the form, in words.
    const other = await PageClient.send(hub, "POST", "/cash/payments", cookie, new URLSearchParams({ ...fields, amount: "778" }));
    expect(other.status).toBe(409);
    expect(other.text).toContain("По этой квитанции уже принят другой платёж");
    expect(await hub.hub.db.inboundPayment.count({ where: { channel: "cashier", accountNumber: "100081" } })).toBe(1);
  });

  it("an amount the cashier mistypes is refused on the form with a hint, and nothing is recorded", async () => {
    await signInAs(page, hub, "kassir1");
    await openShift(page, hub);
    const before = await hub.hub.db.inboundPayment.count({ where: { channel: "cashier" } });
    await page.goto(`${hub.url}/cash/pay?account=100082`);
    for (const [amount, message] of [
      ["пятьсот", "Сумма указана неверно: введите рубли и копейки, например 500 или 500,00."],
      ["10,456", "Сумма указана неверно"],
      ["0", "Сумма указана неверно"],
      ["0,50", "Сумма меньше допустимой: наименьший платёж 1,00 ₽."],
      ["100000,01", "Сумма больше допустимой: наибольший платёж 100 000,00 ₽."],
    ] as const) {
      await page.getByLabel("Сумма, ₽").fill(amount);
      await page.getByRole("button", { name: "Принять платёж" }).click();
      await page.getByRole("alert").waitFor();
      expect(await textOf(page, '[role="alert"]')).toContain(message);
      expect(await page.getByLabel("Сумма, ₽").inputValue()).toBe(amount);
    }
    expect(await hub.hub.db.inboundPayment.count({ where: { channel: "cashier" } })).toBe(before);
    // The corrected amount on the same form is taken.
    await page.getByLabel("Сумма, ₽").fill("1500.00");
    await page.getByRole("button", { name: "Принять платёж" }).click();
    await page.waitForURL(/\/cash\/receipts\/\d+$/);
    expect(await textOf(page, ".receipt")).toContain("Сумма 1 500,00 ₽");
  });
});

async function deskOfShift(shiftId: number): Promise<string> {
  return (await hub.hub.db.cashShift.findUniqueOrThrow({ where: { id: shiftId }, include: { desk: true } })).desk.code;
}
