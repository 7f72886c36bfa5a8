import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { freePort } from "../src/infra/local-services.ts";
import { deleteQueueKeys } from "../src/queue/delete-keys.ts";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type net from "node:net";
import pg from "pg";
import { bankHash } from "../adapters/bank-xml/verify.ts";
import { expectedSha1Hash } from "../adapters/yoomoney/verify.ts";
import { verifyBillingSignature } from "../src/billing/notification.ts";

/**
 * Several payhub processes on one PostgreSQL and one Redis, as an ISP runs them on two or three machines behind a
 * balancer: servers (HUB_ROLE=server) and workers (HUB_ROLE=worker) started together on a fresh database, signed
 * traffic of several channels sent through every server, processes SIGKILLed mid-load and started again, and the
 * money checked at the end: every payment a provider was told was accepted is credited exactly once, nothing else
 * was recorded, and the ledger balances.
 *
 * `npx tsx ops/local-cluster.ts [--payments 1200] [--servers 2] [--workers 2] [--keep]` runs it against the local
 * PostgreSQL and Redis (DATABASE_SERVER_URL, REDIS_URL to point elsewhere) and prints what it saw; the test
 * test/integration/several-processes.test.ts runs the same code.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const CLUSTER_SECRETS = {
  BANK_PRIMORYE_HASH_SECRET: "cluster-bank-primorye-secret",
  YOOMONEY_NOTIFICATION_SECRET: "cluster-yoomoney-secret",
  HUB_ADMIN_TOKEN: "cluster-admin-token-0123456789",
  BILLING_WEBHOOK_SECRET: "cluster-billing-secret-0123456789",
} as const;

/**
 * The billing system's side: receives the workers' notifications (each worker runs a relay and a sender), checks
 * each signature, and counts deliveries per notificationId (its idempotency key: delivery is at least once).
 */
export interface BillingReceiver {
  url: string;
  /** Deliveries per notification id, of correctly signed requests. */
  deliveries: Map<string, number>;
  /** Requests whose signature did not verify. */
  badSignatures: number;
  close(): Promise<void>;
}

export async function startBillingReceiver(): Promise<BillingReceiver> {
  const deliveries = new Map<string, number>();
  const receiver = { deliveries, badSignatures: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const header = (name: string) => (typeof req.headers[name] === "string" ? (req.headers[name] as string) : undefined);
      if (!verifyBillingSignature(CLUSTER_SECRETS.BILLING_WEBHOOK_SECRET, { signature: header("x-payhub-signature"), timestamp: header("x-payhub-timestamp") }, body)) {
        receiver.badSignatures += 1;
        res.writeHead(401).end();
        return;
      }
      const { notificationId } = JSON.parse(body.toString("utf8")) as { notificationId: string };
      deliveries.set(String(notificationId), (deliveries.get(String(notificationId)) ?? 0) + 1);
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/payhub-notifications`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** Demo subscribers (loaded by the first process on the empty database) the traffic pays. */
export const CLUSTER_ACCOUNTS = ["100080", "100081", "100082", "100083", "100084"] as const;

export interface ClusterProcess {
  name: string;
  role: "server" | "worker";
  /** The HTTP port: a server's PORT, a worker's WORKER_METRICS_PORT. Kept across restarts. */
  port: number;
  child: ChildProcess | undefined;
  /** Every line the process wrote, over all its runs. */
  output: string[];
  exits: { code: number | null; signal: NodeJS.Signals | null }[];
}

export interface ClusterOptions {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  servers: number;
  workers: number;
  /** Added to every process's environment. */
  env?: Record<string, string>;
  /** Every output line of every process, prefixed with its name (the CLI prints them; the test keeps them). */
  onLine?: (name: string, line: string) => void;
}


export class LocalCluster {
  readonly processes: ClusterProcess[] = [];

  private constructor(private readonly options: ClusterOptions) {}

  static async create(options: ClusterOptions): Promise<LocalCluster> {
    const cluster = new LocalCluster(options);
    for (let index = 1; index <= options.servers; index += 1) cluster.processes.push(await cluster.describe(`server-${index}`, "server"));
    for (let index = 1; index <= options.workers; index += 1) cluster.processes.push(await cluster.describe(`worker-${index}`, "worker"));
    return cluster;
  }

  private async describe(name: string, role: "server" | "worker"): Promise<ClusterProcess> {
    return { name, role, port: await freePort(), child: undefined, output: [], exits: [] };
  }

  get servers(): ClusterProcess[] {
    return this.processes.filter((process) => process.role === "server");
  }

  get workers(): ClusterProcess[] {
    return this.processes.filter((process) => process.role === "worker");
  }

  url(server: ClusterProcess): string {
    return `http://127.0.0.1:${server.port}`;
  }

  /** Starts every process at once (the start-up race is part of what is checked) and waits until all are ready. */
  async startAll(readyTimeoutMs = 90_000): Promise<void> {
    await Promise.all(this.processes.map((process) => this.start(process, readyTimeoutMs)));
  }

  /** Starts one process (again) on its port and waits for its /health/live (a worker's metrics port) to answer. */
  async start(process: ClusterProcess, readyTimeoutMs = 90_000): Promise<void> {
    const env: Record<string, string> = {
      ...globalThis.process.env,
      NODE_ENV: "development",
      HUB_DEMO_DATA: "true",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      DATABASE_URL: this.options.databaseUrl,
      REDIS_URL: this.options.redisUrl,
      QUEUE_PREFIX: this.options.queuePrefix,
      HUB_ROLE: process.role,
      PORT: String(process.role === "server" ? process.port : 0),
      WORKER_METRICS_PORT: String(process.role === "worker" ? process.port : 0),
      // Recovery within seconds rather than minutes, so a run shows it.
      SWEEP_INTERVAL_MS: "500",
      SWEEP_AFTER_MS: "2000",
      CREDIT_BACKOFF_MS: "100",
      ...CLUSTER_SECRETS,
      ...this.options.env,
    };
    const child = spawn(globalThis.process.execPath, ["--import", "tsx", path.join(ROOT, "src/main.ts")], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    process.child = child;
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() === "") continue;
        process.output.push(line);
        this.options.onLine?.(process.name, line);
      }
    };
    child.stdout!.on("data", forward);
    child.stderr!.on("data", forward);
    child.once("exit", (code, signal) => process.exits.push({ code, signal }));

    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${process.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${process.output.slice(-15).join("\n")}`);
      }
      if (Date.now() > deadline) throw new Error(`${process.name} was not ready within ${readyTimeoutMs / 1000} s:\n${process.output.slice(-15).join("\n")}`);
      const live = await fetch(`http://127.0.0.1:${process.port}/health/live`, { signal: AbortSignal.timeout(1000) }).then(
        (response) => response.ok,
        () => false,
      );
      if (live) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** SIGKILL: no graceful shutdown, no answer finished, as when a machine dies. */
  async kill(process: ClusterProcess): Promise<void> {
    const child = process.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** SIGTERM to every process still running (SIGKILL after 20 s). */
  async stopAll(): Promise<void> {
    await Promise.all(
      this.processes.map(async (process) => {
        const child = process.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/** A payment as the provider sends it, and whether the provider was told it was accepted. */
export interface SentPayment {
  channel: "osmp:qiwi" | "bank:primorye" | "yoomoney";
  externalId: string;
  account: string;
  kopecks: number;
  acknowledged: boolean;
  /** Requests it took (a provider repeats a payment it got no success answer for). */
  attempts: number;
  /** The last answer that was not success (status and the body's start), for a payment that is never acknowledged. */
  lastRefusal?: string;
}

function rubles(kopecks: number): string {
  return `${Math.floor(kopecks / 100)}.${String(kopecks % 100).padStart(2, "0")}`;
}

/** One request of the payment to one server; true when the answer is the channel's success (else noted on the payment). */
async function sendOnce(baseUrl: string, payment: SentPayment): Promise<boolean> {
  const answered = (status: number, body: string, ok: boolean) => {
    if (!ok) payment.lastRefusal = `${baseUrl}: HTTP ${status} ${body.replace(/\s+/g, " ").slice(0, 160)}`;
    return ok;
  };
  const signal = AbortSignal.timeout(10_000);
  if (payment.channel === "osmp:qiwi") {
    const query = new URLSearchParams({ command: "pay", txn_id: payment.externalId, account: payment.account, sum: rubles(payment.kopecks), txn_date: "20261206120000" });
    const response = await fetch(`${baseUrl}/webhooks/osmp/qiwi?${query}`, { signal });
    const body = await response.text();
    return answered(response.status, body, response.status === 200 && /<result>0<\/result>/.test(body));
  }
  if (payment.channel === "bank:primorye") {
    const params = { ACTION: "payment", ACCOUNT: payment.account, AMOUNT: rubles(payment.kopecks), PAY_ID: payment.externalId, PAY_DATE: "06.12.2026_12:00:00" };
    const signed = { ...params, hash: bankHash(params, CLUSTER_SECRETS.BANK_PRIMORYE_HASH_SECRET) };
    const response = await fetch(`${baseUrl}/webhooks/bank/primorye?${new URLSearchParams(signed)}`, { signal });
    const body = await response.text();
    // CODE 8 (duplicate, with the original EXT_ID) is the bank protocol's answer to a repeat of a registered payment:
    // the bank takes it as registered. It comes when a killed server had committed the payment but not answered.
    return answered(response.status, body, response.status === 200 && (/<CODE>0<\/CODE>/.test(body) || (/<CODE>8<\/CODE>/.test(body) && /<EXT_ID>\d+<\/EXT_ID>/.test(body))));
  }
  const fields = {
    notification_type: "p2p-incoming",
    operation_id: payment.externalId,
    amount: rubles(payment.kopecks),
    currency: "643",
    datetime: "2026-12-06T12:00:00.000+10:00",
    sender: "41001000040",
    codepro: "false",
    label: payment.account,
  };
  const body = new URLSearchParams({ ...fields, withdraw_amount: rubles(payment.kopecks + 200), test_notification: "false", unaccepted: "false", sha1_hash: expectedSha1Hash(fields, CLUSTER_SECRETS.YOOMONEY_NOTIFICATION_SECRET) });
  const response = await fetch(`${baseUrl}/webhooks/yoomoney`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: body.toString(), signal });
  return answered(response.status, await response.text(), response.status === 200);
}

export interface TrafficOptions {
  payments: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** A provider gives up on a payment after this many requests without success (it stays unacknowledged). */
  maxAttempts?: number;
  /** Called after each payment is settled (acknowledged or given up), with how many are settled. */
  onProgress?: (settled: number) => void;
  /** Unique per run: the payments' external ids start with it. */
  runId: string;
}

/**
 * Sends the payments through the servers in turn, the three channels in turn; a payment answered anything but
 * success (a server killed mid-request, refusing connections, or answering a temporary error) is repeated on the
 * next server, as a provider repeats it and a balancer moves it, until it is acknowledged.
 */
export async function driveTraffic(cluster: LocalCluster, options: TrafficOptions): Promise<SentPayment[]> {
  const channels: SentPayment["channel"][] = ["osmp:qiwi", "bank:primorye", "yoomoney"];
  const payments: SentPayment[] = Array.from({ length: options.payments }, (_, index) => {
    const channel = channels[index % channels.length]!;
    const serial = `${options.runId}${String(index).padStart(6, "0")}`;
    return {
      channel,
      // OSMP txn_ids and bank PAY_IDs are digits; YooMoney operation ids are free text.
      externalId: channel === "yoomoney" ? `ym-${serial}` : serial,
      account: CLUSTER_ACCOUNTS[index % CLUSTER_ACCOUNTS.length]!,
      kopecks: 10_000 + ((index * 137) % 90_000),
      acknowledged: false,
      attempts: 0,
    };
  });
  const maxAttempts = options.maxAttempts ?? 40;
  let next = 0;
  let settled = 0;
  const lane = async (laneIndex: number) => {
    for (let index = next++; index < payments.length; index = next++) {
      const payment = payments[index]!;
      while (!payment.acknowledged && payment.attempts < maxAttempts) {
        const servers = cluster.servers;
        const server = servers[(index + laneIndex + payment.attempts) % servers.length]!;
        payment.attempts += 1;
        payment.acknowledged = await sendOnce(cluster.url(server), payment).catch((error: unknown) => {
          payment.lastRefusal = `${cluster.url(server)}: no answer (${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)})`;
          return false;
        });
        if (!payment.acknowledged) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      settled += 1;
      options.onProgress?.(settled);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, laneIndex) => lane(laneIndex)));
  return payments;
}

export interface MoneyVerdict {
  acknowledged: number;
  /** Acknowledged payments credited by exactly one posting, with the sent account and amount. */
  creditedOnce: number;
  /** Acknowledged payments not (yet) credited, or missing from the database. */
  uncredited: string[];
  /** Acknowledged payments recorded with another account or amount than sent. */
  wrong: string[];
  /** Payments of this run recorded that no provider request of it sent. */
  unexpected: number;
  /** Sum of all entries (0 when every posting balances). */
  ledgerTotal: bigint;
  /** Subscriber accounts whose cached balance differs from the sum of their entries. */
  balanceMismatches: number;
  /** Per demo account: balance raised by exactly the acknowledged payments to it. */
  balancesMatch: boolean;
  ok: boolean;
}

/** The money, read from PostgreSQL: what an auditor would check after the run. */
export async function verifyMoney(databaseUrl: string, payments: SentPayment[]): Promise<MoneyVerdict> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ channel: string; external_id: string; account_number: string; amount_kopecks: string; status: string; credits: number }>(
      `SELECT p.channel, p.external_id, p.account_number, p.amount_kopecks, p.status::text AS status,
              (SELECT count(*)::int FROM posting c WHERE c.credit_of_payment_id = p.id AND c.kind = 'payment-credit') AS credits
       FROM inbound_payment p WHERE p.channel = ANY($1::text[])`,
      [["osmp:qiwi", "bank:primorye", "yoomoney"]],
    );
    const recorded = new Map(rows.map((row) => [`${row.channel}/${row.external_id}`, row]));
    const sent = new Set(payments.map((payment) => `${payment.channel}/${payment.externalId}`));
    const acknowledged = payments.filter((payment) => payment.acknowledged);
    const uncredited: string[] = [];
    const wrong: string[] = [];
    let creditedOnce = 0;
    for (const payment of acknowledged) {
      const key = `${payment.channel}/${payment.externalId}`;
      const row = recorded.get(key);
      if (!row || row.status !== "credited" || row.credits !== 1) {
        uncredited.push(`${key} (${row ? `${row.status}, ${row.credits} credit postings` : "not recorded"})`);
        continue;
      }
      if (row.account_number !== payment.account || BigInt(row.amount_kopecks) !== BigInt(payment.kopecks)) {
        wrong.push(`${key}: recorded ${row.account_number} ${row.amount_kopecks}, sent ${payment.account} ${payment.kopecks}`);
        continue;
      }
      creditedOnce += 1;
    }
    const unexpected = rows.filter((row) => !sent.has(`${row.channel}/${row.external_id}`)).length;
    const total = await client.query<{ total: string }>("SELECT COALESCE(SUM(amount_kopecks), 0)::text AS total FROM ledger_entry");
    const mismatches = await client.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM subscriber_account s
       WHERE s.balance_kopecks <> (SELECT COALESCE(SUM(e.amount_kopecks), 0) FROM ledger_entry e WHERE e.ledger_account_id = s.ledger_account_id)`,
    );
    // Payments a provider was not told were accepted may still have been committed (a server killed between its
    // commit and its answer): those are credited too, so balances count every credited payment of this run.
    const balances = await client.query<{ number: string; balance_kopecks: string; credited: string }>(
      `SELECT s.number, s.balance_kopecks::text,
              (SELECT COALESCE(SUM(p.amount_kopecks), 0) FROM inbound_payment p WHERE p.account_id = s.id AND p.status = 'credited')::text AS credited
       FROM subscriber_account s WHERE s.number = ANY($1::text[])`,
      [[...CLUSTER_ACCOUNTS]],
    );
    const balancesMatch = balances.rows.length === CLUSTER_ACCOUNTS.length && balances.rows.every((row) => row.balance_kopecks === row.credited);
    const ledgerTotal = BigInt(total.rows[0]!.total);
    const balanceMismatches = mismatches.rows[0]!.count;
    return {
      acknowledged: acknowledged.length,
      creditedOnce,
      uncredited,
      wrong,
      unexpected,
      ledgerTotal,
      balanceMismatches,
      balancesMatch,
      ok: creditedOnce === acknowledged.length && unexpected === 0 && ledgerTotal === 0n && balanceMismatches === 0 && balancesMatch,
    };
  } finally {
    await client.end();
  }
}

/** Waits until no payment of the run waits for its credit (accepted), or the time is up; returns how many still wait. */
export async function waitForCredits(databaseUrl: string, timeoutMs: number, onWaiting?: (waiting: number) => void): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ waiting: number }>("SELECT count(*)::int AS waiting FROM inbound_payment WHERE status = 'accepted'");
      const waiting = rows[0]!.waiting;
      if (waiting === 0 || Date.now() > deadline) return waiting;
      onWaiting?.(waiting);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await client.end();
  }
}

/** Demo staff rows: each login once, whatever the number of processes that started together. */
export async function staffLogins(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ login: string }>("SELECT login FROM staff_user ORDER BY login");
    return rows.map((row) => row.login);
  } finally {
    await client.end();
  }
}

export interface BillingVerdict {
  /** Rows in billing_notification (one per posting). */
  notifications: number;
  /** Of them, delivered to the receiver at least once. */
  delivered: number;
  /** Deliveries beyond the first, by notification id (at least once: a worker killed between its POST and its record). */
  repeated: number;
  /** Delivered ids the database does not have (must be none). */
  unknown: number;
  badSignatures: number;
  ok: boolean;
}

/** Waits until every notification row is delivered (or the time is up), then compares the receiver with the rows. */
export async function verifyBilling(databaseUrl: string, receiver: BillingReceiver, timeoutMs: number): Promise<BillingVerdict> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    let ids: string[] = [];
    for (;;) {
      ids = (await client.query<{ id: string }>("SELECT id::text AS id FROM billing_notification")).rows.map((row) => row.id);
      const undelivered = ids.filter((id) => !receiver.deliveries.has(id)).length;
      if (undelivered === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const known = new Set(ids);
    const delivered = ids.filter((id) => receiver.deliveries.has(id)).length;
    const repeated = [...receiver.deliveries.values()].reduce((sum, count) => sum + count - 1, 0);
    const unknown = [...receiver.deliveries.keys()].filter((id) => !known.has(id)).length;
    return {
      notifications: ids.length,
      delivered,
      repeated,
      unknown,
      badSignatures: receiver.badSignatures,
      ok: delivered === ids.length && unknown === 0 && receiver.badSignatures === 0,
    };
  } finally {
    await client.end();
  }
}

export interface ScenarioReport {
  payments: SentPayment[];
  verdict: MoneyVerdict;
  killed: string[];
  stillWaiting: number;
}

/**
 * The scenario: start every process together, send the payments, SIGKILL one worker and one server when a third
 * is settled, start them again at two thirds, wait for the credits, check the money.
 */
export async function runScenario(cluster: LocalCluster, options: { payments: number; concurrency: number; databaseUrl: string; runId: string; progress?: (line: string) => void }): Promise<ScenarioReport> {
  const progress = options.progress ?? (() => undefined);
  const victims = [cluster.workers[0], cluster.servers[0]].filter((process): process is ClusterProcess => process !== undefined);
  const killed: string[] = [];
  let killing: Promise<void> | undefined;
  let restarting: Promise<void> | undefined;
  let lastReport = 0;
  const payments = await driveTraffic(cluster, {
    payments: options.payments,
    concurrency: options.concurrency,
    runId: options.runId,
    onProgress: (settled) => {
      if (settled - lastReport >= Math.max(1, Math.floor(options.payments / 10))) {
        lastReport = settled;
        progress(`${settled} of ${options.payments} payments settled`);
      }
      if (!killing && settled >= options.payments / 3) {
        killing = (async () => {
          for (const victim of victims) {
            await cluster.kill(victim);
            killed.push(victim.name);
            progress(`SIGKILLed ${victim.name}`);
          }
        })();
      }
      if (killing && !restarting && settled >= (options.payments * 2) / 3) {
        restarting = killing.then(async () => {
          await Promise.all(victims.map((victim) => cluster.start(victim)));
          progress(`started ${victims.map((victim) => victim.name).join(" and ")} again`);
        });
      }
    },
  });
  await killing;
  await restarting;
  const stillWaiting = await waitForCredits(options.databaseUrl, 60_000, (waiting) => progress(`${waiting} payments wait for their credit`));
  const verdict = await verifyMoney(options.databaseUrl, payments);
  return { payments, verdict, killed, stillWaiting };
}

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

async function main(): Promise<number> {
  const serverUrl = process.env.DATABASE_SERVER_URL ?? "postgresql://postgres@127.0.0.1:5432";
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const databaseName = `payhub_cluster_${process.pid}`;
  const databaseUrl = `${serverUrl}/${databaseName}`;
  const keep = process.argv.includes("--keep");
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const billing = await startBillingReceiver();
  const cluster = await LocalCluster.create({
    databaseUrl,
    redisUrl,
    queuePrefix: `cluster${process.pid}`,
    servers: Number(argument("servers", "2")),
    workers: Number(argument("workers", "2")),
    env: { BILLING_WEBHOOK_URL: billing.url, BILLING_RELAY_INTERVAL_MS: "500" },
    onLine: (name, line) => process.stderr.write(`[${name}] ${line}\n`),
  });
  try {
    say(`starting ${cluster.servers.length} servers and ${cluster.workers.length} workers together on a fresh database ${databaseName}`);
    await cluster.startAll();
    say(`all ready; demo staff: ${(await staffLogins(databaseUrl)).join(", ")}`);
    const report = await runScenario(cluster, { payments: Number(argument("payments", "1200")), concurrency: 16, databaseUrl, runId: String(Date.now() % 1_000_000), progress: say });
    const { verdict } = report;
    say("");
    say(`killed and started again: ${report.killed.join(", ")}`);
    say(`acknowledged payments:              ${verdict.acknowledged} of ${report.payments.length}`);
    say(`credited exactly once, as sent:     ${verdict.creditedOnce}`);
    say(`not credited:                       ${verdict.uncredited.length}${verdict.uncredited.length ? ` (${verdict.uncredited.slice(0, 5).join("; ")})` : ""}`);
    say(`recorded differently from sent:     ${verdict.wrong.length}`);
    say(`recorded but never sent:            ${verdict.unexpected}`);
    say(`sum of all ledger entries:          ${verdict.ledgerTotal} kopecks`);
    say(`balances differing from entries:    ${verdict.balanceMismatches}`);
    say(`demo balances = credited payments:  ${verdict.balancesMatch ? "yes" : "NO"}`);
    const billed = await verifyBilling(databaseUrl, billing, 60_000);
    say(`billing notifications delivered:    ${billed.delivered} of ${billed.notifications} (${billed.repeated} repeated deliveries, same notificationId; ${billed.unknown} unknown; ${billed.badSignatures} bad signatures)`);
    const ok = verdict.ok && billed.ok;
    say(ok ? "OK: every acknowledged payment credited exactly once, ledger balanced, billing told of every posting" : "FAILED: see above");
    return ok ? 0 : 1;
  } finally {
    await cluster.stopAll();
    await billing.close();
    await deleteQueueKeys(redisUrl, `cluster${process.pid}`);
    if (!keep) {
      const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      await admin.end();
    } else {
      say(`database ${databaseName} kept`);
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`local cluster failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
