import { describe, expect, it } from "vitest";
import { bankDate, recommendedKopecks } from "../../adapters/bank-xml/reply.ts";
import { bankHash, bankHashValid, isValidBankDate } from "../../adapters/bank-xml/verify.ts";

describe("bank hash", () => {
  it("when the integrator documentation's vector is hashed, then it reproduces", () => {
    // PROTOCOLS.md §2: md5("account=49578&command=check&sum=1.00&txn_id=1&secret=SecretWord")
    expect(bankHash({ txn_id: "1", sum: "1.00", command: "check", account: "49578" }, "SecretWord")).toBe("9eacf62d29c062bef583964461300862");
  });

  it("when the hash is upper-case, from a rotated secret, or absent with no secret configured, then it verifies; otherwise not", () => {
    const params = { ACTION: "check", ACCOUNT: "100080" };
    const hash = bankHash(params, "new");
    expect(bankHashValid({ ...params, hash }, hash.toUpperCase(), ["old", "new"])).toBe(true);
    expect(bankHashValid(params, undefined, [])).toBe(true);
    expect(bankHashValid(params, undefined, ["new"])).toBe(false);
    expect(bankHashValid({ ...params, ACCOUNT: "100081" }, hash, ["new"])).toBe(false);
  });
});

describe("bank dates and the recommended payment", () => {
  it("when a date is written, then dd.MM.yyyy_HH:mm:ss on the bank's clock", () => {
    expect(bankDate(new Date("2026-11-24T14:05:09Z"), 180)).toBe("24.11.2026_17:05:09");
    expect(bankDate(new Date("2026-11-24T14:05:09Z"), 600)).toBe("25.11.2026_00:05:09");
  });

  it("when a PAY_DATE is read, then only real moments in dd.MM.yyyy_HH:mm:ss pass", () => {
    expect(isValidBankDate("01.01.2024_12:31:00")).toBe(true);
    expect(isValidBankDate("31.02.2024_12:31:00")).toBe(false);
    expect(isValidBankDate("2024-01-01T12:31:00")).toBe(false);
  });

  it("when the balance covers part of the fee, then REC_SUM is the rest; a debt is added; a surplus recommends nothing", () => {
    expect(recommendedKopecks(89000n, 19819n)).toBe(69181n);
    expect(recommendedKopecks(89000n, -1000n)).toBe(90000n);
    expect(recommendedKopecks(89000n, 100000n)).toBe(0n);
  });
});
