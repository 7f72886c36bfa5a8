import { Redis } from "ioredis";
import { migrateDatabase } from "../../src/infra/database.ts";
import { adminQuery, databaseUrl, dropDatabase, REDIS_URL, TEMPLATE_DATABASE } from "./services.ts";

/** Checks that PostgreSQL and Redis answer and builds the migrated template database every test file copies. */
export async function setup(): Promise<void> {
  try {
    await adminQuery("SELECT 1");
  } catch (error) {
    throw new Error(`PostgreSQL does not answer at 127.0.0.1:5432 (${String(error)}): start it (see .ci/run)`);
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis does not answer at ${REDIS_URL} (${String(error)}): start it (see .ci/run)`);
  } finally {
    redis.disconnect();
  }
  await dropDatabase(TEMPLATE_DATABASE);
  await adminQuery(`CREATE DATABASE "${TEMPLATE_DATABASE}"`);
  await migrateDatabase(databaseUrl(TEMPLATE_DATABASE));
}

export async function teardown(): Promise<void> {
  await dropDatabase(TEMPLATE_DATABASE);
}
