import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { freePort, portAnswers } from "../../src/infra/local-services.ts";

/**
 * A private redis-server for tests that destroy Redis data (FLUSHALL) or stop Redis: the shared one on 6379 may
 * be serving other test files at the same moment.
 */
export async function startPrivateRedis(): Promise<{ url: string; port: number; stop: () => Promise<void>; process: ChildProcess }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  await waitForPort(port, child);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () => kill(child),
  };
}

export { freePort };

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let waited = 0; !(await portAnswers(port)); waited += 50) {
    if (waited > 10_000 || child.exitCode !== null) throw new Error(`redis-server on port ${port} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGKILL, as a crash: no shutdown save, no goodbye to replicas or clients. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One command on a short-lived connection (the node may be gone: it fails, never hangs). */
async function ask(port: number, password: string | undefined, ...command: string[]): Promise<unknown> {
  const client = new Redis({ host: "127.0.0.1", port, password, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 1000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await client.call(command[0]!, ...command.slice(1));
  } finally {
    client.disconnect();
  }
}

export interface SentinelGroup {
  /** The master group name the sentinel monitors (REDIS_SENTINEL_NAME). */
  name: string;
  /** REDIS_SENTINELS for a hub: the one sentinel's host:port. */
  sentinels: string;
  /** The ports of the master and of the replica, as started. */
  masterPort: number;
  replicaPort: number;
  /** The master's port as the sentinel names it now. */
  currentMasterPort(): Promise<number>;
  /** Kills the process of the given port with SIGKILL (a crash). */
  kill(port: number): Promise<void>;
  /** Asks the sentinel for a failover now (SENTINEL FAILOVER): the master is demoted while it still runs. */
  failover(): Promise<void>;
  /** Waits until the sentinel names a master other than `oldPort` and that node answers as master. */
  waitForFailover(oldPort: number, timeoutMs?: number): Promise<number>;
  /** Kills every process and removes the temporary directory; safe to call twice, and after a failed start. */
  stop(): Promise<void>;
}

/**
 * A master, its replica and one Sentinel monitoring them (quorum 1), each a redis-server on a free loopback port
 * with its files in a temporary directory. The sentinel calls the master down after 1 s without answers and fails
 * over to the replica within a few seconds; `stop` cleans everything up, also when the start itself failed.
 * `passwords.redis`: the master's and replica's requirepass (and masterauth); `passwords.sentinel`: the sentinel's own.
 */
export async function startSentinelGroup(name = "m", passwords: { redis?: string; sentinel?: string } = {}): Promise<SentinelGroup> {
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort());
  const [masterPort, replicaPort, sentinelPort] = [...ports] as [number, number, number];
  const dir = mkdtempSync(path.join(tmpdir(), "payhub-sentinel-"));
  const processes: { port: number; child: ChildProcess }[] = [];
  const stop = async () => {
    await Promise.all(processes.splice(0).map(({ child }) => kill(child)));
    rmSync(dir, { recursive: true, force: true });
  };
  const start = async (port: number, args: string[]) => {
    const child = spawn("redis-server", args, { stdio: "ignore", cwd: dir });
    processes.push({ port, child });
    await waitForPort(port, child);
  };
  const auth = passwords.redis ? ["--requirepass", passwords.redis, "--masterauth", passwords.redis] : [];
  // A replica's full sync starts at once (Redis waits 5 s by default for more replicas to share a diskless sync).
  const node = (port: number) => [
    ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"],
    ...["--dir", dir, "--dbfilename", `dump-${port}.rdb`, ...auth],
  ];
  const askNode = (port: number, ...command: string[]) => ask(port, passwords.redis, ...command);
  const askSentinel = (...command: string[]) => ask(sentinelPort, passwords.sentinel, ...command);
  const masterAddress = async (): Promise<number> => {
    const [, port] = (await askSentinel("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)) as [string, string];
    return Number(port);
  };
  const info = async (port: number, field: string): Promise<string | undefined> =>
    new RegExp(`^${field}:(.*)$`, "m").exec(String(await askNode(port, "INFO", "replication")))?.[1]?.trim();

  try {
    await start(masterPort, node(masterPort));
    await start(replicaPort, [...node(replicaPort), "--replicaof", "127.0.0.1", String(masterPort)]);
    await until("the replica to sync with the master", async () => (await info(replicaPort, "master_link_status")) === "up");
    // A sentinel rewrites its configuration file (what it learnt of replicas and other sentinels): it must be its own.
    const configFile = path.join(dir, "sentinel.conf");
    writeFileSync(
      configFile,
      [
        `port ${sentinelPort}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        ...(passwords.redis ? [`sentinel auth-pass ${name} ${passwords.redis}`] : []),
        ...(passwords.sentinel ? [`requirepass ${passwords.sentinel}`] : []),
        "",
      ].join("\n"),
    );
    await start(sentinelPort, [configFile, "--sentinel"]);
    // Failover needs a replica the sentinel knows and has heard from: it learns of it from the master's INFO.
    await until("the sentinel to know the replica", async () => {
      const replicas = (await askSentinel("SENTINEL", "REPLICAS", name)) as string[][];
      return replicas.some((fields) => {
        const entry = Object.fromEntries(fields.flatMap((value, index) => (index % 2 === 0 ? [[value, fields[index + 1]]] : [])));
        return entry.port === String(replicaPort) && entry.flags === "slave" && entry["master-link-status"] === "ok";
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    name,
    sentinels: `127.0.0.1:${sentinelPort}`,
    masterPort,
    replicaPort,
    currentMasterPort: masterAddress,
    kill: async (port) => {
      await Promise.all(processes.filter((each) => each.port === port).map(({ child }) => kill(child)));
    },
    failover: async () => {
      await askSentinel("SENTINEL", "FAILOVER", name);
    },
    waitForFailover: async (oldPort, timeoutMs = 30_000) => {
      let port = oldPort;
      await until(
        "the sentinel to promote the replica",
        async () => {
          port = await masterAddress();
          return port !== oldPort && (await info(port, "role")) === "master";
        },
        timeoutMs,
      );
      return port;
    },
    stop,
  };
}
