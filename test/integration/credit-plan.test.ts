import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, type SqlPool } from "../../src/db.ts";
import { creditPaymentsQuery } from "../../src/ledger/credit-statement.ts";
import { createDatabaseFromTemplate, dropDatabase } from "../support/services.ts";
import { uniqueName } from "../support/test-hub.ts";

// The credit worker's connections make one generic plan per statement and keep it for as long as they live, and they
// are often opened on a fresh database (a new installation, a restore). Planned on an empty table's statistics, the
// claim of the credit statement walked every accepted payment by the status index, or every payment by a sequential
// scan, for each batch: a backlog after an outage would have been credited in quadratic time.

let databaseName: string;
let pool: SqlPool;
beforeAll(async () => {
  databaseName = uniqueName("payhub_plan");
  const url = await createDatabaseFromTemplate(databaseName);
  // One connection, made the way the worker makes its pool (src/hub.ts): generic plans.
  pool = createPool(url, 1, undefined, true);
});
afterAll(async () => {
  await pool?.end();
  if (databaseName) await dropDatabase(databaseName);
});

describe("the credit statement's plan on the worker's connections", () => {
  it("when the plan is made on an empty database, then the payments are still found by primary key, never by a scan", async () => {
    const client = await pool.connect();
    try {
      // Prepares the named statement on this connection, as the worker's first batch does (no such payment: a no-op).
      await client.query(creditPaymentsQuery([1n]));
      const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN EXECUTE "${creditPaymentsQuery([]).name}"('{1,2,3}')`);
      const plan = rows.map((row) => row["QUERY PLAN"]).join("\n");
      const claim = plan.slice(plan.indexOf("Update on inbound_payment"), plan.indexOf("Update on inbound_payment") + 400);
      expect(claim).toContain("inbound_payment_pkey");
      expect(plan).not.toMatch(/Seq Scan on inbound_payment/);
      expect(plan).not.toContain("inbound_payment_status_received_at_idx");
    } finally {
      client.release();
    }
  });
});
