import path from "node:path";
import { defineConfig } from "prisma/config";

// Prisma's CLI would download its native schema engine from a CDN that closed networks cannot reach; payhub ships
// a stand-in that runs the same engine compiled to WebAssembly from the npm registry (scripts/prisma-schema-engine.mjs).
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.resolve(import.meta.dirname, "scripts/prisma-schema-engine.mjs");

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: {
    url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/payhub",
  },
});
