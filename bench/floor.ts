import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { progress } from "./osmp-wire.ts";

/**
 * The floor of this machine: the smallest transaction that durably records a payment idempotently, posts one entry
 * and raises a balance (insert ON CONFLICT DO NOTHING on the payment's external id, insert one entry, update one
 * balance; one commit), run by pgbench on scratch tables of the bench's database. What payhub's pipeline reaches is
 * reported as a share of it, measured in the same run, on the same cores, with fsync on.
 */

export interface FloorResult {
  clients: number;
  seconds: number;
  transactionsPerSecond: number;
}

const ACCOUNTS = 1000;

const SCRIPT = `\\set account random(1, ${ACCOUNTS})
\\set ext random(1, 9000000000000000)
BEGIN;
INSERT INTO floor_payment (external_id, account_id, amount_kopecks) VALUES (:ext, :account, 10045) ON CONFLICT (external_id) DO NOTHING;
INSERT INTO floor_entry (account_id, amount_kopecks) VALUES (:account, 10045);
UPDATE floor_account SET balance_kopecks = balance_kopecks + 10045 WHERE id = :account;
END;
`;

async function createScratchTables(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`
      DROP TABLE IF EXISTS floor_entry, floor_payment, floor_account;
      CREATE TABLE floor_account (id int PRIMARY KEY, balance_kopecks bigint NOT NULL DEFAULT 0);
      CREATE TABLE floor_payment (id bigserial PRIMARY KEY, external_id bigint NOT NULL UNIQUE, account_id int NOT NULL, amount_kopecks bigint NOT NULL);
      CREATE TABLE floor_entry (id bigserial PRIMARY KEY, account_id int NOT NULL, amount_kopecks bigint NOT NULL);
      INSERT INTO floor_account (id) SELECT g FROM generate_series(1, ${ACCOUNTS}) AS g;`);
  } finally {
    await client.end();
  }
}

async function dropScratchTables(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("DROP TABLE IF EXISTS floor_entry, floor_payment, floor_account");
  } finally {
    await client.end();
  }
}

/** Runs pgbench (`clients` clients, two threads, `seconds` s) and reads its "tps = …" line. */
export async function runFloor(databaseUrl: string, clients: number, seconds: number): Promise<FloorResult> {
  await createScratchTables(databaseUrl);
  const directory = await mkdtemp(path.join(os.tmpdir(), "payhub-floor-"));
  const script = path.join(directory, "floor.sql");
  await writeFile(script, SCRIPT);
  progress(`phase D: pgbench's minimal credit transaction, ${clients} clients for ${seconds} s`);
  try {
    const output = await new Promise<string>((resolve, reject) => {
      execFile("pgbench", ["-n", "-c", String(clients), "-j", "2", "-T", String(seconds), "-f", script, databaseUrl], { timeout: (seconds + 30) * 1000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`pgbench failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const tps = /tps = ([0-9.]+) \(without initial connection time\)/.exec(output)?.[1];
    if (tps === undefined) throw new Error(`pgbench printed no tps line:\n${output}`);
    return { clients, seconds, transactionsPerSecond: Number(tps) };
  } finally {
    await rm(directory, { recursive: true, force: true });
    await dropScratchTables(databaseUrl);
  }
}
