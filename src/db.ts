import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export type Db = PrismaClient;

/** Prisma 7 talks to PostgreSQL through the pg driver adapter; the pool is sized for 2 cores and a busy worker. */
export function createDb(databaseUrl: string, poolSize = 20): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize }) });
}
