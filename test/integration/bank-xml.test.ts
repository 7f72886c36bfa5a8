import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bank, bankPayment } from "../support/bank-client.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// Sberbank Online and Bank "Primorye" through the bank check/payment XML protocol (PROTOCOLS.md §2). Primorye is
// configured with the optional shared-secret hash.

const SECRET = "primorye-shared-secret";
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ BANK_PRIMORYE_HASH_SECRET: SECRET, BANK_SBERBANK_MIN_SUM: "10.00", BANK_SBERBANK_MAX_SUM: "50000.00" });
});
afterAll(async () => {
  await hub?.stop();
});

async function balanceOf(number: string): Promise<bigint> {
  return (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } })).balanceKopecks;
}

describe("bank check", () => {
  it("when the account exists, then CODE 0 with masked FIO, address, balance and the recommended payment", async () => {
    const answer = await bank(hub.url, "sberbank", { ACTION: "check", ACCOUNT: "100080" });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe("application/xml; charset=utf-8");
    expect(answer.elements).toMatchObject({ CODE: "0", FIO: "И***в И. И.", BALANCE: "0.00", REC_SUM: "890.00" });
    expect(answer.elements.ADDRESS).toContain("Луговая");
  });

  it("when ACTION is in another case, then it is still understood", async () => {
    expect((await bank(hub.url, "sberbank", { ACTION: "CHECK", ACCOUNT: "100080" })).elements.CODE).toBe("0");
  });

  it("when the request is wrong, then the protocol's own code: 2 unknown type, 3 not found, 4 bad identifier, 5 closed, 7 blocked", async () => {
    expect((await bank(hub.url, "sberbank", { ACTION: "status", ACCOUNT: "100080" })).elements.CODE).toBe("2");
    expect((await bank(hub.url, "sberbank", { ACTION: "check", ACCOUNT: "999999" })).elements.CODE).toBe("3");
    expect((await bank(hub.url, "sberbank", { ACTION: "check", ACCOUNT: "abc" })).elements.CODE).toBe("4");
    expect((await bank(hub.url, "sberbank", { ACTION: "check", ACCOUNT: "100099" })).elements.CODE).toBe("5");
    expect((await bank(hub.url, "sberbank", { ACTION: "check", ACCOUNT: "100090" })).elements.CODE).toBe("7");
  });
});

describe("bank payment", () => {
  it("when a payment is registered, then CODE 0 with EXT_ID, SUM and REG_DATE, and the account is credited once", async () => {
    const before = await balanceOf("100081");
    const answer = await bank(hub.url, "sberbank", bankPayment(654321, "100081", "1.10"));
    // the minimum on this hub is 10.00
    expect(answer.elements.CODE).toBe("10");
    const paid = await bank(hub.url, "sberbank", bankPayment(654322, "100081", "110.10"));
    expect(paid.elements).toMatchObject({ CODE: "0", SUM: "110.10" });
    expect(paid.elements.EXT_ID).toMatch(/^[0-9]+$/);
    expect(paid.elements.REG_DATE).toMatch(/^[0-9]{2}\.[0-9]{2}\.[0-9]{4}_[0-9]{2}:[0-9]{2}:[0-9]{2}$/);
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100081")).toBe(before + 11010n);
    const payment = await hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { id: BigInt(paid.elements.EXT_ID!) } });
    expect(payment).toMatchObject({ channel: "bank:sberbank", externalId: "654322", providerTime: "24.11.2026_12:31:00", status: "credited" });
  });

  it("when a PAY_ID is repeated, then CODE 8 with the original EXT_ID, REG_DATE and AMOUNT, and nothing is credited again", async () => {
    const first = await bank(hub.url, "sberbank", bankPayment(700001, "100082", "500.00"));
    const repeat = await bank(hub.url, "sberbank", bankPayment(700001, "100082", "500.00"));
    expect(repeat.elements).toMatchObject({ CODE: "8", EXT_ID: first.elements.EXT_ID, REG_DATE: first.elements.REG_DATE, AMOUNT: "500.00" });
    const conflicting = await bank(hub.url, "sberbank", bankPayment(700001, "100082", "5.00"));
    expect(conflicting.elements).toMatchObject({ CODE: "8", EXT_ID: first.elements.EXT_ID, AMOUNT: "500.00" });
    expect(await hub.hub.db.intakeIncident.count({ where: { channel: "bank:sberbank", externalId: "700001" } })).toBe(1);
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100082")).toBe(50000n);
  });

  it("when a payment field is malformed, then 6 for PAY_ID, 9 for AMOUNT, 12 for PAY_DATE, 11 above the maximum; nothing is written", async () => {
    const before = await hub.hub.db.inboundPayment.count();
    expect((await bank(hub.url, "sberbank", bankPayment("12ab", "100080", "10.00"))).elements.CODE).toBe("6");
    expect((await bank(hub.url, "sberbank", bankPayment(700010, "100080", "1e3"))).elements.CODE).toBe("9");
    expect((await bank(hub.url, "sberbank", bankPayment(700011, "100080", "10,50"))).elements.CODE).toBe("9");
    expect((await bank(hub.url, "sberbank", bankPayment(700012, "100080", "10.00", "31.02.2026_12:00:00"))).elements.CODE).toBe("12");
    expect((await bank(hub.url, "sberbank", bankPayment(700013, "100080", "50000.01"))).elements.CODE).toBe("11");
    expect(await hub.hub.db.inboundPayment.count()).toBe(before);
  });
});

describe("bank hash (Primorye)", () => {
  it("when the hash is right, then the payment is registered, and REG_DATE is on Vladivostok time (UTC+10)", async () => {
    const answer = await bank(hub.url, "primorye", bankPayment(1, "100083", "200.00", "24.11.2026_22:00:00"), SECRET);
    expect(answer.elements.CODE).toBe("0");
    const payment = await hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { id: BigInt(answer.elements.EXT_ID!) } });
    const vladivostok = new Date(payment.receivedAt.getTime() + 10 * 3600_000);
    expect(answer.elements.REG_DATE!.slice(0, 10)).toBe(
      `${String(vladivostok.getUTCDate()).padStart(2, "0")}.${String(vladivostok.getUTCMonth() + 1).padStart(2, "0")}.${vladivostok.getUTCFullYear()}`,
    );
    expect(answer.elements.REG_DATE!.slice(11, 13)).toBe(String(vladivostok.getUTCHours()).padStart(2, "0"));
  });

  it("when the hash is missing, wrong, or made with another secret, then refused and nothing is written", async () => {
    const before = await hub.hub.db.inboundPayment.count();
    const missing = await bank(hub.url, "primorye", bankPayment(2, "100083", "200.00"));
    const wrong = await bank(hub.url, "primorye", bankPayment(3, "100083", "200.00"), "another-secret");
    expect(missing.elements.CODE).toBe("300");
    expect(wrong.elements.CODE).toBe("300");
    // A flipped value after signing: signed for 200.00, sent as 900.00.
    const params = bankPayment(4, "100083", "200.00");
    const signed = await import("../../adapters/bank-xml/verify.ts").then(({ bankHash }) => bankHash(params, SECRET));
    const tampered = await fetch(`${hub.url}/webhooks/bank/primorye?${new URLSearchParams({ ...params, AMOUNT: "900.00", hash: signed })}`).then((response) => response.text());
    expect(tampered).toContain("<CODE>300</CODE>");
    expect(await hub.hub.db.inboundPayment.count()).toBe(before);
  });

  it("after everything, the ledger sums to zero", async () => {
    await waitUntilAllCredited(hub);
    await expectLedgerConsistent(hub);
  });
});
