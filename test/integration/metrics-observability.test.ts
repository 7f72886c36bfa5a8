import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { startHub, type RunningHub } from "../../src/hub.ts";
import { createLogger } from "../../src/log.ts";
import { osmp, payParams, readOsmpAnswer } from "../support/osmp-client.ts";
import { createDatabaseFromTemplate, dropDatabase, REDIS_URL } from "../support/services.ts";
import { deleteQueueKeys, startTestHub, testEnvironment, uniqueName, waitFor, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// Observability: Prometheus metrics per hub (two hubs in one process count apart), and one request id that follows
// a payment from the provider's request through intake and the payment row to the credit worker's log line.

/** The value of one sample in a text exposition, by its name with labels exactly as rendered; undefined if absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const scrape = async (url: string) => {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};

describe("GET /metrics", () => {
  let hub: TestHub;
  let other: TestHub;
  beforeAll(async () => {
    [hub, other] = await Promise.all([startTestHub(), startTestHub()]);
  });
  afterAll(async () => {
    await Promise.all([hub?.stop(), other?.stop()]);
  });

  it("when a few OSMP requests were handled, then the channel counters, the intake latency, the credit latency and the queue gauges show them", async () => {
    for (let txn = 1; txn <= 3; txn++) expect((await osmp(hub.url, payParams(5300 + txn, "100082", "10.00"))).result).toBe(0);
    expect((await osmp(hub.url, { command: "check", txn_id: "5400", account: "100082", sum: "10.00" })).result).toBe(0);
    expect((await osmp(hub.url, payParams(5401, "999999", "10.00"))).result).not.toBe(0);
    expect((await osmp(hub.url, payParams(5301, "100082", "10.00"))).result).toBe(0);
    await waitUntilAllCredited(hub);

    const text = await scrape(hub.url);
    expect(sample(text, 'payhub_intake_requests_total{channel="osmp:qiwi",command="pay",outcome="accepted"}')).toBe(3);
    expect(sample(text, 'payhub_intake_requests_total{channel="osmp:qiwi",command="pay",outcome="duplicate"}')).toBe(1);
    expect(sample(text, 'payhub_intake_requests_total{channel="osmp:qiwi",command="check",outcome="checked"}')).toBe(1);
    // The unknown account's refusal is counted under its own outcome.
    expect(text.match(/^payhub_intake_requests_total\{channel="osmp:qiwi",command="pay",outcome="(?!accepted|duplicate)[a-zA-Z]+"\} 1$/gm)).toHaveLength(1);
    expect(sample(text, 'payhub_intake_duration_seconds_count{channel="osmp:qiwi",command="pay"}')).toBe(5);
    expect(sample(text, 'payhub_intake_duration_seconds_bucket{le="+Inf",channel="osmp:qiwi",command="pay"}')).toBe(5);
    await waitFor("the credit latency of 3 credits", async () => sample(await scrape(hub.url), "payhub_credit_latency_seconds_count") === 3);
    for (const state of ["waiting", "active", "delayed", "failed"]) {
      expect(sample(text, `payhub_queue_jobs{queue="credit",state="${state}"}`)).toBe(0);
      expect(sample(text, `payhub_queue_jobs{queue="billing",state="${state}"}`)).toBe(0);
    }
    expect(sample(text, "payhub_outbox_backlog")).toBe(0);
    expect(sample(text, "payhub_payments_failed")).toBe(0);
    // No BILLING_WEBHOOK_URL: the three credits' notifications wait.
    expect(sample(text, "payhub_billing_unsent")).toBe(3);
    expect(sample(text, "payhub_billing_oldest_unsent_age_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "payhub_billing_notifications_sent_total")).toBe(0);
    expect(sample(text, "payhub_sweeper_resent_total")).toBe(0);
    expect(text).toMatch(/^payhub_process_cpu_user_seconds_total /m);

    // Another hub in the same process has a registry of its own.
    const otherText = await scrape(other.url);
    expect(otherText).not.toMatch(/^payhub_intake_requests_total\{/m);
    expect(sample(otherText, "payhub_credit_latency_seconds_count")).toBe(0);
  });

  it("every payhub metric the alerting rules in ops/prometheus-alerts.yml use is one the hub exposes", async () => {
    const rules = readFileSync(new URL("../../ops/prometheus-alerts.yml", import.meta.url), "utf8");
    const used = new Set(rules.match(/\bpayhub_[a-z_]+/g) ?? []);
    expect(used.size).toBeGreaterThanOrEqual(7);
    const exposed = new Set((await scrape(other.url)).match(/\bpayhub_[a-z_]+/g) ?? []);
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });

  it("when jobs wait in the credit queue, then the gauge counts them", async () => {
    // A delayed job (due in a minute) stays put while the scrape reads the queue, without racing the worker.
    await hub.hub.queue.add("credit-payment", { paymentId: "999999999" }, { jobId: "metrics-probe", delay: 60_000 });
    expect(sample(await scrape(hub.url), 'payhub_queue_jobs{queue="credit",state="delayed"}')).toBe(1);
    await hub.hub.queue.remove("metrics-probe");
  });
});

describe("a worker-only process", () => {
  it("when the roles run apart, then the worker serves its own counters (credit latency) on WORKER_METRICS_PORT", async () => {
    const hub = await startTestHub({ HUB_ROLE: "server" });
    try {
      const config = loadConfig(testEnvironment({ HUB_ROLE: "worker", DATABASE_URL: hub.databaseUrl, REDIS_URL: hub.redisUrl, QUEUE_PREFIX: hub.config.queuePrefix }));
      const worker = await startHub(config, createLogger(config.logLevel), { databaseUrl: hub.databaseUrl, redisUrl: hub.redisUrl });
      try {
        expect(worker.port).toBeGreaterThan(0);
        const workerUrl = `http://127.0.0.1:${worker.port}`;
        for (let txn = 1; txn <= 2; txn++) expect((await osmp(hub.url, payParams(5500 + txn, "100083", "10.00"))).result).toBe(0);
        await waitUntilAllCredited(hub);
        await waitFor("the worker's credit latency of 2 credits", async () => sample(await scrape(workerUrl), "payhub_credit_latency_seconds_count") === 2);
        // The server counted the requests; the worker counted the credits.
        expect(sample(await scrape(hub.url), "payhub_credit_latency_seconds_count")).toBe(0);
        expect(sample(await scrape(workerUrl), 'payhub_intake_requests_total{channel="osmp:qiwi",command="pay",outcome="accepted"}')).toBeUndefined();
        expect((await fetch(`${workerUrl}/webhooks/osmp/qiwi`)).status).toBe(404);
      } finally {
        await worker.stop();
      }
    } finally {
      await hub.stop();
    }
  });
});

describe("the request id", () => {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const databaseName = uniqueName("payhub_t");
  const prefix = uniqueName("t");
  let databaseUrl: string;
  const started: RunningHub[] = [];
  /** A hub of the given role on this test's database and queue, logging (info) into `lines`. */
  const start = async (role: "server" | "worker") => {
    const config = loadConfig(testEnvironment({ HUB_ROLE: role, DATABASE_URL: databaseUrl, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: "info" }));
    const hub = await startHub(config, createLogger("info", destination), { databaseUrl, redisUrl: REDIS_URL });
    started.push(hub);
    return hub;
  };
  beforeAll(async () => {
    databaseUrl = await createDatabaseFromTemplate(databaseName);
  });
  afterAll(async () => {
    for (const hub of started.reverse()) await hub.stop();
    await deleteQueueKeys(REDIS_URL, prefix);
    await dropDatabase(databaseName);
  });

  it("when an OSMP pay comes with X-Request-Id, then intake's line, the payment row, the credit job and the credit worker's line carry it, re-sent by the sweeper too", async () => {
    const server = await start("server");
    const pay = async (txn: number, requestId: string) => {
      const query = new URLSearchParams(payParams(txn, "100083", "25.00")).toString();
      const response = await fetch(`http://127.0.0.1:${server.port}/webhooks/osmp/qiwi?${query}`, { headers: { "x-request-id": requestId } });
      expect(response.headers.get("x-request-id")).toBe(requestId);
      const answer = await readOsmpAnswer(response);
      expect(answer.result).toBe(0);
      return answer.prvTxn!;
    };
    const fast = await pay(7700, "osmp-req-fast-0001");
    const swept = await pay(7701, "osmp-req-swept-0001");

    expect(lines.find((line) => line.msg === "pay accepted" && line.paymentId === fast)).toMatchObject({ requestId: "osmp-req-fast-0001", channel: "osmp:qiwi" });
    const rows = await server.db.inboundPayment.findMany({ where: { id: { in: [BigInt(fast), BigInt(swept)] } }, orderBy: { id: "asc" } });
    expect(rows.map((row) => row.requestId)).toEqual(["osmp-req-fast-0001", "osmp-req-swept-0001"]);
    expect((await server.queue.getJob(`payment-${fast}`))?.data).toEqual({ paymentId: fast, requestId: "osmp-req-fast-0001" });
    // Redis loses the second job: only the sweeper can bring it back, from the outbox and the payment row.
    await server.queue.remove(`payment-${swept}`);

    await start("worker");
    const creditLine = (paymentId: string) =>
      waitFor(`the credit worker's line of ${paymentId}`, async () => lines.find((line) => line.msg === "payment credited" && line.paymentId === paymentId));
    expect(await creditLine(fast)).toMatchObject({ requestId: "osmp-req-fast-0001", level: 30 });
    expect(await creditLine(swept)).toMatchObject({ requestId: "osmp-req-swept-0001" });
    expect(lines.some((line) => line.msg === "sweeper re-sent uncredited payments")).toBe(true);
  });
});
