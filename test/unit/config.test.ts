import { readFileSync } from "node:fs";
import express from "express";
import { describe, expect, it } from "vitest";
import { ConfigError, DEVELOPMENT_ADMIN_TOKEN, ENV_VARIABLES, INFERRED_PRODUCTION_REASON, loadConfig } from "../../src/config.ts";

// The environment as an operator meets it: nothing needed in development, production refuses unsafe defaults, and
// .env.example documents exactly what the hub reads.

/** Variables read outside the hub's own configuration: the first-admin command's password. */
const COMMAND_VARIABLES = ["STAFF_ADMIN_PASSWORD"];

const DATABASE_URL = "postgresql://payhub@db.internal:5432/payhub";
const TOKEN = "a-production-token-0123";

/** The problems loadConfig refused an environment for, as the operator reads them at start-up. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

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

  it("when NODE_ENV is unset and DATABASE_URL is set, then production rules apply and start-up names HUB_ADMIN_TOKEN and why", () => {
    for (const nodeEnv of [{}, { NODE_ENV: "" }] as Record<string, string>[]) {
      const message = refusal({ ...nodeEnv, DATABASE_URL });
      expect(message).toMatch(/HUB_ADMIN_TOKEN: required in production/);
      expect(message).toContain(INFERRED_PRODUCTION_REASON);
      expect(INFERRED_PRODUCTION_REASON).toMatch(/set NODE_ENV=development to run a development hub on that database/);
      const config = loadConfig({ ...nodeEnv, DATABASE_URL, HUB_ADMIN_TOKEN: TOKEN });
      expect(config).toMatchObject({ env: "production", envReason: INFERRED_PRODUCTION_REASON, adminToken: TOKEN, demoData: false, staff: { cookieSecure: true } });
    }
  });

  it("when NODE_ENV is given, then it is used as is, whether DATABASE_URL is set or not", () => {
    for (const databaseUrl of [{}, { DATABASE_URL }] as Record<string, string>[]) {
      expect(loadConfig({ ...databaseUrl, NODE_ENV: "development" })).toMatchObject({ env: "development", adminToken: DEVELOPMENT_ADMIN_TOKEN, demoData: true });
      expect(loadConfig({ ...databaseUrl, NODE_ENV: "test" })).toMatchObject({ env: "test", adminToken: DEVELOPMENT_ADMIN_TOKEN, demoData: true });
      expect(refusal({ ...databaseUrl, NODE_ENV: "production" })).toMatch(/HUB_ADMIN_TOKEN: required in production/);
      expect(loadConfig({ ...databaseUrl, NODE_ENV: "production", HUB_ADMIN_TOKEN: TOKEN })).toMatchObject({ env: "production", envReason: "NODE_ENV=production" });
    }
    // Explicit production needs no explanation of why it is production.
    expect(refusal({ DATABASE_URL, NODE_ENV: "production" })).not.toContain(INFERRED_PRODUCTION_REASON);
  });

  it("when production is given the published development token as HUB_ADMIN_TOKEN, then it refuses to start", () => {
    expect(refusal({ DATABASE_URL, HUB_ADMIN_TOKEN: DEVELOPMENT_ADMIN_TOKEN })).toMatch(/HUB_ADMIN_TOKEN: the published development token is refused in production/);
    expect(loadConfig({ NODE_ENV: "development", HUB_ADMIN_TOKEN: DEVELOPMENT_ADMIN_TOKEN }).adminToken).toBe(DEVELOPMENT_ADMIN_TOKEN);
  });

  it("when production rules apply and another variable is wrong too, then start-up names both at once", () => {
    const message = refusal({ DATABASE_URL, TRUST_PROXY: "true" });
    expect(message).toMatch(/TRUST_PROXY: /);
    expect(message).toMatch(/HUB_ADMIN_TOKEN: required in production/);
    expect(message).toContain(INFERRED_PRODUCTION_REASON);
  });

  it("when TRUST_PROXY is false, a hop count or proxy addresses, then Express gets false, the number or the list, and takes it", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "false" }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "1" }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: "127.0.0.1" }).trustProxy).toEqual(["127.0.0.1"]);
    expect(loadConfig({ TRUST_PROXY: " 10.0.0.0/8, fd00::/8 ,loopback,uniquelocal, linklocal" }).trustProxy).toEqual([
      "10.0.0.0/8",
      "fd00::/8",
      "loopback",
      "uniquelocal",
      "linklocal",
    ]);
    for (const value of ["false", "1", "127.0.0.1", "10.0.0.0/8, fd00::/8, loopback, uniquelocal, linklocal"]) {
      const trustProxy = loadConfig({ TRUST_PROXY: value }).trustProxy;
      expect(() => express().set("trust proxy", trustProxy), value).not.toThrow();
    }
  });

  it("when TRUST_PROXY is true, then start-up refuses it and says what to write instead", () => {
    for (const value of ["true", "TRUE", "True"]) {
      expect(refusal({ TRUST_PROXY: value })).toMatch(/TRUST_PROXY: true is refused: .*write the proxies' addresses .* or their number in front of the hub \(1\)/);
    }
  });

  it("when a TRUST_PROXY entry is not an address, a CIDR or a known name, then start-up names each wrong entry", () => {
    const message = refusal({ TRUST_PROXY: "10.0.0.1, proxy.internal, 10.0.0.0/33, loopback" });
    expect(message).toContain('"proxy.internal"');
    expect(message).toContain('"10.0.0.0/33"');
    expect(message).not.toContain('"10.0.0.1"');
    expect(refusal({ TRUST_PROXY: "0" })).toMatch(/TRUST_PROXY: a hop count must be a positive integer; write false/);
    expect(refusal({ TRUST_PROXY: "-1" })).toMatch(/TRUST_PROXY: "-1"/);
    expect(refusal({ TRUST_PROXY: "10.0.0.1, 0.0.0.0/0" })).toMatch(/TRUST_PROXY: "0.0.0.0\/0": a \/0 network trusts every address, as true would/);
  });

  it("when an allowlist entry is not an address or CIDR, then start-up names the variable and the entry", () => {
    const message = refusal({ OSMP_VLADIK_ALLOWED_IPS: "10.1.0.0/16, 10.2.0.0/", BANK_SBERBANK_ALLOWED_IPS: "sberbank.ru" });
    expect(message).toMatch(/OSMP_VLADIK_ALLOWED_IPS: "10.2.0.0\/" has a bad prefix length/);
    expect(message).toMatch(/BANK_SBERBANK_ALLOWED_IPS: "sberbank.ru" is not an IP address or CIDR/);
  });

  it("when METRICS_TOKEN is set, then it must be at least 16 characters and is kept for /metrics", () => {
    expect(refusal({ METRICS_TOKEN: "short-token" })).toMatch(/METRICS_TOKEN: must be at least 16 characters/);
    expect(refusal({ METRICS_TOKEN: "short-token" })).not.toContain("short-token");
    expect(loadConfig({ METRICS_TOKEN: "a-scrape-token-0123456" }).metricsToken).toBe("a-scrape-token-0123456");
    expect(loadConfig({}).metricsToken).toBeUndefined();
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

  it("when copied to .env unedited, then it starts a development hub on the local defaults", () => {
    const env = Object.fromEntries(lines.map((line) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line)).filter((match) => match !== null).map((match) => [match[1]!, match[2]!]));
    const config = loadConfig(env);
    expect(config).toMatchObject({ env: "development", databaseUrl: undefined, redisUrl: undefined, adminToken: DEVELOPMENT_ADMIN_TOKEN, demoData: true, trustProxy: false });
  });

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
