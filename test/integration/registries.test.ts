import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runImportRegistry } from "../../scripts/import-registry.ts";
import { bank, bankPayment } from "../support/bank-client.ts";
import { TEST_ADMIN_TOKEN } from "../support/issued-payments.ts";
import { startTestHub, waitUntilAllCredited, expectLedgerConsistent, type TestHub } from "../support/test-hub.ts";

// Provider registries over the API, as the accountant's morning goes: Sberbank's registry of yesterday is imported,
// each line gets its class (REGISTRIES.md §5), the hub's payments the registry lacks become open items, a payment the
// hub never heard of is recorded from its line and credited once (its late callback is then a repeat), the rest are
// resolved with a note; a rejected file records nothing.

let hub: TestHub;
const DAY_MS = 24 * 3_600_000;
/** The registry day: today in Moscow (the bank's operating day), when the test's payments arrive. */
const moscowDay = (offsetDays = 0) => new Date(Date.now() + 3 * 3_600_000 + offsetDays * DAY_MS).toISOString().slice(0, 10);
const ddmmyyyy = (day: string) => `${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}`;
const ddmmyy = (day: string) => `${day.slice(8, 10)}${day.slice(5, 7)}${day.slice(2, 4)}`;
const fileName = (day: string, sequence = 1) => `2540000000_40702810000000000001_${ddmmyy(day)}_${String(sequence).padStart(3, "0")}.txt`;

interface Line {
  payId: string;
  account: string;
  sum: string;
  commission: string;
  day?: string;
}

const toKopecks = (rubles: string) => BigInt(rubles.replace(".", ""));
const rubles = (kopecks: bigint) => `${kopecks / 100n}.${String(kopecks % 100n).padStart(2, "0")}`;

/** A Sberbank registry as §1 lays it out: `;` lines, an `=` footer with the payment order. */
function bankRegistry(day: string, lines: Line[], footer: Partial<{ count: number; sum: string }> = {}): Buffer {
  const sum = lines.reduce((total, line) => total + toKopecks(line.sum), 0n);
  const commission = lines.reduce((total, line) => total + toKopecks(line.commission), 0n);
  const body = lines.map((line) => `${ddmmyyyy(line.day ?? day)};10:15:00;8635;9001;${line.payId};${line.account};Payer;;${line.sum};${line.commission}`);
  body.push(`=${footer.count ?? lines.length};${footer.sum ?? rubles(sum)};${rubles(commission)};${rubles(sum - commission)};2291;${ddmmyyyy(moscowDay(1))}`);
  return Buffer.from(`${body.join("\r\n")}\r\n`, "utf8");
}

async function importFile(name: string, bytes: Buffer, channel = "bank:sberbank") {
  const response = await fetch(`${hub.url}/api/registries?channel=${encodeURIComponent(channel)}&fileName=${encodeURIComponent(name)}&encoding=utf-8`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "text/plain" },
    body: bytes,
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${hub.url}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json", ...(init.headers ?? {}) } });

const registryCount = async () => Number((await hub.hub.db.$queryRawUnsafe<{ n: bigint }[]>("SELECT count(*) AS n FROM registry"))[0]!.n);

beforeAll(async () => {
  hub = await startTestHub();
  // The hub's payments of the day, as Sberbank's online protocol delivered them.
  for (const [payId, account, sum] of [
    ["5100070001", "100080", "1200.00"],
    ["5100070002", "100081", "350.50"],
    ["5100070003", "100082", "500.00"],
    ["5100070004", "100083", "700.00"],
    ["5100070005", "100080", "100.00"],
    ["5100070006", "100084", "300.00"],
  ] as const) {
    expect((await bank(hub.url, "sberbank", bankPayment(payId, account, sum))).elements.CODE).toBe("0");
  }
  await waitUntilAllCredited(hub);
}, 120_000);

afterAll(async () => {
  await hub?.stop();
});

describe("a Sberbank registry imported over the API", () => {
  const day = moscowDay();
  const lines: Line[] = [
    { payId: "5100070001", account: "100080", sum: "1200.00", commission: "12.00" },
    { payId: "5100070002", account: "100081", sum: "350.50", commission: "3.51" },
    { payId: "5100070004", account: "100084", sum: "700.00", commission: "7.00" },
    { payId: "5100070005", account: "100080", sum: "150.00", commission: "1.50" },
    { payId: "5100070009", account: "100081", sum: "250.00", commission: "2.50" },
    { payId: "5100070001", account: "100080", sum: "1200.00", commission: "12.00" },
    { payId: "5100070006", account: "100084", sum: "300.00", commission: "3.00", day: moscowDay(-1) },
  ];
  let answer: Record<string, any>;

  it("when imported, then each line has its class, the day's payment it lacks is missing_in_registry, and the settlement waits for the statement", async () => {
    const imported = await importFile(fileName(day), bankRegistry(day, lines));
    expect(imported.status).toBe(201);
    answer = imported.body;
    expect(answer).toMatchObject({ status: "accepted", channel: "bank:sberbank", day, settlement: { status: "pending", expected: "4108.99" } });
    expect(answer.lines.map((line: { line: number; class: string }) => [line.line, line.class])).toEqual([
      [1, "matched"],
      [2, "matched"],
      [3, "account_mismatch"],
      [4, "amount_mismatch"],
      [5, "missing_in_hub"],
      [6, "duplicate_line"],
      [7, "date_shift"],
    ]);
    expect(answer.lines[2]).toMatchObject({ externalId: "5100070004", account: "100084", hubAccount: "100083", registryAmount: "700.00" });
    expect(answer.lines[3]).toMatchObject({ externalId: "5100070005", registryAmount: "150.00", hubAmount: "100.00" });
    expect(answer.missingInRegistry).toEqual([expect.objectContaining({ externalId: "5100070003", account: "100082", amount: "500.00" })]);
    expect(answer.classes).toEqual({
      matched: { count: 2, amount: "1550.50" },
      missing_in_hub: { count: 1, amount: "250.00" },
      missing_in_registry: { count: 1, amount: "500.00" },
      amount_mismatch: { count: 1, amount: "150.00" },
      account_mismatch: { count: 1, amount: "700.00" },
      date_shift: { count: 1, amount: "300.00" },
      duplicate_line: { count: 1, amount: "1200.00" },
      totals_mismatch: { count: 0, amount: "0.00" },
      registry_missing: { count: 0, amount: "0.00" },
      settlement_mismatch: { count: 0, amount: "0.00" },
    });
    // Importing moved no money: no posting beyond the six credits.
    const postings = await hub.hub.db.posting.count();
    expect(postings).toBe(6);
  });

  it("when the same file comes again, or another file for the same day and number, or a footer disagrees, or a line is malformed, then it is rejected with the reason and line and nothing is recorded", async () => {
    const before = await registryCount();
    const again = await importFile(fileName(day), bankRegistry(day, lines));
    expect(again.status).toBe(422);
    expect(again.body).toMatchObject({ status: "rejected", reason: "already_imported" });
    const other = await importFile(fileName(day), bankRegistry(day, lines.slice(0, 2)));
    expect(other.body).toMatchObject({ status: "rejected", reason: "conflicting_import" });
    const badFooter = await importFile(fileName(day, 2), bankRegistry(day, lines.slice(0, 2), { sum: "1550.00" }));
    expect(badFooter.status).toBe(422);
    expect(badFooter.body).toMatchObject({ status: "rejected", reason: "totals_mismatch", line: 3 });
    const malformed = Buffer.from(bankRegistry(day, lines.slice(0, 2)).toString("utf8").replace("350.50", "350,5x"));
    const broken = await importFile(fileName(day, 3), malformed);
    expect(broken.body).toMatchObject({ status: "rejected", reason: "malformed_line", line: 2 });
    expect(await registryCount()).toBe(before);
  });

  it("the open items are listed, and downloadable as a CSV for Excel", async () => {
    const listed = (await (await api("/api/registries/open-items?channel=bank:sberbank")).json()) as { items: { class: string; externalId: string }[] };
    expect(listed.items.map((item) => `${item.class} ${item.externalId}`).sort()).toEqual(
      ["account_mismatch 5100070004", "amount_mismatch 5100070005", "duplicate_line 5100070001", "missing_in_hub 5100070009", "missing_in_registry 5100070003"].sort(),
    );
    const csv = await api("/api/registries/open-items.csv");
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv; charset=utf-8/);
    const text = Buffer.from(await csv.arrayBuffer());
    expect([...text.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(text.toString("utf8")).toContain(";5100070005;100080;100080;150,00;100,00;");
    const registries = (await (await api("/api/registries")).json()) as { registries: { id: number; open: number; lines: number }[] };
    expect(registries.registries[0]).toMatchObject({ id: answer.id, lines: 7, open: 5 });
  });

  it("when the line the hub lacks is recorded, then it is credited once, and the bank's late callback for it is a repeat (CODE 8), not a second credit", async () => {
    const line = answer.lines.find((candidate: { class: string }) => candidate.class === "missing_in_hub");
    const lineId = (await hub.hub.db.$queryRawUnsafe<{ id: bigint }[]>("SELECT id FROM registry_line WHERE registry_id = $1 AND line = $2", answer.id, line.line))[0]!.id;
    const balanceBefore = (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100081" } })).balanceKopecks;
    const recorded = await api(`/api/registries/lines/${lineId}/record`, { method: "POST" });
    expect(recorded.status).toBe(200);
    expect(await recorded.json()).toMatchObject({ outcome: "accepted" });
    await waitUntilAllCredited(hub);
    expect((await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100081" } })).balanceKopecks).toBe(balanceBefore + 25_000n);
    const late = await bank(hub.url, "sberbank", bankPayment("5100070009", "100081", "250.00"));
    expect(late.elements.CODE).toBe("8");
    await waitUntilAllCredited(hub);
    expect((await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100081" } })).balanceKopecks).toBe(balanceBefore + 25_000n);
    const again = await api(`/api/registries/lines/${lineId}/record`, { method: "POST" });
    expect(again.status).toBe(409);
    const audit = await hub.hub.db.auditEntry.findMany({ where: { action: { startsWith: "registry." } }, orderBy: { id: "asc" } });
    expect(audit.map((entry) => entry.action)).toEqual(["registry.import", "registry.record-payment"]);
    await expectLedgerConsistent(hub);
  });

  it("when the amount mismatch is resolved with a note, then it leaves the open items and the note is audited; a note too short is refused", async () => {
    const lineId = (await hub.hub.db.$queryRawUnsafe<{ id: bigint }[]>("SELECT id FROM registry_line WHERE registry_id = $1 AND class = 'amount_mismatch'", answer.id))[0]!.id;
    expect((await api(`/api/registries/lines/${lineId}/resolve`, { method: "POST", body: JSON.stringify({ note: "x" }) })).status).toBe(400);
    expect((await api(`/api/registries/lines/${lineId}/resolve`, { method: "POST", body: JSON.stringify({ note: "Сбербанк подтвердил 100.00, реестр исправят" }) })).status).toBe(204);
    const entry = await hub.hub.db.auditEntry.findFirstOrThrow({ where: { action: "registry.resolve-line" } });
    expect(entry.reason).toBe("Сбербанк подтвердил 100.00, реестр исправят");
    const listed = (await (await api("/api/registries/open-items")).json()) as { items: { class: string }[] };
    expect(listed.items.map((item) => item.class)).not.toContain("amount_mismatch");
  });

  it("when the next day's registry carries the payment the first one lacked, then it is date_shift and the missing item closes by itself", async () => {
    const next = moscowDay(1);
    const imported = await importFile(fileName(next), bankRegistry(next, [{ payId: "5100070003", account: "100082", sum: "500.00", commission: "5.00", day }]));
    expect(imported.status).toBe(201);
    expect(imported.body.lines).toEqual([expect.objectContaining({ class: "date_shift", externalId: "5100070003" })]);
    const listed = (await (await api("/api/registries/open-items")).json()) as { items: { class: string }[] };
    expect(listed.items.map((item) => item.class)).not.toContain("missing_in_registry");
  });
});

describe("npm run import:registry", () => {
  const output = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, sink: { out: (line: string) => lines.out.push(line), err: (line: string) => lines.err.push(line) } };
  };

  it("exits 2 on wrong arguments, 2 on a rejected file (with the reason and line), 1 when lines are open, 0 when every line matched", async () => {
    const { writeFile, mkdtemp } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const dir = await mkdtemp(path.join(tmpdir(), "payhub-registry-"));
    const usage = output();
    expect(await runImportRegistry(["--channel"], hub.databaseUrl, usage.sink)).toBe(2);
    expect(usage.lines.err.join("\n")).toContain("usage: npm run import:registry");

    const day = moscowDay(-3);
    const bad = path.join(dir, fileName(day));
    await writeFile(bad, bankRegistry(day, [{ payId: "5100070002", account: "100081", sum: "350.50", commission: "3.51" }], { count: 2 }));
    const rejected = output();
    expect(await runImportRegistry(["--channel", "bank:sberbank", "--encoding", "utf-8", bad], hub.databaseUrl, rejected.sink)).toBe(2);
    expect(rejected.lines.out.join("\n")).toMatch(/REJECTED \(totals_mismatch\) at line 2/);

    const open = path.join(dir, fileName(day, 2));
    await writeFile(open, bankRegistry(day, [{ payId: "5100070077", account: "100081", sum: "10.00", commission: "0.10" }]));
    const withOpen = output();
    expect(await runImportRegistry(["--channel", "bank:sberbank", "--encoding", "utf-8", open], hub.databaseUrl, withOpen.sink)).toBe(1);
    expect(withOpen.lines.out.join("\n")).toMatch(/missing_in_hub\s+1\s+10\.00/);

    // Its one line names a payment no registry confirmed yet, with the hub's account and sum: matched, nothing open.
    const clean = path.join(dir, fileName(day, 3));
    await writeFile(clean, bankRegistry(day, [{ payId: "5100070004", account: "100083", sum: "700.00", commission: "7.00" }]));
    const matched = output();
    expect(await runImportRegistry(["--channel", "bank:sberbank", "--encoding", "utf-8", clean], hub.databaseUrl, matched.sink)).toBe(0);
    expect(matched.lines.err.join("\n")).toContain("accepted");
  });
});

describe("the bank statement (1C client-bank exchange) settles the registries", () => {
  const statement = async (name: string) => {
    const { readFile } = await import("node:fs/promises");
    const bytes = await readFile(new URL(`../fixtures/registries/statements/${name}`, import.meta.url));
    const response = await fetch(`${hub.url}/api/registries/statements?fileName=${name}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/octet-stream" },
      body: bytes,
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  // REGISTRIES.md §1's example (23.11, transfer 1534.99 by п/п 2291 of 24.11) and a registry of 24.11 whose transfer
  // (п/п 2307 of 25.11) the bank paid 15.00 short.
  const registry = (day: string, lines: Line[], order: string, orderDate: string) => {
    const text = bankRegistry(day, lines).toString("utf8").replace(/;2291;[0-9/]+\r\n$/, `;${order};${orderDate}\r\n`);
    return Buffer.from(text, "utf8");
  };

  it("when the statement carries a registry's payment order with total − commission, it is matched; with less, settlement_mismatch with the difference; a malformed statement is refused with its line", async () => {
    const first = await importFile(fileName("2026-11-23"), registry("2026-11-23", [
      { payId: "5100080001", account: "100080", sum: "1200.00", commission: "12.00" },
      { payId: "5100080002", account: "100081", sum: "350.50", commission: "3.51" },
    ], "2291", "24/11/2026"));
    expect(first.body.settlement).toEqual({ status: "pending", expected: "1534.99" });
    const second = await importFile(fileName("2026-11-24"), registry("2026-11-24", [
      { payId: "5100080003", account: "100082", sum: "3000.30", commission: "30.00" },
    ], "2307", "25/11/2026"));
    expect(second.body.settlement).toEqual({ status: "pending", expected: "2970.30" });

    const day24 = await statement("1c-2026-11-24.txt");
    expect(day24.status).toBe(201);
    expect(day24.body.settlements).toContainEqual(expect.objectContaining({ registryId: first.body.id, status: "matched", expected: "1534.99", found: "1534.99", difference: "0.00" }));
    expect(day24.body.settlements).toContainEqual(expect.objectContaining({ registryId: second.body.id, status: "not_found" }));
    const day25 = await statement("1c-2026-11-25.txt");
    expect(day25.body.settlements).toContainEqual(
      expect.objectContaining({ registryId: second.body.id, status: "mismatch", expected: "2970.30", found: "2955.30", difference: "-15.00", document: expect.objectContaining({ number: "2307" }) }),
    );
    const listed = (await (await api("/api/registries?channel=bank:sberbank")).json()) as { registries: { id: number; settlement: { status: string; found: string | null } }[] };
    expect(listed.registries.find((row) => row.id === first.body.id)!.settlement).toEqual({ status: "matched", found: "1534.99" });
    expect(listed.registries.find((row) => row.id === second.body.id)!.settlement).toEqual({ status: "mismatch", found: "2955.30" });

    const malformed = await statement("1c-malformed.txt");
    expect(malformed.status).toBe(422);
    expect(malformed.body).toMatchObject({ status: "rejected", line: 79 });
  });
});

describe("every provider's real file over the API, with its channel's profile", () => {
  const fixture = async (name: string) => {
    const { readFile } = await import("node:fs/promises");
    return readFile(new URL(`../fixtures/registries/${name}`, import.meta.url));
  };
  const upload = async (channel: string, name: string) => {
    const response = await fetch(`${hub.url}/api/registries?channel=${encodeURIComponent(channel)}&fileName=${encodeURIComponent(name.replace(/^bad\//, ""))}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/octet-stream" },
      body: await fixture(name),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  it.each([
    ["bank:primorye", "2536012345_40702810950000012345_231126_001.txt"],
    ["osmp:qiwi", "QIWI_12345_202611231.csv"],
    ["card", "alliance_20261123.csv"],
    ["qiwi-bill", "report_alliance_20261123_merchant_at.csv"],
    ["arsenalpay", "arsenalpay_20261123.csv"],
    ["sms3116", "sms3116_20261123.csv"],
  ])("%s: %s is accepted, every line classified, the day from its name", async (channel, name) => {
    const answer = await upload(channel, name);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ status: "accepted", channel, day: "2026-11-23" });
    expect(answer.body.lines.length).toBeGreaterThan(0);
    const classified = Object.values(answer.body.classes as Record<string, { count: number }>).reduce((sum, figure) => sum + figure.count, 0);
    expect(classified).toBeGreaterThanOrEqual(answer.body.lines.length);
  });

  it.each([
    ["bank:primorye", "bad/2536012345_40702810950000012345_241126_001.txt", "totals_mismatch"],
    ["osmp:qiwi", "bad/QIWI_12345_202611241.csv", undefined],
    ["card", "bad/alliance_20261124.csv", undefined],
  ])("%s: %s is rejected whole and records nothing", async (channel, name, reason) => {
    const before = await registryCount();
    const answer = await upload(channel, name);
    expect(answer.status).toBe(422);
    expect(answer.body.status).toBe("rejected");
    if (reason) expect(answer.body.reason).toBe(reason);
    expect(answer.body.line).toBeGreaterThan(0);
    expect(await registryCount()).toBe(before);
  });

  it("a file in windows-1251 where the profile says UTF-8 is read by its bytes, Cyrillic right", async () => {
    const answer = await upload("sms3116", "bad/sms3116_20261124.csv");
    expect(answer.status).toBe(201);
    const stored = await hub.hub.db.registry.findUniqueOrThrow({ where: { id: answer.body.id } });
    expect(stored.encoding).toBe("windows-1251");
  });

  it("an API channel's file is refused with where its registry comes from", async () => {
    const answer = await upload("yoomoney", "QIWI_12345_202611231.csv");
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ reason: "unknown_channel", message: expect.stringContaining("built from its API") });
  });
});

describe("withdrawing a registry", () => {
  it("when a provider sends a corrected file, the first is refused until withdrawn (with a reason, audited); then the corrected one is imported and its lines confirm the payments again", async () => {
    expect((await bank(hub.url, "sberbank", bankPayment("5100070100", "100080", "10.00"))).elements.CODE).toBe("0");
    const day = moscowDay();
    const first = await importFile(fileName(day, 5), bankRegistry(day, [{ payId: "5100070100", account: "100080", sum: "10.00", commission: "0.10" }]));
    expect(first.body.lines[0]).toMatchObject({ class: "matched" });
    const corrected = bankRegistry(day, [{ payId: "5100070100", account: "100080", sum: "10.00", commission: "0.20" }]);
    expect((await importFile(fileName(day, 5), corrected)).body).toMatchObject({ status: "rejected", reason: "conflicting_import" });

    expect((await api(`/api/registries/${first.body.id}/withdraw`, { method: "POST", body: JSON.stringify({ note: "ok" }) })).status).toBe(400);
    expect((await api(`/api/registries/${first.body.id}/withdraw`, { method: "POST", body: JSON.stringify({ note: "Сбербанк прислал исправленную комиссию" }) })).status).toBe(204);
    expect((await api(`/api/registries/${first.body.id}/withdraw`, { method: "POST", body: JSON.stringify({ note: "Сбербанк прислал исправленную комиссию" }) })).status).toBe(409);
    const second = await importFile(fileName(day, 5), corrected);
    expect(second.status).toBe(201);
    expect(second.body.lines[0]).toMatchObject({ class: "matched", externalId: "5100070100" });
    const registries = (await (await api("/api/registries")).json()) as { registries: { id: number }[] };
    expect(registries.registries.map((registry) => registry.id)).not.toContain(first.body.id);
    const entry = await hub.hub.db.auditEntry.findFirstOrThrow({ where: { action: "registry.withdraw" } });
    expect(entry).toMatchObject({ target: `registry:${first.body.id}`, reason: "Сбербанк прислал исправленную комиссию" });
  });
});
