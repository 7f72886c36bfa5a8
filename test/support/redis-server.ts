import { spawn, type ChildProcess } from "node:child_process";
import { portAnswers } from "../../src/infra/local-services.ts";

/**
 * A private redis-server for tests that destroy Redis data (FLUSHALL) or stop Redis: the shared one on 6379 may
 * be serving other test files at the same moment.
 */
export async function startPrivateRedis(): Promise<{ url: string; port: number; stop: () => Promise<void>; process: ChildProcess }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  for (let waited = 0; !(await portAnswers(port)); waited += 50) {
    if (waited > 10_000 || child.exitCode !== null) throw new Error(`redis-server on port ${port} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
