import pg from "pg";

/** The local services the tests use; CI (.ci/run) starts them when they are down. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/** Overridable so that two test runs on one PostgreSQL (two checkouts, two CI jobs) do not drop each other's template. */
/**
 * The migrated template every test file copies. Global setup names it after its own process (and passes the name to
 * the test processes through the environment), so two test runs on one machine never drop each other's template.
 */
export function templateDatabase(): string {
  return process.env.TEST_TEMPLATE_DATABASE ?? "payhub_test_template";
}

export function databaseUrl(name: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

export async function createDatabaseFromTemplate(name: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${templateDatabase()}"`);
      return databaseUrl(name);
    } catch (error) {
      // Two files copying the template at the same instant: PostgreSQL refuses one; try again shortly.
      if (attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
