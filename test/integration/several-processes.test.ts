import { afterAll, describe, expect, it } from "vitest";
import { LocalCluster, runScenario, staffLogins, startBillingReceiver, verifyBilling, type BillingReceiver } from "../../ops/local-cluster.ts";
import { DEMO_STAFF } from "../../src/staff/demo-staff.ts";
import { databaseUrl, dropDatabase, REDIS_URL } from "../support/services.ts";
import { deleteQueueKeys, uniqueName } from "../support/test-hub.ts";

// Production shape: two servers and two workers (real processes, `tsx src/main.ts` with HUB_ROLE) started together on
// a fresh database, one PostgreSQL and one Redis; signed traffic of three channels through both servers; a worker and
// a server SIGKILLed mid-load and started again. ops/local-cluster.ts is the same scenario an operator runs by hand.

const databaseName = uniqueName("payhub_cluster");
const url = databaseUrl(databaseName);
const queuePrefix = uniqueName("cl");
let cluster: LocalCluster | undefined;
let billing: BillingReceiver | undefined;

afterAll(async () => {
  await cluster?.stopAll();
  await billing?.close();
  await deleteQueueKeys(REDIS_URL, queuePrefix);
  await dropDatabase(databaseName);
}, 60_000);

describe("two servers and two workers on one PostgreSQL and one Redis", () => {
  it(
    "when all four start together on a fresh database, then each starts once ready, and the demo staff exist once",
    async () => {
      billing = await startBillingReceiver();
      cluster = await LocalCluster.create({
        databaseUrl: url,
        redisUrl: REDIS_URL,
        queuePrefix,
        servers: 2,
        workers: 2,
        // Both workers run a billing relay and a sender, at the same time, on the same rows.
        env: { BILLING_WEBHOOK_URL: billing.url, BILLING_RELAY_INTERVAL_MS: "500" },
      });
      await cluster.startAll();
      for (const process of cluster.processes) {
        expect(process.exits, `${process.name} exited:\n${process.output.join("\n")}`).toEqual([]);
      }
      expect(await staffLogins(url)).toEqual(DEMO_STAFF.map((member) => member.login).sort());
    },
    120_000,
  );

  it(
    "when a worker and a server are SIGKILLed mid-load and started again, then every acknowledged payment is credited exactly once and the ledger balances",
    async () => {
      const report = await runScenario(cluster!, { payments: 600, concurrency: 12, databaseUrl: url, runId: "7" });
      expect(report.killed).toEqual(["worker-1", "server-1"]);
      expect(report.stillWaiting).toBe(0);
      const { verdict } = report;
      expect(verdict.uncredited).toEqual([]);
      expect(verdict.wrong).toEqual([]);
      // Every payment was acknowledged in the end: the provider repeated the ones a killed server did not answer.
      const neverAcknowledged = report.payments.filter((payment) => !payment.acknowledged).map((payment) => `${payment.channel}/${payment.externalId} after ${payment.attempts}: ${payment.lastRefusal}`);
      expect(neverAcknowledged).toEqual([]);
      expect(verdict.acknowledged).toBe(600);
      expect(verdict.creditedOnce).toBe(600);
      expect(verdict.unexpected).toBe(0);
      expect(verdict.ledgerTotal).toBe(0n);
      expect(verdict.balanceMismatches).toBe(0);
      expect(verdict.balancesMatch).toBe(true);
      // Billing heard of every posting, signed, from two workers relaying at once. Delivery is at least once: only
      // a worker killed between its POST and recording it may repeat one (same notificationId, billing ignores it).
      const billed = await verifyBilling(url, billing!, 60_000);
      expect(billed.notifications).toBeGreaterThanOrEqual(600);
      expect(billed.delivered).toBe(billed.notifications);
      expect(billed.unknown).toBe(0);
      expect(billed.badSignatures).toBe(0);
      expect(billed.repeated).toBeLessThanOrEqual(8);
      // The killed processes really died by SIGKILL, and came back.
      for (const name of report.killed) {
        const process = cluster!.processes.find((candidate) => candidate.name === name)!;
        expect(process.exits[0]?.signal).toBe("SIGKILL");
        expect(process.child?.exitCode).toBeNull();
      }
    },
    150_000,
  );
});
