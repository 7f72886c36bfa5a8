import { defineConfig } from "vitest/config";

// Tests run against the real PostgreSQL and Redis. Each test file gets its own database (copied from a migrated
// template made once in global setup) and its own BullMQ prefix, so files run in parallel without sharing state.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
