import { readdir, readFile } from "node:fs/promises";

/**
 * CPU time by process, read from /proc (Linux): the hub's server and worker (each process and any children),
 * PostgreSQL (every process named postgres: the bench's backends dominate while it runs) and Redis. A snapshot before
 * and after a phase gives the CPU each spent per payment.
 */

export interface CpuSnapshot {
  server: number;
  worker: number;
  postgres: number;
  redis: number;
  /** This process: the load generator. */
  bench: number;
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  name: string;
  seconds: number;
}

async function readStats(): Promise<ProcStat[]> {
  const stats: ProcStat[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const text = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => undefined);
    if (!text) continue;
    // "pid (name) state ppid …": the name may hold spaces and parentheses, so split after its last ")".
    const close = text.lastIndexOf(")");
    const name = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    stats.push({ pid: Number(entry), ppid: Number(fields[1]), name, seconds: (utime + stime) / TICKS_PER_SECOND });
  }
  return stats;
}

export async function cpuSnapshot(pids: { server: number | undefined; worker: number | undefined }): Promise<CpuSnapshot> {
  const stats = await readStats();
  const sum = (keep: (stat: ProcStat) => boolean) => stats.filter(keep).reduce((total, stat) => total + stat.seconds, 0);
  const inTree = (root: number | undefined) => {
    const tree = new Set<number>(root === undefined ? [] : [root]);
    // Children of the process (none today) count as the process.
    for (let grew = true; grew; ) {
      grew = false;
      for (const stat of stats) if (tree.has(stat.ppid) && !tree.has(stat.pid)) (tree.add(stat.pid), (grew = true));
    }
    return tree;
  };
  const server = inTree(pids.server);
  const worker = inTree(pids.worker);
  return {
    server: sum((stat) => server.has(stat.pid)),
    worker: sum((stat) => worker.has(stat.pid)),
    postgres: sum((stat) => stat.name === "postgres"),
    redis: sum((stat) => stat.name.startsWith("redis-server")),
    bench: sum((stat) => stat.pid === process.pid),
  };
}

/** CPU milliseconds per payment by process between two snapshots. */
export function cpuPerPayment(before: CpuSnapshot, after: CpuSnapshot, payments: number): CpuSnapshot {
  const per = (key: keyof CpuSnapshot) => ((after[key] - before[key]) * 1000) / Math.max(payments, 1);
  return { server: per("server"), worker: per("worker"), postgres: per("postgres"), redis: per("redis"), bench: per("bench") };
}
