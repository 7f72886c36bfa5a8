import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnHubProcess, waitForExit } from "../support/hub-process.ts";
import { adminQuery, databaseUrl, dropDatabase, REDIS_URL } from "../support/services.ts";
import { deleteQueueKeys, uniqueName } from "../support/test-hub.ts";

// Start-up failures people can act on: `npm start` (src/main.ts as its own process) with one thing wrong each time,
// and what the engineer reads: one line that says what went wrong and what to do, and a non-zero exit.

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Failure {
  code: number | null;
  /** The `payhub could not start: …` line (the message of a JSON log line, or the plain line of a configuration error). */
  line: string;
  output: string;
}

async function startExpectingFailure(env: Record<string, string>): Promise<Failure> {
  const { child, output } = spawnHubProcess(env);
  const timer = setTimeout(() => child.kill("SIGKILL"), 45_000);
  const code = await waitForExit(child);
  clearTimeout(timer);
  const lines = output().split("\n").filter((line) => line.includes("payhub could not start"));
  const line = lines.map((text) => (text.startsWith("{") ? (JSON.parse(text) as { msg: string }).msg : text))[0] ?? "";
  return { code, line, output: output() };
}

const databases: string[] = [];
const prefixes: string[] = [];
/** A queue prefix of its own (a hub that got as far as Redis before failing may have written keys under it). */
function freshPrefix(): string {
  const prefix = uniqueName("sf");
  prefixes.push(prefix);
  return prefix;
}
function freshDatabaseUrl(): string {
  const name = uniqueName("payhub_sf");
  databases.push(name);
  return databaseUrl(name);
}

afterAll(async () => {
  for (const name of databases) await dropDatabase(name);
  for (const prefix of prefixes) await deleteQueueKeys(REDIS_URL, prefix);
});

describe("when payhub cannot start, it says why and what to do in one line, and exits non-zero", () => {
  let occupied: net.Server;
  let occupiedPort: number;
  beforeAll(async () => {
    occupied = net.createServer();
    await new Promise<void>((resolve) => occupied.listen(0, "127.0.0.1", resolve));
    occupiedPort = (occupied.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => occupied.close(() => resolve())));

  it("the port is in use: names the port and PORT, no TypeError", async () => {
    const failure = await startExpectingFailure({ DATABASE_URL: freshDatabaseUrl(), REDIS_URL, PORT: String(occupiedPort), QUEUE_PREFIX: freshPrefix() });
    expect(failure.code).toBe(1);
    expect(failure.line).toBe(
      `payhub could not start: port ${occupiedPort} on 127.0.0.1 is already in use (EADDRINUSE): stop the process that holds it (ss -ltnp 'sport = :${occupiedPort}') or set PORT to a free port`,
    );
    expect(failure.output).not.toContain("TypeError");
  });

  it("a worker's metrics port is in use: names WORKER_METRICS_PORT", async () => {
    const failure = await startExpectingFailure({
      DATABASE_URL: freshDatabaseUrl(),
      REDIS_URL,
      HUB_ROLE: "worker",
      WORKER_METRICS_PORT: String(occupiedPort),
      QUEUE_PREFIX: freshPrefix(),
    });
    expect(failure.code).toBe(1);
    expect(failure.line).toContain(`port ${occupiedPort} on 127.0.0.1 is already in use (EADDRINUSE)`);
    expect(failure.line).toContain("set WORKER_METRICS_PORT to a free port");
  });

  it("PostgreSQL does not answer: names its address and DATABASE_URL", async () => {
    const port = await closedPort();
    const failure = await startExpectingFailure({ DATABASE_URL: `postgresql://postgres:s3cret-pw@127.0.0.1:${port}/payhub_nowhere`, REDIS_URL });
    expect(failure.code).toBe(1);
    expect(failure.line).toBe(
      `payhub could not start: PostgreSQL at 127.0.0.1:${port}/payhub_nowhere as postgres refuses connections (ECONNREFUSED): start PostgreSQL, or set DATABASE_URL to a running server`,
    );
    expect(failure.output).not.toContain("s3cret-pw");
  });

  it("PostgreSQL refuses the login: says so and points at the user in DATABASE_URL", async () => {
    const failure = await startExpectingFailure({ DATABASE_URL: "postgresql://no_such_payhub_role@127.0.0.1:5432/payhub_nowhere", REDIS_URL });
    expect(failure.code).toBe(1);
    expect(failure.line).toMatch(/^payhub could not start: PostgreSQL at 127\.0\.0\.1:5432\/payhub_nowhere as no_such_payhub_role refused the login \(.*no_such_payhub_role.*\): check the user and password in DATABASE_URL/);
  });

  it("the migrations fail (a database that holds someone else's tables): names prisma migrate status", async () => {
    const url = freshDatabaseUrl();
    const name = databases[databases.length - 1]!;
    await adminQuery(`CREATE DATABASE ${name}`);
    const other = new (await import("pg")).default.Client({ connectionString: url });
    await other.connect();
    await other.query("CREATE TABLE someone_elses (id int)");
    await other.end();
    const failure = await startExpectingFailure({ DATABASE_URL: url, REDIS_URL, QUEUE_PREFIX: freshPrefix() });
    expect(failure.code).toBe(1);
    expect(failure.line).toMatch(/^payhub could not start: the database migrations failed \(.*P3005.*\): run `DATABASE_URL=… npx prisma migrate status`/);
  });

  it("Redis does not answer: names its address and REDIS_URL", async () => {
    const port = await closedPort();
    const failure = await startExpectingFailure({ DATABASE_URL: freshDatabaseUrl(), REDIS_URL: `redis://127.0.0.1:${port}`, QUEUE_PREFIX: freshPrefix() });
    expect(failure.code).toBe(1);
    expect(failure.line).toBe(
      `payhub could not start: Redis at 127.0.0.1:${port} refuses connections (ECONNREFUSED): start redis-server, or set REDIS_URL (or REDIS_SENTINELS) to a running one`,
    );
  });

  it("a bad variable: one line naming it, and .env.example", async () => {
    const failure = await startExpectingFailure({ DATABASE_URL: freshDatabaseUrl(), REDIS_URL, PORT: "eighty" });
    expect(failure.code).toBe(1);
    expect(failure.line).toMatch(/^payhub could not start: the configuration is invalid: PORT: .+\. Fix the environment \(every variable is listed in \.env\.example\)$/);
  });
});
