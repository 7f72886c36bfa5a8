import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, portAnswers } from "../../src/infra/local-services.ts";

/**
 * A private PostgreSQL cluster (its own data directory and port, started and stopped with pg_ctl) for tests that
 * stop the server: the shared one on 5432 serves every other test file. PostgreSQL refuses to run as root, so as
 * root the cluster belongs to the `postgres` system user and its commands run as that user (runuser).
 */
export interface PrivatePostgres {
  /** postgresql://postgres@127.0.0.1:<port> (append /<database>). */
  serverUrl: string;
  port: number;
  /** `pg_ctl stop -m immediate`: the server quits without a checkpoint, as in a crash; recovery replays the WAL. */
  crash(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (if running) and removes the data directory. */
  destroy(): Promise<void>;
}

function binDir(): string {
  const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    if (existsSync(path.join(dir, "pg_ctl"))) return dir;
  }
  throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql");
}

const asRoot = process.getuid?.() === 0;

function run(command: string, args: string[]): void {
  const [file, fileArgs] = asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  const result = spawnSync(file, fileArgs, { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr || result.stdout}`);
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = mkdtempSync(path.join(tmpdir(), "payhub-pg-"));
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, "data");
  const port = await freePort();
  run(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c max_connections=100`;
  const start = async () => {
    run(path.join(bin, "pg_ctl"), ["-D", data, "-l", path.join(dir, "server.log"), "-o", options, "-w", "-t", "60", "start"]);
    for (let waited = 0; !(await portAnswers(port)); waited += 100) {
      if (waited > 30_000) throw new Error(`private PostgreSQL on port ${port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const stop = (mode: "immediate" | "fast") => {
    if (existsSync(path.join(data, "postmaster.pid"))) run(path.join(bin, "pg_ctl"), ["-D", data, "-m", mode, "-w", "stop"]);
  };
  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    serverUrl: `postgresql://postgres@127.0.0.1:${port}`,
    port,
    crash: async () => stop("immediate"),
    start,
    destroy: async () => {
      try {
        stop("immediate");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
