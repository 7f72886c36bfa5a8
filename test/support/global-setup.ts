import { Redis } from "ioredis";
import { migrateDatabase } from "../../src/infra/database.ts";
import { adminQuery, databaseUrl, dropDatabase, REDIS_URL, templateDatabase } from "./services.ts";

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
  process.env.TEST_TEMPLATE_DATABASE ??= `payhub_test_template_${process.pid}`;
  const template = templateDatabase();
  await dropDatabase(template);
  await adminQuery(`CREATE DATABASE "${template}"`);
  await migrateDatabase(databaseUrl(template));
}

export async function teardown(): Promise<void> {
  await dropDatabase(templateDatabase());
}
