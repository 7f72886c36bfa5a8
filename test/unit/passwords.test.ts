import { describe, expect, it } from "vitest";
import { DUMMY_HASH, hashPassword, passwordProblem, verifyPassword } from "../../src/staff/passwords.ts";

// Staff passwords: scrypt with a salt per password, the cost stored with the hash, compared in constant time.

describe("hashPassword and verifyPassword", () => {
  it("when the same password is hashed twice, then the hashes differ (salted), both verify (in any Unicode form), and a wrong password does not", async () => {
    const [first, second] = await Promise.all([hashPassword("ёлка-пароль-2026"), hashPassword("ёлка-пароль-2026")]);
    expect(first).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(second).not.toBe(first);
    const checks = await Promise.all([verifyPassword("ёлка-пароль-2026", second), verifyPassword("ёлка-пароль-2026".normalize("NFD"), first), verifyPassword("елка-пароль-2026", first)]);
    expect(checks).toEqual([true, true, false]);
  });

  it.each([
    ["empty", ""],
    ["not scrypt", "bcrypt$2b$10$abc"],
    ["too few parts", "scrypt$32768$8$1$AAAA"],
    ["a cost that is not a number", "scrypt$abc$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
    ["a short key", "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA"],
  ])("when the stored hash is malformed (%s), then nothing verifies", async (_what, stored) => {
    expect(await verifyPassword("anything-at-all", stored)).toBe(false);
  });

  it("the dummy hash checked for unknown logins matches no password", async () => {
    expect(await verifyPassword("demo-password-2026", DUMMY_HASH)).toBe(false);
  });
});

describe("passwordProblem", () => {
  it.each([
    ["123456789", /at least 10/],
    ["x".repeat(201), /at most 200/],
  ])("when the password is %j, then it is refused", (password, problem) => {
    expect(passwordProblem(password)).toMatch(problem);
  });

  it.each([["0123456789"], ["x".repeat(200)], ["длинный пароль"]])("when the password is %j, then it is accepted", (password) => {
    expect(passwordProblem(password)).toBeUndefined();
  });
});
