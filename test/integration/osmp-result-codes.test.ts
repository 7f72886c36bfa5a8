import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { osmp, payParams } from "../support/osmp-client.ts";
import pg from "pg";
import { adminQuery } from "../support/services.ts";
import { expectLedgerConsistent, startTestHub, waitFor, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// Every OSMP result code payhub gives, with requests as a terminal network sends them (PROTOCOLS.md §1).
// Demo accounts: 100080 active, 100090 blocked, 100099 closed.

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ OSMP_QIWI_MIN_SUM: "1.00", OSMP_QIWI_MAX_SUM: "15000.00", OSMP_QIWI_COMMISSION_PERCENT: "2.5" });
});
afterAll(async () => {
  await hub?.stop();
});

async function balanceOf(number: string): Promise<bigint> {
  const account = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } });
  return account.balanceKopecks;
}

describe("OSMP check", () => {
  it("when the account exists and is active, then result 0 with the masked owner and balance", async () => {
    const answer = await osmp(hub.url, { command: "check", txn_id: "5001", account: "100080", sum: "10.45" });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe("text/xml; charset=utf-8");
    expect(answer.body.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(answer).toMatchObject({ result: 0, osmpTxnId: "5001", fio: "И***в И. И.", balance: "0.00", prvTxn: undefined });
  });

  it("when the account number is not digits, then result 4", async () => {
    expect((await osmp(hub.url, { command: "check", txn_id: "5002", account: "10008O" })).result).toBe(4);
  });

  it("when the account does not exist, then result 5", async () => {
    expect((await osmp(hub.url, { command: "check", txn_id: "5003", account: "999999" })).result).toBe(5);
  });

  it("when payments to the account are forbidden (blocked), then result 7", async () => {
    expect((await osmp(hub.url, { command: "check", txn_id: "5004", account: "100090" })).result).toBe(7);
  });

  it("when the contract is closed, then result 79", async () => {
    expect((await osmp(hub.url, { command: "check", txn_id: "5005", account: "100099" })).result).toBe(79);
  });

  it("when the sum is below or above the profile's limits, then 241 or 242", async () => {
    expect((await osmp(hub.url, { command: "check", txn_id: "5006", account: "100080", sum: "0.99" })).result).toBe(241);
    expect((await osmp(hub.url, { command: "check", txn_id: "5007", account: "100080", sum: "15000.01" })).result).toBe(242);
  });

  it("when the command is unknown, then result 300", async () => {
    expect((await osmp(hub.url, { command: "status", txn_id: "5008", account: "100080" })).result).toBe(300);
  });
});

describe("OSMP pay", () => {
  it("when a payment is accepted, then result 0 with prv_txn and the echoed sum, and the account is credited once", async () => {
    const before = await balanceOf("100081");
    const answer = await osmp(hub.url, payParams(6001, "100081", "10.45"), { method: "POST" });
    expect(answer).toMatchObject({ status: 200, result: 0, osmpTxnId: "6001", sum: "10.45", comment: "OK" });
    expect(answer.prvTxn).toMatch(/^[0-9]+$/);
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100081")).toBe(before + 1045n);
    const payment = await hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { id: BigInt(answer.prvTxn!) } });
    expect(payment).toMatchObject({
      channel: "osmp:qiwi",
      profile: "qiwi",
      externalId: "6001",
      amountKopecks: 1045n,
      commissionKopecks: 26n, // 2.5 % of 10.45, rounded half up to the kopeck
      providerTime: "20261124103000",
      status: "credited",
      response: answer.body,
    });
  });

  it("when the same txn_id is paid twice, then the account is credited once and both answers carry the same prv_txn", async () => {
    const before = await balanceOf("100082");
    const first = await osmp(hub.url, payParams(6002, "100082", "100.00"));
    const second = await osmp(hub.url, payParams(6002, "100082", "100.00"));
    expect(first.result).toBe(0);
    expect(second.result).toBe(0);
    expect(second.prvTxn).toBe(first.prvTxn);
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100082")).toBe(before + 10000n);
  });

  it("when a txn_id is repeated with another sum or account, then result 300 and an incident is flagged", async () => {
    const first = await osmp(hub.url, payParams(6003, "100083", "50.00"));
    expect(first.result).toBe(0);
    expect((await osmp(hub.url, payParams(6003, "100083", "60.00"))).result).toBe(300);
    expect((await osmp(hub.url, payParams(6003, "100084", "50.00"))).result).toBe(300);
    const incidents = await hub.hub.db.intakeIncident.findMany({ where: { channel: "osmp:qiwi", externalId: "6003" } });
    expect(incidents).toHaveLength(2);
    expect(incidents.every((incident) => incident.kind === "conflict" && incident.paymentId === BigInt(first.prvTxn!))).toBe(true);
    expect(await hub.hub.db.inboundPayment.count({ where: { externalId: "6003" } })).toBe(1);
  });

  it("when the same txn_id arrives from two networks, then they are two payments (ids are namespaced per channel)", async () => {
    const qiwi = await osmp(hub.url, payParams(6004, "100080", "5.00"), { profile: "qiwi" });
    const vladik = await osmp(hub.url, payParams(6004, "100080", "5.00"), { profile: "vladik" });
    expect(qiwi.result).toBe(0);
    expect(vladik.result).toBe(0);
    expect(vladik.prvTxn).not.toBe(qiwi.prvTxn);
  });

  it("when a payment is refused, then no money is written", async () => {
    const before = await hub.hub.db.inboundPayment.count();
    expect((await osmp(hub.url, payParams(6010, "999999", "10.00"))).result).toBe(5);
    expect((await osmp(hub.url, payParams(6011, "100090", "10.00"))).result).toBe(7);
    expect((await osmp(hub.url, payParams(6012, "100099", "10.00"))).result).toBe(79);
    expect((await osmp(hub.url, payParams(6013, "100080", "0.50"))).result).toBe(241);
    expect((await osmp(hub.url, payParams(6014, "100080", "15000.01"))).result).toBe(242);
    expect(await hub.hub.db.inboundPayment.count()).toBe(before);
  });

  it("when the repeat of an accepted payment comes after its account was closed, then it still answers 0 with the same prv_txn", async () => {
    const first = await osmp(hub.url, payParams(6020, "100084", "20.00"));
    await hub.hub.db.subscriberAccount.update({ where: { number: "100084" }, data: { status: "closed" } });
    const repeat = await osmp(hub.url, payParams(6020, "100084", "20.00"));
    await hub.hub.db.subscriberAccount.update({ where: { number: "100084" }, data: { status: "active" } });
    expect(repeat).toMatchObject({ result: 0, prvTxn: first.prvTxn });
  });

  it("after all of the above, the ledger sums to zero and every balance equals its entries", async () => {
    await waitUntilAllCredited(hub);
    await expectLedgerConsistent(hub);
  });
});

describe("OSMP when the database is unreachable", () => {
  it("then result 1 (temporary: the network repeats later) and nothing else", async () => {
    const broken = await startTestHub();
    try {
      await adminQuery(`ALTER DATABASE "${broken.databaseName}" ALLOW_CONNECTIONS false`);
      await adminQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [broken.databaseName]);
      const answer = await osmp(broken.url, payParams(7001, "100080", "10.00"));
      expect(answer).toMatchObject({ status: 200, result: 1 });
      expect(answer.prvTxn).toBeUndefined();
    } finally {
      await broken.stop();
    }
  });
});

describe("OSMP when the hub is overloaded", () => {
  it("then requests beyond the in-flight limit get result 1 at once, write nothing, and succeed when repeated", async () => {
    const busy = await startTestHub({ INTAKE_MAX_IN_FLIGHT: "1" });
    // An uncommitted insert of txn_id 8000 makes the hub's own insert of it wait: one command stays in flight.
    const blocker = new pg.Client({ connectionString: busy.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query(
        `INSERT INTO inbound_payment (channel, protocol, profile, external_id, account_number, amount_kopecks, request)
         VALUES ('osmp:qiwi', 'osmp', 'qiwi', '8000', '100080', 100, '{}')`,
      );
      const held = osmp(busy.url, payParams(8000, "100080", "1.00"));
      await waitFor("the first pay to wait on the blocker", async () => {
        const waiting = await adminQuery("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [busy.databaseName]);
        return waiting.rows[0].n > 0;
      });
      const refused = await Promise.all([8001, 8002, 8003].map((txnId) => osmp(busy.url, payParams(txnId, "100080", "1.00"))));
      for (const answer of refused) expect(answer).toMatchObject({ status: 200, result: 1 });

      await blocker.query("ROLLBACK");
      expect((await held).result).toBe(0);
      expect(await busy.hub.db.inboundPayment.count()).toBe(1);

      // The network repeats what got result 1, as its retry schedule does.
      for (const txnId of [8001, 8002, 8003]) expect((await osmp(busy.url, payParams(txnId, "100080", "1.00"))).result).toBe(0);
      await waitUntilAllCredited(busy);
      const account = await busy.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100080" } });
      expect(account.balanceKopecks).toBe(400n);
    } finally {
      await blocker.end();
      await busy.stop();
    }
  });
});
