import { describe, expect, it } from "vitest";
import { expectLedgerConsistent, waitUntilAllCredited } from "../support/test-hub.ts";
import { browserSuite, openShift, PageClient, screenshot, signInAs, takePayment, textOf } from "./desk-browser.ts";

// A cashier's working day in a real browser: sign in, open a shift, find the subscriber by address and name, take
// cash, print the receipt, cancel a payment, close with a shortage, read the Z-report.
// Demo: 100080 "Иванов Иван Иванович", "г. Владивосток, ул. Луговая, д. 21а, кв. 12"; kassir1 works at vl-lugovaya.

const t = browserSuite();

const DATE_TIME = /\d\d\.\d\d\.\d{4}, \d\d:\d\d/;

describe("the cash desk pages", () => {
  it("a cashier signs in, opens a shift, takes and prints a payment, cancels it, and closes with a shortage the Z-report shows", async () => {
    // Signed out, the desk sends to the sign-in form and back.
    await t.page.goto(`${t.hub.url}/cash`);
    expect(new URL(t.page.url()).pathname).toBe("/staff/sign-in");
    expect(new URL(t.page.url()).searchParams.get("next")).toBe("/cash");
    await screenshot(t.page, "01-sign-in");
    await signInAs(t.page, t.hub, "kassir1");
    expect(new URL(t.page.url()).pathname).toBe("/cash");
    await expect(t.page.getByRole("heading", { name: "Смена не открыта" }).isVisible()).resolves.toBe(true);

    // Open a shift at desk 1 with 1 000 rubles in the drawer.
    await t.page.getByLabel("Касса").selectOption("vl-lugovaya-1");
    await t.page.getByLabel("Наличные в кассе на начало смены, ₽").fill("1000,00");
    await t.page.getByRole("button", { name: "Открыть смену" }).click();
    await t.page.getByText("Смена открыта. Можно принимать платежи.").waitFor();
    const shift = (await t.hub.hub.db.cashShift.findFirstOrThrow({ where: { closedAt: null, cashier: { login: "kassir1" } } })).id;
    const facts = await textOf(t.page, "dl.facts");
    expect(facts).toContain("Владивосток, ул. Луговая, 21а, офис 462");
    expect(facts).toContain("Касса 1 (vl-lugovaya-1)");
    expect(facts).toContain("Кассирова Анна Игоревна");
    expect(facts).toContain(`Смена № ${shift}`);
    expect(facts).toMatch(DATE_TIME);
    await screenshot(t.page, "02-desk");

    // Find the subscriber by address and owner's name.
    await t.page.getByLabel("Найти лицевой счёт").fill("Луговая 21а Иванов");
    await t.page.getByRole("button", { name: "Найти" }).click();
    await t.page.waitForURL(/\/cash\/find\?q=/);
    const found = await textOf(t.page, 'tr[data-account="100080"]');
    expect(found).toContain("И***в И. И.");
    expect(found).toContain("г. Владивосток, ул. Луговая, д. 21а, кв. 12");
    expect(found).toContain("действует");
    expect(await t.page.locator("body").innerText()).not.toContain("Иванов Иван");
    await screenshot(t.page, "03-search");

    // The payment form: the account, a receipt number, the amount.
    await t.page.locator('tr[data-account="100080"]').getByRole("link", { name: "Принять платёж" }).click();
    await t.page.waitForURL(/\/cash\/pay\?account=100080$/);
    expect(await textOf(t.page, "main")).toContain("квитанция № vl-lugovaya-1:1");
    await t.page.getByLabel("Сумма, ₽").fill("500");
    await screenshot(t.page, "04-payment-form");
    await t.page.getByRole("button", { name: "Принять платёж" }).click();
    await t.page.waitForURL(/\/cash\/receipts\/\d+$/);
    const paymentId = BigInt(new URL(t.page.url()).pathname.split("/").pop()!);

    // The receipt, and its printing.
    const receipt = await textOf(t.page, ".receipt");
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
    await screenshot(t.page, "05-receipt");
    await t.page.evaluate("window.printed = 0; window.print = () => { window.printed += 1; }");
    await t.page.getByRole("button", { name: "Печать" }).click();
    expect(await t.page.evaluate("window.printed")).toBe(1);
    await t.page.emulateMedia({ media: "print" });
    expect(await t.page.locator("header.top").isVisible()).toBe(false);
    expect(await t.page.getByRole("button", { name: "Печать" }).isVisible()).toBe(false);
    await t.page.emulateMedia({ media: "screen" });

    // A second payment, typed with a comma, that stays.
    const kept = await takePayment(t.page, t.hub, "100080", "250,50");
    expect(await textOf(t.page, ".receipt")).toContain("Сумма 250,50 ₽");

    // Storno of the first payment, once it is credited (a storno compensates a credit).
    await waitUntilAllCredited(t.hub);
    await t.page.goto(`${t.hub.url}/cash`);
    const line = t.page.locator(`tr[data-payment="${paymentId}"]`);
    await line.getByPlaceholder("причина аннулирования").fill("Ошибка кассира: не тот счёт");
    await line.getByRole("button", { name: "Аннулировать" }).click();
    await t.page.getByText("Платёж аннулирован.").waitFor();
    const cancelledLine = await textOf(t.page, `tr[data-payment="${paymentId}"]`);
    expect(cancelledLine).toContain("АННУЛИРОВАН");
    expect(cancelledLine).toContain("Ошибка кассира: не тот счёт");
    expect(await t.page.locator(`tr[data-payment="${kept}"]`).getByRole("button", { name: "Аннулировать" }).count()).toBe(1);
    await screenshot(t.page, "06-storno");
    await t.page.goto(`${t.hub.url}/cash/receipts/${paymentId}`);
    expect(await textOf(t.page, ".receipt")).toMatch(/АННУЛИРОВАН Причина: Ошибка кассира: не тот счёт/);

    // Close: expected 1 000,00 + 750,50 − 500,00 = 1 250,50; counted 1 240,50: 10 rubles short.
    await t.page.goto(`${t.hub.url}/cash`);
    await t.page.getByRole("link", { name: "Закрыть смену" }).click();
    await t.page.waitForURL(/\/cash\/close$/);
    expect(await textOf(t.page, 'tr[data-figure="expected"]')).toBe("Должно быть в кассе сейчас 1 250,50 ₽");
    await t.page.getByLabel("Пересчитано наличных в кассе, ₽").fill("1 240,50");
    await t.page.getByLabel("Примечание (например, причина расхождения)").fill("не хватает 10 рублей");
    await screenshot(t.page, "07-close");
    await t.page.getByRole("button", { name: "Закрыть смену" }).click();
    await t.page.waitForURL(new RegExp(`/cash/shifts/${shift}\\?ok=closed$`));

    // The Z-report, every figure.
    expect(await textOf(t.page, "h1")).toBe(`Z-отчёт · смена № ${shift}`);
    expect(await t.page.getByText("Смена закрыта.").isVisible()).toBe(true);
    const figure = (key: string) => textOf(t.page, `tr[data-figure="${key}"]`);
    expect(await figure("opening")).toBe("Наличные на начало смены 1 000,00 ₽");
    expect(await figure("payments")).toBe("Принято платежей 2 на сумму 750,50 ₽");
    expect(await figure("storno")).toBe("Аннулировано в смене 1 на сумму 500,00 ₽");
    expect(await figure("expected")).toBe("Должно быть в кассе 1 250,50 ₽");
    expect(await figure("counted")).toBe("Пересчитано в кассе 1 240,50 ₽");
    expect(await figure("difference")).toBe("Расхождение −10,00 ₽ недостача");
    expect(await figure("note")).toBe("Примечание при закрытии не хватает 10 рублей");
    expect(await t.page.locator('tr[data-figure="storno-after-close"]').count()).toBe(0);
    const zFacts = await textOf(t.page, "dl.facts");
    expect(zFacts).toContain("Касса Касса 1 (vl-lugovaya-1)");
    expect(zFacts).toContain("Кассир Кассирова Анна Игоревна");
    expect(zFacts).toMatch(new RegExp(`Открыта ${DATE_TIME.source} Закрыта ${DATE_TIME.source} \\(Кассирова Анна Игоревна\\)`));
    expect(await t.page.getByText("Смена переходила через полночь").count()).toBe(0);
    expect(await t.page.locator("table.lines tbody tr").count()).toBe(2);
    expect(await textOf(t.page, `tr[data-payment="${paymentId}"]`)).toMatch(/^1 \S+, \S+ 100080 500,00 ₽ АННУЛИРОВАН Ошибка кассира: не тот счёт/);
    expect(await textOf(t.page, `tr[data-payment="${kept}"]`)).toMatch(/^2 \S+, \S+ 100080 250,50 ₽ зачислен$/);
    // A cashier cannot cancel on a closed shift: no storno buttons are offered.
    expect(await t.page.getByRole("button", { name: "Аннулировать" }).count()).toBe(0);
    await screenshot(t.page, "08-z-report");

    const closed = await t.hub.hub.db.cashShift.findUniqueOrThrow({ where: { id: shift } });
    expect(closed).toMatchObject({ openingCashKopecks: 100000n, expectedCashKopecks: 125050n, countedCashKopecks: 124050n, differenceKopecks: -1000n, closeNote: "не хватает 10 рублей" });
    expect((await t.hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100080" } })).balanceKopecks).toBe(25050n);
    await expectLedgerConsistent(t.hub);

    // The history lists it with its difference.
    await t.page.goto(`${t.hub.url}/cash/shifts`);
    const history = await textOf(t.page, `main table tbody tr:has(a[href="/cash/shifts/${shift}"])`);
    expect(history).toContain("vl-lugovaya-1");
    expect(history).toContain("Кассирова Анна Игоревна");
    expect(history).toContain("−10,00 ₽ недостача");
    await screenshot(t.page, "09-history");
  });

  it("a payment form submitted twice (double click, then the same form re-sent) records one payment and shows one receipt", async () => {
    await signInAs(t.page, t.hub, "kassir1");
    await openShift(t.page, t.hub);
    await t.page.goto(`${t.hub.url}/cash/pay?account=100081`);
    const receiptNumber = await t.page.locator('input[name="receiptNumber"]').inputValue();
    const fields = Object.fromEntries(
      await Promise.all(["shiftId", "receiptNumber", "account", "_csrf"].map(async (name) => [name, await t.page.locator(`main input[name="${name}"]`).inputValue()] as const)),
    );
    await t.page.getByLabel("Сумма, ₽").fill("777.00");
    await t.page.getByRole("button", { name: "Принять платёж" }).dblclick();
    await t.page.waitForURL(/\/cash\/receipts\/\d+$/);
    const receiptPath = new URL(t.page.url()).pathname;

    // The same form sent again, as a reload after a lost answer would: the same receipt, nothing new.
    const cookie = (await t.context.cookies()).map((each) => `${each.name}=${each.value}`).join("; ");
    for (const amount of ["777", "777,00"]) {
      const again = await PageClient.send(t.hub, "POST", "/cash/payments", cookie, new URLSearchParams({ ...fields, amount }));
      expect(again.status).toBe(303);
      expect(again.location).toBe(receiptPath);
    }
    const payments = await t.hub.hub.db.inboundPayment.findMany({ where: { channel: "cashier", accountNumber: "100081" } });
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ externalId: `${await deskOfShift(Number(fields.shiftId))}:${receiptNumber}`, amountKopecks: 77700n });
    expect(receiptPath).toBe(`/cash/receipts/${payments[0]!.id}`);

    // The same receipt number with another amount is refused on the form, in words.
    const other = await PageClient.send(t.hub, "POST", "/cash/payments", cookie, new URLSearchParams({ ...fields, amount: "778" }));
    expect(other.status).toBe(409);
    expect(other.text).toContain("По этой квитанции уже принят другой платёж");
    expect(await t.hub.hub.db.inboundPayment.count({ where: { channel: "cashier", accountNumber: "100081" } })).toBe(1);
  });

  it("an amount the cashier mistypes is refused on the form with a hint, and nothing is recorded", async () => {
    await signInAs(t.page, t.hub, "kassir1");
    await openShift(t.page, t.hub);
    const before = await t.hub.hub.db.inboundPayment.count({ where: { channel: "cashier" } });
    await t.page.goto(`${t.hub.url}/cash/pay?account=100082`);
    for (const [amount, message] of [
      ["пятьсот", "Сумма указана неверно: введите рубли и копейки, например 500 или 500,00."],
      ["10,456", "Сумма указана неверно"],
      ["0", "Сумма указана неверно"],
      ["0,50", "Сумма меньше допустимой: наименьший платёж 1,00 ₽."],
      ["100000,01", "Сумма больше допустимой: наибольший платёж 100 000,00 ₽."],
    ] as const) {
      await t.page.getByLabel("Сумма, ₽").fill(amount);
      await t.page.getByRole("button", { name: "Принять платёж" }).click();
      await t.page.getByRole("alert").waitFor();
      expect(await textOf(t.page, '[role="alert"]')).toContain(message);
      expect(await t.page.getByLabel("Сумма, ₽").inputValue()).toBe(amount);
    }
    expect(await t.hub.hub.db.inboundPayment.count({ where: { channel: "cashier" } })).toBe(before);
    // The corrected amount on the same form is taken.
    await t.page.getByLabel("Сумма, ₽").fill("1500.00");
    await t.page.getByRole("button", { name: "Принять платёж" }).click();
    await t.page.waitForURL(/\/cash\/receipts\/\d+$/);
    expect(await textOf(t.page, ".receipt")).toContain("Сумма 1 500,00 ₽");
  });
});

async function deskOfShift(shiftId: number): Promise<string> {
  return (await t.hub.hub.db.cashShift.findUniqueOrThrow({ where: { id: shiftId }, include: { desk: true } })).desk.code;
}
