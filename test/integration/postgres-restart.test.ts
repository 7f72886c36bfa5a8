import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bankHash } from "../../adapters/bank-xml/verify.ts";
import { verifyMoney, type SentPayment } from "../../ops/local-cluster.ts";
import { spawnHubProcess } from "../support/hub-process.ts";
import { startPrivatePostgres, type PrivatePostgres } from "../support/private-postgres.ts";
import { freePort } from "../support/redis-server.ts";
import { REDIS_URL } from "../support/services.ts";
import { deleteQueueKeys, uniqueName, waitFor } from "../support/test-hub.ts";
import { yoomoneyNotification } from "../support/signed-requests.ts";
import type { ChildProcess } from "node:child_process";

// PostgreSQL restarts under load (a failover, a minor-version upgrade, a crash): a private cluster of our own is
// stopped the hard way (pg_ctl -m immediate) in the middle of a stream of OSMP pays and started again. While it is
// down every channel answers its protocol's "temporary, repeat later", and nothing is answered success that was not
// committed; afterwards every acknowledged payment is credited exactly once.

const BANK_SECRET = "restart-bank-secret";
const YOOMONEY_SECRET = "restart-yoomoney-secret";

let postgres: PrivatePostgres;
let hub: { child: ChildProcess; output: () => string } | undefined;
let baseUrl: string;
let databaseUrl: string;
const queuePrefix = uniqueName("pgr");

beforeAll(async () => {
  postgres = await startPrivatePostgres();
  databaseUrl = `${postgres.serverUrl}/payhub`;
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  hub = spawnHubProcess({
    NODE_ENV: "development",
    HUB_DEMO_DATA: "true",
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    PORT: String(port),
    LOG_LEVEL: "warn",
    BANK_PRIMORYE_HASH_SECRET: BANK_SECRET,
    YOOMONEY_NOTIFICATION_SECRET: YOOMONEY_SECRET,
  });
  await waitFor(
    "the hub to be ready on its private PostgreSQL",
    async () => {
      if (hub!.child.exitCode !== null) throw new Error(`the hub exited:\n${hub!.output()}`);
      return fetch(`${baseUrl}/health/ready`).then((response) => response.ok, () => false);
    },
    90_000,
  );
}, 120_000);

afterAll(async () => {
  if (hub && hub.child.exitCode === null) {
    const exited = new Promise((resolve) => hub!.child.once("exit", resolve));
    hub.child.kill("SIGTERM");
    await exited;
  }
  await deleteQueueKeys(REDIS_URL, queuePrefix);
  await postgres?.destroy();
}, 60_000);

function osmpPay(txnId: string, account: string, sum: string): Promise<{ status: number; result: number | undefined }> {
  const query = new URLSearchParams({ command: "pay", txn_id: txnId, account, sum, txn_date: "20261206120000" });
  return fetch(`${baseUrl}/webhooks/osmp/qiwi?${query}`, { signal: AbortSignal.timeout(15_000) }).then(async (response) => {
    const body = await response.text();
    const match = /<result>(\d+)<\/result>/.exec(body);
    return { status: response.status, result: match ? Number(match[1]) : undefined };
  });
}

describe("PostgreSQL restarted under load", () => {
  it("during the outage every channel answers its temporary error, nothing unconfirmed is acknowledged, and afterwards each acknowledged payment is credited once", async () => {
    const payments: SentPayment[] = [];
    const answers = new Map<string, number>();
    const note = (what: string) => answers.set(what, (answers.get(what) ?? 0) + 1);
    let stopLoad = false;
    let sequence = 0;
    // Four terminals sending pays one after another, each repeating a pay until it is acknowledged, as OSMP does.
    const lane = async (laneIndex: number) => {
      while (!stopLoad) {
        const payment: SentPayment = {
          channel: "osmp:qiwi",
          externalId: String(900_000_000 + sequence++),
          account: ["100080", "100081", "100082"][laneIndex % 3]!,
          kopecks: 15_000 + laneIndex,
          acknowledged: false,
          attempts: 0,
        };
        payments.push(payment);
        while (!payment.acknowledged) {
          payment.attempts += 1;
          const answer = await osmpPay(payment.externalId, payment.account, `${Math.floor(payment.kopecks / 100)}.${String(payment.kopecks % 100).padStart(2, "0")}`).catch(() => ({ status: 0, result: undefined }));
          note(`${answer.status}/${answer.result}`);
          if (answer.status === 200 && answer.result === 0) payment.acknowledged = true;
          else await new Promise((resolve) => setTimeout(resolve, 100));
          if (stopLoad && !payment.acknowledged && payment.attempts > 200) break;
        }
      }
    };
    const lanes = Array.from({ length: 4 }, (_, index) => lane(index));
    await waitFor("some pays to be acknowledged", async () => payments.filter((payment) => payment.acknowledged).length >= 40);

    await postgres.crash();
    const acknowledgedAtCrash = payments.filter((payment) => payment.acknowledged).length;

    // While it is down: each channel's own temporary answer.
    const osmpDown = await osmpPay("990000001", "100080", "100.00");
    expect(osmpDown).toEqual({ status: 200, result: 1 });
    const bankParams = { ACTION: "payment", ACCOUNT: "100080", AMOUNT: "100.00", PAY_ID: "990000002", PAY_DATE: "06.12.2026_12:00:00" };
    const bankDown = await fetch(`${baseUrl}/webhooks/bank/primorye?${new URLSearchParams({ ...bankParams, hash: bankHash(bankParams, BANK_SECRET) })}`);
    expect(bankDown.status).toBe(200);
    expect(await bankDown.text()).toMatch(/<CODE>1<\/CODE>/);
    const yoomoneyDown = await fetch(`${baseUrl}/webhooks/yoomoney`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(yoomoneyNotification(YOOMONEY_SECRET, "ym-restart-1", "100080")).toString(),
    });
    expect(yoomoneyDown.status).toBe(503);
    const signIn = await fetch(`${baseUrl}/staff/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html" },
      body: new URLSearchParams({ login: "kassir1", password: "whatever-it-is", next: "/cash" }).toString(),
      redirect: "manual",
    });
    expect(signIn.status).toBe(503);
    expect(signIn.headers.get("content-type")).toMatch(/text\/html/);
    expect(await signIn.text()).toContain("База данных недоступна");
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(503);

    await new Promise((resolve) => setTimeout(resolve, 1500));
    await postgres.start();
    await waitFor("pays to be acknowledged again after the restart", async () => payments.filter((payment) => payment.acknowledged).length >= acknowledgedAtCrash + 60, 60_000);
    stopLoad = true;
    await Promise.all(lanes);

    // Only the protocol's answers were given: success, or result 1 (temporary). No 500, no other result, no hang.
    for (const what of answers.keys()) expect(["200/0", "200/1"]).toContain(what);
    expect(answers.get("200/1") ?? 0).toBeGreaterThan(0);

    await waitFor(
      "every acknowledged pay to be credited",
      async () => {
        const verdict = await verifyMoney(databaseUrl, payments);
        return verdict.uncredited.length === 0 ? verdict : undefined;
      },
      60_000,
    );
    const verdict = await verifyMoney(databaseUrl, payments);
    expect(verdict.uncredited).toEqual([]);
    expect(verdict.wrong).toEqual([]);
    expect(verdict.creditedOnce).toBe(verdict.acknowledged);
    // The pays sent while it was down and never acknowledged: recorded nowhere (they were not committed either).
    expect(verdict.unexpected).toBe(0);
    expect(verdict.ledgerTotal).toBe(0n);
    expect(verdict.balanceMismatches).toBe(0);
    expect(hub!.child.exitCode).toBeNull();
  }, 150_000);
});
