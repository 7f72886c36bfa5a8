import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { DEVELOPMENT_ADMIN_TOKEN, INFERRED_PRODUCTION_REASON } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { DEMO_STAFF } from "../../src/staff/demo-staff.ts";
import { osmp } from "../support/osmp-client.ts";
import { startTestHub } from "../support/test-hub.ts";

// Deployment defaults fail closed: the development conveniences (the published admin token, demo staff with a
// published password, demo subscribers, loopback on the webhook allowlists, a cookie without Secure) exist only
// under development rules. NODE_ENV decides when given; unset, a DATABASE_URL means a deployment, so production.
// Each start-up below is a real hub, checked over HTTP and in its database as an operator would.

const OWN_TOKEN = "an-operators-own-token-0123";

interface Case {
  nodeEnv: "development" | "production" | undefined;
  databaseUrl: boolean;
  rules: "development" | "production";
}

const CASES: Case[] = [
  { nodeEnv: undefined, databaseUrl: false, rules: "development" },
  { nodeEnv: undefined, databaseUrl: true, rules: "production" },
  { nodeEnv: "development", databaseUrl: false, rules: "development" },
  { nodeEnv: "development", databaseUrl: true, rules: "development" },
  { nodeEnv: "production", databaseUrl: false, rules: "production" },
  { nodeEnv: "production", databaseUrl: true, rules: "production" },
];

/** What an operator of a fresh hub sees of each convenience. */
const EXPECTED = {
  development: {
    developmentTokenOnAccounts: 200,
    demoStaff: DEMO_STAFF.length,
    demoSubscribers: true,
    officeTerminalsCheckFromLoopback: { status: 200, result: 0 },
    secureCookie: false,
    openMetricsWarning: false,
  },
  production: {
    developmentTokenOnAccounts: 401,
    demoStaff: 0,
    demoSubscribers: false,
    officeTerminalsCheckFromLoopback: { status: 403, result: 300 },
    secureCookie: true,
    openMetricsWarning: true,
  },
};

const describeCase = ({ nodeEnv, databaseUrl }: Case) =>
  `NODE_ENV is ${nodeEnv ?? "unset"} and DATABASE_URL is ${databaseUrl ? "set" : "unset"}`;

describe("the conveniences a fresh hub starts with", () => {
  for (const testCase of CASES) {
    it(`when ${describeCase(testCase)}, then ${testCase.rules} rules apply`, async () => {
      const lines: { level: number; msg: string; env?: string }[] = [];
      const destination = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line));
          done();
        },
      });
      const production = testCase.rules === "production";
      const hub = await startTestHub(
        {
          // "" is unset, as `NODE_ENV=` in an env file; the hub's database is its own either way.
          NODE_ENV: testCase.nodeEnv ?? "",
          ...(testCase.databaseUrl ? {} : { DATABASE_URL: "" }),
          // Production does not start without a token of its own; development runs on the published one.
          HUB_ADMIN_TOKEN: production ? OWN_TOKEN : "",
        },
        createLogger("info", destination),
      );
      try {
        const accounts = (token: string) => fetch(`${hub.url}/api/accounts/100080`, { headers: { authorization: `Bearer ${token}` } });
        const check = await osmp(hub.url, { command: "check", txn_id: "1", account: "100080" }, { profile: "office-terminals" });
        const observed = {
          developmentTokenOnAccounts: (await accounts(DEVELOPMENT_ADMIN_TOKEN)).status,
          demoStaff: await hub.hub.db.staffUser.count(),
          demoSubscribers: (await hub.hub.db.subscriberAccount.count()) > 0,
          officeTerminalsCheckFromLoopback: { status: check.status, result: check.result },
          secureCookie: hub.config.staff.cookieSecure,
          openMetricsWarning: lines.some((line) => line.level === 40 && /GET \/metrics is open/.test(line.msg)),
        };
        expect(observed).toEqual(EXPECTED[testCase.rules]);
        expect(hub.config.databaseUrl === undefined).toBe(!testCase.databaseUrl);

        // The start-up says which rules it chose and why.
        const mode = lines.find((line) => line.msg.startsWith("payhub runs with "));
        expect(mode).toMatchObject({ level: 30, env: testCase.rules });
        if (testCase.nodeEnv) expect(mode!.msg).toContain(`(NODE_ENV=${testCase.nodeEnv})`);
        else if (testCase.databaseUrl) expect(mode!.msg).toContain(INFERRED_PRODUCTION_REASON);
        else expect(mode!.msg).toMatch(/NODE_ENV and DATABASE_URL are not set: development rules apply/);

        if (production) {
          // The API itself works: the operator's own token passes, and no demo subscriber 100080 exists.
          const own = await accounts(OWN_TOKEN);
          expect(own.status).toBe(404);
          expect(await own.json()).toMatchObject({ error: "account_not_found" });
        }
      } finally {
        await hub.stop();
      }
    });
  }
});
