import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportsApi } from "../../src/api/reports-routes.ts";
import { createPool } from "../../src/db.ts";
import { reversePayment } from "../../src/payments/reverse-payment.ts";
import { officeToday } from "../../src/calendar/office-day.ts";
import { CSV_HEADER } from "../../src/reports/reconciliation-csv.ts";
import { bank, bankPayment } from "../support/bank-client.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";
import { AUTOMATION_TOKEN, expectDocumented, staffApi } from "./cashier-api-client.ts";

// The month-end reconciliation: payments over OSMP, a bank and a cash desk, a provider's refund and a storno, then the
// report of today squares with what was sent, its ledger movements with the credits, and the CSV with the JSON.

let hub: TestHub;
let api: ReturnType<typeof staffApi>;
let pool: ReturnType<typeof createPool>;
const today = officeToday();

beforeAll(async () => {
  hub = await startTestHub();
  api = staffApi(hub);
  pool = createPool(hub.databaseUrl, 2);

  const paid = await Promise.all([
    osmp(hub.url, payParams(91001, "100080", "100.00")),
    osmp(hub.url, payParams(91002, "100081", "250.50")),
    osmp(hub.url, payParams(91003, "100082", "75.00"), { profile: "epos" }),
  ]);
  expect(paid.map((answer) => answer.result)).toEqual([0, 0, 0]);
  expect((await bank(hub.url, "sberbank", bankPayment(91004, "100083", "110.10"))).elements.CODE).toBe("0");

  const kassir1 = await api.signIn("kassir1");
  const desk = api.desk(kassir1);
  const shiftId = await desk.open("vl-lugovaya-1", "1000.00");
  await desk.pay(shiftId, "100080", "300.00");
  const cancelled = await desk.pay(shiftId, "100081", "200.00");
  await waitUntilAllCredited(hub);
  await desk.storno(cancelled);
  await desk.close(shiftId, "1300.00");

  const refund = await reversePayment(pool, { channel: "osmp:qiwi", protocol: "osmp", profile: "qiwi" }, { kind: "reverse", reference: "91002", reversalKey: "r-1", amountKopecks: 5000n, reason: "refund", externalId: "91002", accountNumber: undefined });
  expect(refund.kind).toBe("reversed");
});
afterAll(async () => {
  await pool?.end();
  await hub?.stop();
});

const figure = (count: number, sum: string) => ({ count, sum });
const get = (path: string, token = AUTOMATION_TOKEN) => fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

describe("the reconciliation report", () => {
  it("when the period is today, then every figure is the sum of what was sent, each clearing movement equals credited − reversed, and nothing is out", async () => {
    const answer = await api.call("GET", `/api/reports/reconciliation?from=${today}&to=${today}`, AUTOMATION_TOKEN);
    expect(answer.status).toBe(200);
    expectDocumented(reportsApi.routes.reconciliation, 200, answer.json);
    const report = answer.json!;
    const line = (received: [number, string], credited: [number, string], reversed: [number, string], net: string) => ({
      received: { ...figure(...received), commission: "0.00", payerAmount: received[1] },
      credited: figure(...credited),
      reversed: figure(...reversed),
      net,
      open: figure(0, "0.00"),
    });
    expect(report.channels).toEqual([
      { channel: "bank:sberbank", ...line([1, "110.10"], [1, "110.10"], [0, "0.00"], "110.10") },
      { channel: "cashier", ...line([2, "500.00"], [2, "500.00"], [1, "200.00"], "300.00") },
      { channel: "osmp:epos", ...line([1, "75.00"], [1, "75.00"], [0, "0.00"], "75.00") },
      { channel: "osmp:qiwi", ...line([2, "350.50"], [2, "350.50"], [1, "50.00"], "300.50") },
    ]);
    expect(report.totals).toEqual(line([6, "1035.60"], [6, "1035.60"], [2, "250.00"], "785.60"));
    expect(report.openItems).toEqual([]);
    expect(report.desks).toEqual([
      { desk: "vl-lugovaya-1", shifts: 1, payments: figure(2, "500.00"), storno: figure(1, "200.00"), stornoAfterClose: figure(0, "0.00"), expected: "1300.00", counted: "1300.00", difference: "0.00" },
    ]);
    expect(report.movements).toEqual([
      { code: "cash:vl-lugovaya-1", movement: "-300.00", expected: "-300.00", difference: "0.00" },
      { code: "clearing:bank:sberbank", movement: "-110.10", expected: "-110.10", difference: "0.00" },
      { code: "clearing:osmp:epos", movement: "-75.00", expected: "-75.00", difference: "0.00" },
      { code: "clearing:osmp:qiwi", movement: "-300.50", expected: "-300.50", difference: "0.00" },
    ]);
    expect(report.suspense).toEqual({ received: figure(0, "0.00"), assigned: figure(0, "0.00"), open: figure(0, "0.00") });
    expect(report.transfers).toEqual({ approved: figure(0, "0.00"), reversed: figure(0, "0.00") });
    expect(report.ledger).toEqual({ total: "0.00", unbalancedPostings: 0, balanceMismatches: [] });
    expect(report.discrepancies).toEqual([]);
    await expectLedgerConsistent(hub);

    // The day before saw none of it.
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const before = await api.expectStatus(200, "GET", `/api/reports/reconciliation?from=${yesterday}&to=${yesterday}`, AUTOMATION_TOKEN);
    expect({ channels: before.channels, movements: before.movements, desks: before.desks }).toEqual({ channels: [], movements: [], desks: [] });
  });

  it("when the CSV is asked for, then it has the BOM, the header and one line per channel with the same figures", async () => {
    const answer = await get(`/api/reports/reconciliation.csv?from=${today}&to=${today}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(answer.headers.get("content-disposition")).toBe(`attachment; filename="reconciliation_${today}_${today}.csv"`);
    const bytes = new Uint8Array(await answer.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes).slice(1).split("\r\n");
    expect(lines).toEqual([
      CSV_HEADER.join(";"),
      "bank:sberbank;1;110,10;0,00;110,10;1;110,10;0;0,00;110,10;0;0,00",
      "cashier;2;500,00;0,00;500,00;2;500,00;1;200,00;300,00;0;0,00",
      "osmp:epos;1;75,00;0,00;75,00;1;75,00;0;0,00;75,00;0;0,00",
      "osmp:qiwi;2;350,50;0,00;350,50;2;350,50;1;50,00;300,50;0;0,00",
      "",
    ]);
    const document = (await (await fetch(`${hub.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/api/reports/reconciliation", "/api/reports/reconciliation.csv"]));
  });

  it("when the period is wrong or the caller a cashier, then 400 naming it, or 403", async () => {
    for (const query of [`from=${today}&to=2020-01-01`, "from=2025-01-01&to=2026-01-02", "from=2026-13-01&to=2026-12-31", "from=2026-02-30&to=2026-03-01", "from=2026-11-01", ""]) {
      for (const path of ["/api/reports/reconciliation", "/api/reports/reconciliation.csv"]) {
        const answer = await get(`${path}?${query}`);
        expect({ path, query, status: answer.status }).toEqual({ path, query, status: 400 });
        expect(((await answer.json()) as { error: string }).error).toBe("bad_request");
      }
    }
    expect((await get("/api/reports/reconciliation?from=2025-01-01&to=2026-01-01")).status).toBe(200);
    const kassir2 = await api.signIn("kassir2");
    expect((await get(`/api/reports/reconciliation?from=${today}&to=${today}`, kassir2)).status).toBe(403);
    expect((await get(`/api/reports/reconciliation.csv?from=${today}&to=${today}`, kassir2)).status).toBe(403);
    expect((await fetch(`${hub.url}/api/reports/reconciliation?from=${today}&to=${today}`)).status).toBe(401);
  });

  it("when a clearing account moved by something other than a credit or a reversal, then the difference is a discrepancy line", async () => {
    // A balanced posting between a channel's clearing account and commission: the ledger checks pass, the clearing does not square.
    await hub.hub.db.$transaction(async (tx) => {
      const [posting] = await tx.$queryRaw<{ id: bigint }[]>`INSERT INTO posting (kind, memo) VALUES ('manual', 'test') RETURNING id`;
      await tx.$executeRaw`INSERT INTO ledger_entry (posting_id, ledger_account_id, amount_kopecks)
        SELECT ${posting!.id}, id, CASE WHEN code = 'commission' THEN 1234 ELSE -1234 END FROM ledger_account WHERE code IN ('commission', 'clearing:osmp:qiwi')`;
    });
    const report = await api.expectStatus(200, "GET", `/api/reports/reconciliation?from=${today}&to=${today}`, AUTOMATION_TOKEN);
    expect(report.movements).toContainEqual({ code: "clearing:osmp:qiwi", movement: "-312.84", expected: "-300.50", difference: "-12.34" });
    expect(report.discrepancies).toEqual([expect.stringMatching(/^clearing:osmp:qiwi: .*-312\.84.*-300\.50.*-12\.34$/)]);
  });
});
