import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedSha1Hash } from "../../adapters/yoomoney/verify.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// What the engineer on call is given in ops/: the Grafana dashboard and the alerting rules may use only metrics the
// hub exports, and the hub exports when each channel last sent a payment (the silence alert) and the open suspense.

const ops = (path: string) => fileURLToPath(new URL(`../../ops/${path}`, import.meta.url));

/** Every PromQL expression of the dashboard: its panels' targets (rows' panels too) and its variables' queries. */
function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(ops("grafana/payhub-dashboard.json"), "utf8")) as {
    panels: Panel[];
    templating: { list: { type: string; query?: unknown; definition?: string }[] };
    schemaVersion: number;
  };
  type Panel = { targets?: { expr?: string }[]; panels?: Panel[] };
  const expressions: string[] = [];
  const walk = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) if (target.expr) expressions.push(target.expr);
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const variable of dashboard.templating.list) if (variable.type === "query" && variable.definition) expressions.push(variable.definition);
  return expressions;
}

/** Every rule's `expr` in a Prometheus rules file: on its line, or as a block scalar (`expr: |`) on the lines below it. */
function ruleExpressions(text: string): string[] {
  const lines = text.split("\n");
  const expressions: string[] = [];
  lines.forEach((line, index) => {
    const match = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!match) return;
    if (!/^[|>][-+]?$/.test(match[2]!.trim())) {
      expressions.push(match[2]!);
      return;
    }
    const block: string[] = [];
    for (const next of lines.slice(index + 1)) {
      if (next.trim() !== "" && next.search(/\S/) <= match[1]!.length) break;
      block.push(next.trim());
    }
    expressions.push(block.join(" ").trim());
  });
  return expressions;
}

/** The payhub metrics an expression reads, by the name their HELP line gives (a histogram's _bucket, _sum, _count are its own). */
function metricNames(expressions: string[], histograms: Set<string>): Set<string> {
  const names = new Set<string>();
  for (const expression of expressions) {
    for (const name of expression.match(/\bpayhub_[a-z0-9_]+/g) ?? []) {
      const base = name.replace(/_(bucket|sum|count)$/, "");
      names.add(histograms.has(base) ? base : name);
    }
  }
  return names;
}

/** The value of one sample in a text exposition, by its name with labels exactly as rendered; undefined if absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const YOOMONEY_SECRET = "ym-ops-metrics-secret";
const yoomoneyNotification = (operationId: string, label: string, amount: string) => {
  const signed = { notification_type: "p2p-incoming", operation_id: operationId, amount, currency: "643", datetime: "2026-11-24T09:00:00.000+10:00", sender: "41001000088", codepro: "false", label };
  return new URLSearchParams({ ...signed, test_notification: "false", unaccepted: "false", sha1_hash: expectedSha1Hash(signed, YOOMONEY_SECRET) }).toString();
};

describe("ops/: the dashboard and the alerting rules against a real scrape", () => {
  let hub: TestHub;
  let started: number;
  beforeAll(async () => {
    started = Date.now() / 1000;
    hub = await startTestHub({ YOOMONEY_NOTIFICATION_SECRET: YOOMONEY_SECRET });
  });
  afterAll(async () => {
    await hub?.stop();
  });
  const scrape = async () => {
    const response = await fetch(`${hub.url}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  };

  it("when nothing came yet, then each channel's last payment is the process's start, with its threshold and working hours", async () => {
    const text = await scrape();
    const start = sample(text, 'payhub_channel_last_payment_timestamp_seconds{channel="osmp:qiwi"}')!;
    expect(start).toBeGreaterThanOrEqual(Math.floor(started) - 1);
    expect(start).toBeLessThanOrEqual(Date.now() / 1000);
    for (const channel of hub.config.channels.flatMap((entry) => entry.channelIds)) {
      expect(sample(text, `payhub_channel_last_payment_timestamp_seconds{channel="${channel}"}`)).toBe(start);
      expect(sample(text, `payhub_channel_silence_threshold_seconds{channel="${channel}"}`)).toBe(hub.config.channelSilence[channel]!.thresholdSeconds);
      expect([0, 1]).toContain(sample(text, `payhub_channel_working_hours{channel="${channel}"}`));
    }
    expect(sample(text, 'payhub_channel_silence_threshold_seconds{channel="osmp:qiwi"}')).toBe(3600);
    expect(sample(text, 'payhub_channel_working_hours{channel="osmp:qiwi"}')).toBe(1);
    expect(sample(text, 'payhub_channel_working_period_start_timestamp_seconds{channel="osmp:qiwi"}')).toBe(0);
    expect(sample(text, "payhub_suspense_open")).toBe(0);
    expect(sample(text, "payhub_suspense_open_kopecks")).toBe(0);
  });

  it("when an OSMP pay is accepted, then that channel's last payment moves to about now and the others stay; a YooMoney payment for an unknown account shows as open suspense", async () => {
    const before = await scrape();
    const start = sample(before, 'payhub_channel_last_payment_timestamp_seconds{channel="osmp:vladik"}')!;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await osmp(hub.url, { command: "check", txn_id: "9100", account: "100082", sum: "10.00" })).result).toBe(0);
    expect(sample(await scrape(), 'payhub_channel_last_payment_timestamp_seconds{channel="osmp:qiwi"}')).toBe(start);

    const sent = Date.now() / 1000;
    expect((await osmp(hub.url, payParams(9101, "100082", "10.00"))).result).toBe(0);
    const answered = Date.now() / 1000;
    const post = await fetch(`${hub.url}/webhooks/yoomoney`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: yoomoneyNotification("ym-ops-1", "100018", "250.00") });
    expect(post.status).toBe(200);
    await waitUntilAllCredited(hub);

    const text = await scrape();
    const last = sample(text, 'payhub_channel_last_payment_timestamp_seconds{channel="osmp:qiwi"}')!;
    expect(last).toBeGreaterThanOrEqual(sent - 0.01);
    expect(last).toBeLessThanOrEqual(answered + 0.01);
    expect(sample(text, 'payhub_channel_last_payment_timestamp_seconds{channel="yoomoney"}')).toBeGreaterThan(start);
    expect(sample(text, 'payhub_channel_last_payment_timestamp_seconds{channel="osmp:vladik"}')).toBe(start);
    // The repeat of the same pay is a duplicate, not a new payment.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await osmp(hub.url, payParams(9101, "100082", "10.00"))).result).toBe(0);
    expect(sample(await scrape(), 'payhub_channel_last_payment_timestamp_seconds{channel="osmp:qiwi"}')).toBe(last);

    expect(sample(text, "payhub_suspense_open")).toBe(1);
    expect(sample(text, "payhub_suspense_open_kopecks")).toBe(25000);
    const queues = await fetch(`${hub.url}/api/operations/queues`, { headers: { authorization: `Bearer ${hub.config.adminToken}` } });
    expect(await queues.json()).toMatchObject({ openSuspense: { items: 1, amount: "250.00" } });
  });

  it("every payhub metric the dashboard and the alerting rules read is one the hub exports", async () => {
    const text = await scrape();
    const exported = new Set([...text.matchAll(/^# HELP (payhub_[a-z0-9_]+) /gm)].map((match) => match[1]!));
    const histograms = new Set([...text.matchAll(/^# TYPE (payhub_[a-z0-9_]+) histogram$/gm)].map((match) => match[1]!));
    expect(histograms).toContain("payhub_intake_duration_seconds");

    const dashboard = metricNames(dashboardExpressions(), histograms);
    const rules = metricNames(ruleExpressions(readFileSync(ops("prometheus-alerts.yml"), "utf8")), histograms);
    // What the on-call engineer is promised to see.
    expect([...dashboard]).toEqual(
      expect.arrayContaining([
        "payhub_intake_requests_total",
        "payhub_intake_duration_seconds",
        "payhub_credit_latency_seconds",
        "payhub_queue_jobs",
        "payhub_jobs_failed_total",
        "payhub_billing_unsent",
        "payhub_billing_oldest_unsent_age_seconds",
        "payhub_billing_failed",
        "payhub_suspense_open",
        "payhub_outbox_backlog",
        "payhub_payments_failed",
        "payhub_intake_incidents_open",
        "payhub_channel_last_payment_timestamp_seconds",
        "payhub_channel_silence_threshold_seconds",
        "payhub_channel_working_hours",
        "payhub_registry_missing",
      ]),
    );
    expect(rules.size).toBeGreaterThanOrEqual(10);
    expect([...rules]).toEqual(expect.arrayContaining(["payhub_channel_last_payment_timestamp_seconds", "payhub_channel_working_period_start_timestamp_seconds"]));
    expect([...dashboard, ...rules].filter((name) => !exported.has(name))).toEqual([]);
  });

  it("when the rules file is read as the test reads it, then every rule's expression is found, the multi-line one whole", () => {
    const text = readFileSync(ops("prometheus-alerts.yml"), "utf8");
    const expressions = ruleExpressions(text);
    expect(expressions).toHaveLength(text.match(/^\s*- alert: /gm)!.length);
    expect(expressions.find((expression) => expression.includes("payhub_channel_working_hours"))).toMatch(/^\( time\(\) - max by \(channel\).* == 1\)$/);
  });

  it("the scrape configuration loads the alerting rules and scrapes the job the rules name", () => {
    const config = readFileSync(ops("prometheus.yml"), "utf8");
    expect(config).toMatch(/^rule_files:\n(?:\s*#.*\n)*\s*- prometheus-alerts\.yml$/m);
    expect(config).toMatch(/- job_name: payhub$/m);
    expect(config).toMatch(/credentials_file: /);
    expect(readFileSync(ops("prometheus-alerts.yml"), "utf8")).toContain('up{job="payhub"}');
  });

  // promtool (Debian's prometheus package; .ci/run installs it when missing) checks the PromQL and runs the rules' unit tests.
  const promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].find((path) => existsSync(path));
  it("promtool: the rules parse and their unit tests (ops/prometheus-alerts.test.yml) pass", () => {
    if (!promtool) throw new Error("promtool is not installed: apt-get install prometheus (Debian's package provides /usr/bin/promtool)");
    execFileSync(promtool!, ["check", "rules", ops("prometheus-alerts.yml")], { stdio: "pipe" });
    execFileSync(promtool!, ["test", "rules", ops("prometheus-alerts.test.yml")], { stdio: "pipe" });
  });
});
