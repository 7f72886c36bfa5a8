import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Advisory lock keys of the start-up steps that several processes run at once (two servers and two workers started
 * together): creating the database (taken in the server's `postgres` database, as the target may not exist yet),
 * and migrating and seeding it (taken in the target database).
 */
const STARTUP_LOCK = { createDatabase: 0x70617968_01n, migrateAndSeed: 0x70617968_02n } as const;

/**
 * Runs `work` while holding a PostgreSQL advisory lock on a connection of its own: another process running the same
 * step waits for it, then finds the work done. The lock goes with the connection, so a process killed half-way
 * releases it.
 */
export async function withStartupLock<T>(databaseUrl: string, step: keyof typeof STARTUP_LOCK, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [STARTUP_LOCK[step].toString()]);
    return await work();
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the database named in the URL if it does not exist (connecting to the server's `postgres` database). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`database name "${name}" must be letters, digits and _`);
  url.pathname = "/postgres";
  return withStartupLock(url.toString(), "createDatabase", async () => {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (found.rowCount) return false;
      await client.query(`CREATE DATABASE "${name}"`);
      return true;
    } catch (error) {
      // Another process created it between the check and the CREATE (one that does not take the lock: an older
      // payhub, or an operator): 42P04 duplicate_database, or 23505 on pg_database_datname_index when the two
      // CREATEs raced inside the catalog.
      const code = (error as { code?: string }).code;
      if (code === "42P04" || code === "23505") return false;
      throw error;
    } finally {
      await client.end();
    }
  });
}

/**
 * Applies pending migrations with `prisma migrate deploy`, the same command operators run. Prisma's CLI uses the
 * WebAssembly schema engine configured in prisma.config.ts, so this needs no download.
 */
export function migrateDatabase(databaseUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const cli = path.join(ROOT, "node_modules", "prisma", "build", "index.js");
    const child = spawn(process.execPath, [cli, "migrate", "deploy"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`prisma migrate deploy failed (exit ${code}):\n${output}`))));
  });
}
