import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { startHub, type RunningHub } from "../../src/hub.ts";
import { createLogger } from "../../src/log.ts";
import { startTestHub, testEnvironment, type TestHub } from "../support/test-hub.ts";

// METRICS_TOKEN: /metrics shows queue depths, failure counts and process details; when the token is set only a
// scrape that sends it is answered, on the server and on a worker-only process's metrics port alike.

const METRICS_TOKEN = "a-prometheus-scrape-token-0123";

const scrape = (url: string, authorization?: string) => fetch(`${url}/metrics`, { headers: authorization === undefined ? {} : { authorization } });

describe("GET /metrics with METRICS_TOKEN set", () => {
  let server: TestHub;
  let worker: RunningHub;
  const urls = () => ({ server: server.url, worker: `http://127.0.0.1:${worker.port}` });
  beforeAll(async () => {
    server = await startTestHub({ HUB_ROLE: "server", METRICS_TOKEN });
    const config = loadConfig(
      testEnvironment({ HUB_ROLE: "worker", DATABASE_URL: server.databaseUrl, REDIS_URL: server.redisUrl, QUEUE_PREFIX: server.config.queuePrefix, METRICS_TOKEN }),
    );
    worker = await startHub(config, createLogger(config.logLevel), { databaseUrl: server.databaseUrl, redisUrl: server.redisUrl });
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.stop();
  });

  it("when a scrape sends no token, a wrong one or another scheme, then 401 with WWW-Authenticate and no metric", async () => {
    for (const [role, url] of Object.entries(urls())) {
      for (const authorization of [undefined, "Bearer a-wrong-token-0123456789", `Basic ${Buffer.from(`prometheus:${METRICS_TOKEN}`).toString("base64")}`, `Bearer ${METRICS_TOKEN}x`]) {
        const response = await scrape(url, authorization);
        expect(response.status, `${role} ${authorization}`).toBe(401);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="payhub metrics"/);
        expect(await response.text()).not.toMatch(/payhub_/);
      }
    }
  });

  it("when a scrape sends Authorization: Bearer <METRICS_TOKEN>, then the server and the worker answer their metrics", async () => {
    const serverText = await (await scrape(urls().server, `Bearer ${METRICS_TOKEN}`)).text();
    expect(serverText).toMatch(/^# TYPE payhub_intake_requests_total counter$/m);
    const workerResponse = await scrape(urls().worker, `Bearer ${METRICS_TOKEN}`);
    expect(workerResponse.status).toBe(200);
    expect(await workerResponse.text()).toMatch(/^# TYPE payhub_credit_latency_seconds histogram$/m);
  });

  it("when the token is set, then the liveness probes still answer without it", async () => {
    for (const url of Object.values(urls())) expect((await fetch(`${url}/health/live`)).status).toBe(200);
  });
});
