import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, DEVELOPMENT_ADMIN_TOKEN, ENV_VARIABLES, loadConfig } from "../../src/config.ts";

// The environment as an operator meets it: nothing needed in development, production refuses unsafe defaults, and
// .env.example documents exactly what the hub reads.

/** Variables read outside the hub's own configuration: the first-admin command's password. */
const COMMAND_VARIABLES = ["STAFF_ADMIN_PASSWORD"];

describe("loadConfig", () => {
  it("when nothing is set, then development runs with the development token, demo data and demo staff, and a cookie without Secure", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ env: "development", adminToken: DEVELOPMENT_ADMIN_TOKEN, demoData: true, staff: { cookieSecure: false, lockoutAttempts: 5 } });
  });

  it("when NODE_ENV is production, then it needs its own admin token, loads no demo data by default, and marks the cookie Secure", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/HUB_ADMIN_TOKEN/);
    const config = loadConfig({ NODE_ENV: "production", HUB_ADMIN_TOKEN: "a-production-token-0123" });
    expect(config).toMatchObject({ demoData: false, staff: { cookieSecure: true } });
    expect(loadConfig({ NODE_ENV: "production", HUB_ADMIN_TOKEN: "a-production-token-0123", HUB_DEMO_DATA: "true" }).demoData).toBe(true);
  });

  it("when values are wrong, then every problem is named without echoing a secret", () => {
    let error: unknown;
    try {
      loadConfig({ CASHIER_MIN_SUM: "10", CASHIER_MAX_SUM: "5", STAFF_LOCKOUT_ATTEMPTS: "zero", HUB_ADMIN_TOKEN: "short-secret" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/STAFF_LOCKOUT_ATTEMPTS/);
    expect(message).toMatch(/HUB_ADMIN_TOKEN/);
    expect(message).not.toContain("short-secret");
    expect(() => loadConfig({ CASHIER_MIN_SUM: "10", CASHIER_MAX_SUM: "5" })).toThrow(/CASHIER_MIN_SUM/);
  });
});

describe(".env.example", () => {
  const lines = readFileSync(new URL("../../.env.example", import.meta.url), "utf8").split("\n");
  const listed = lines.map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1]).filter((name): name is string => name !== undefined);

  it("lists every variable the hub reads, and nothing it does not", () => {
    expect([...listed].sort()).toEqual([...ENV_VARIABLES, ...COMMAND_VARIABLES].sort());
  });

  it("gives each variable a comment: on the line above, or shared with the variables right below a comment", () => {
    for (const [index, line] of lines.entries()) {
      if (!/^[A-Z][A-Z0-9_]*=/.test(line)) continue;
      let above = index - 1;
      while (above >= 0 && /^[A-Z][A-Z0-9_]*=/.test(lines[above]!)) above--;
      expect(lines[above] ?? "", `comment above ${line}`).toMatch(/^#/);
    }
  });
});
