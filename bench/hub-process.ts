import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "../src/infra/local-services.ts";
import path from "node:path";
import { progress } from "./osmp-wire.ts";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "..");
/** The hub's own graceful shutdown gives up after 20 s; a little more before SIGKILL. */
const STOP_GRACE_MS = 25_000;
/** Lines of the hub's output kept to explain a failed start. */
const KEPT_OUTPUT_LINES = 40;

export interface HubProcess {
  baseUrl: string;
  /** The hub's process id, for its CPU time. */
  pid: number | undefined;
  /** SIGTERM, then SIGKILL if it has not exited within the grace period. Safe to call more than once. */
  stop(): Promise<void>;
  /** The hub's last output lines, for error messages. */
  recentOutput(): string;
}


/**
 * Starts the hub the way users do (`node --import tsx src/main.ts` from the project root), forwarding its output
 * to stderr, and resolves once it answers: GET /health/ready on PORT for a process that serves HTTP, GET /health/live
 * on WORKER_METRICS_PORT for a worker (HUB_ROLE=worker in `env`). Starting includes `prisma migrate deploy`.
 */
export async function startHubProcess(port: number, env: Record<string, string>, readyTimeoutMs: number): Promise<HubProcess> {
  const baseUrl = `http://127.0.0.1:${port}`;
  const worker = env.HUB_ROLE === "worker";
  const readyUrl = worker ? `${baseUrl}/health/live` : `${baseUrl}/health/ready`;
  const label = worker ? "worker" : "hub";
  // BENCH_CPU_PROFILE=<dir>: the hub writes a V8 CPU profile there when it stops (open it in Chrome's DevTools).
  const profile = process.env.BENCH_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROFILE)}`] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", "src/main.ts"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, ...(worker ? { WORKER_METRICS_PORT: String(port) } : { PORT: String(port) }) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      output.push(line);
      if (output.length > KEPT_OUTPUT_LINES) output.shift();
      process.stderr.write(`[${label}] ${line}\n`);
    }
  };
  child.stdout!.on("data", forward);
  child.stderr!.on("data", forward);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const hub: HubProcess = {
    baseUrl,
    pid: child.pid,
    stop: () => stopChild(child, exited),
    recentOutput: () => output.join("\n"),
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the ${label} exited with code ${child.exitCode} before it was ready:\n${hub.recentOutput()}`);
    }
    if (Date.now() > deadline) {
      await hub.stop();
      throw new Error(`the ${label} was not ready within ${readyTimeoutMs / 1000} s:\n${hub.recentOutput()}`);
    }
    const ready = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) return hub;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), STOP_GRACE_MS);
  });
  const outcome = await Promise.race([exited, gaveUp]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    progress(`the hub did not stop within ${STOP_GRACE_MS / 1000} s of SIGTERM: killing it`);
    child.kill("SIGKILL");
    await exited;
  }
}
