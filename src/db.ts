import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export type Db = PrismaClient;
export type SqlPool = pg.Pool;
/** What runs a statement inside a transaction: a pg connection checked out of the pool, or a Prisma transaction. */
export interface SqlClient {
  query<Row>(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
}

/** A Prisma interactive transaction seen as a SqlClient, for statements written for pg that must join it. */
export function prismaTransactionClient(tx: { $queryRawUnsafe<T>(query: string, ...values: unknown[]): Promise<T> }): SqlClient {
  return { query: async <Row>(text: string, values: unknown[] = []) => ({ rows: await tx.$queryRawUnsafe<Row[]>(text, ...values) }) };
}

/** Runs `work` in one transaction on a connection of the pool: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(pool: SqlPool, work: (sql: SqlClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * The pg pool and the Prisma client that runs on it. Prisma owns the schema, the migrations and the queries of
 * the hub; the few statements on the payment hot path (intake and crediting) run as named prepared statements on the
 * same pool, because they run for every payment and Prisma's raw-query path costs several times the CPU of a prepared
 * statement (bench/ measures both).
 */
export function createDatabase(databaseUrl: string, poolSize = 20, onIdleError?: (error: Error) => void): { db: Db; pool: SqlPool } {
  const pool = createPool(databaseUrl, poolSize, onIdleError);
  return { db: new PrismaClient({ adapter: new PrismaPg(pool) }), pool };
}

/**
 * `genericPlans`: the connections plan each named statement once and reuse that plan. PostgreSQL's default re-plans a
 * statement with its actual parameters on every execution when it estimates that cheaper, which it does for the
 * credit statement (an array of ids of unknown length): 0.5 ms of planning for a statement that executes in 0.6 ms.
 * Only for a pool whose statements are all keyed by ids, whose plans must be index lookups (the credit worker's).
 * A generic plan is made once per connection, and the worker's connections are often opened on a fresh database:
 * planned on an empty table's statistics, the claim of the credit statement became a sequential scan of every payment
 * (or a walk of every accepted one by the status index) for each batch, for as long as the connection lived. So these
 * connections also run with enable_seqscan off: a sequential scan is priced out and the plan is the key lookup
 * whatever the statistics (test/integration/credit-plan.test.ts).
 */
export function createPool(databaseUrl: string, poolSize: number, onIdleError?: (error: Error) => void, genericPlans = false): SqlPool {
  const options = genericPlans ? { options: "-c plan_cache_mode=force_generic_plan -c enable_seqscan=off" } : {};
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, ...options });
  // An idle connection that PostgreSQL drops (restart, failover) must not crash the process: the pool replaces it.
  pool.on("error", (error) => onIdleError?.(error));
  return pool;
}

/** A Prisma client on its own pool, for commands and scripts that need no hot-path statements. */
export function createDb(databaseUrl: string, poolSize = 20): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize }) });
}
