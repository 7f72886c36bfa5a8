import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runImportCommand } from "../../scripts/import-accounts.ts";
import { importAccounts, type ImportProgress, type ImportReport } from "../../src/accounts/import-accounts.ts";
import { osmp } from "../support/osmp-client.ts";
import { startTestHub, type TestHub } from "../support/test-hub.ts";

// The subscriber base import: a billing export becomes accounts that the API shows and the OSMP check finds.
// Demo accounts of a fresh hub: 100080 (login atk141925) … 100099.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ADMIN = { authorization: "Bearer test-admin-token-0123456789" };

let hub: TestHub;
let workDir: string;
beforeAll(async () => {
  [hub, workDir] = await Promise.all([startTestHub(), mkdtemp(path.join(os.tmpdir(), "payhub-import-"))]);
});
afterAll(async () => {
  await hub?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function account(number: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${hub.url}/api/accounts/${number}`, { headers: ADMIN });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

// As Excel in a Russian locale saves "CSV UTF-8": BOM, ";" between fields, CRLF line ends.
const EXPORT = [
  "\uFEFFnumber;login;owner_name;address;phone;status;monthly_fee",
  /* line 2 */ "400001;atk400001;Соколов Андрей Викторович;г. Владивосток, ул. Светланская, д. 83;+79143210001;active;890.00",
  /* line 3 */ '400002;atk400002;"Морозова Елена Игоревна";"г. Уссурийск; ул. ""Некрасова"", д. 245, кв. 21";+79243210002;blocked;650.50',
  /* line 4 */ "400003;;Волков Сергей Николаевич;г. Находка, Находкинский пр-т, д. 58;;;500",
  /* line 5 */ "400004;atk400004;Лебедева Наталья Павловна;г. Артём, ул. Кирова, д. 40;;frozen;590.00",
  /* line 6 */ "400005;;Козлов Михаил Юрьевич;г. Артём, ул. Фрунзе, д. 62;;active;1e3",
  /* line 7 */ "40O006;;Новикова Татьяна Александровна;г. Находка;;active;490.00",
  /* line 8 */ "400007;atk141925;Павлов Игорь Дмитриевич;г. Владивосток;;active;690.00",
  /* line 9 */ "400008;;Егорова Светлана Олеговна;г. Владивосток; ул. Русская, д. 65;;active;490.00",
  /* line 10 */ ";;Без Номера;г. Артём;;active;490.00",
  /* line 11 */ "400009;;;г. Артём;;active;490.00",
  /* line 12 */ "400001;atk400001;Соколов Андрей Викторович;г. Владивосток, ул. Адмирала Фокина, д. 4;+79143210001;blocked;950.00",
  /* line 13 */ "100080;atk141925;Иванов Иван Иванович;г. Владивосток, ул. Луговая, д. 21а, кв. 12;+79140000080;active;990.00",
  /* line 14 */ '400010;;"Орлова Ирина Витальевна";"г. Владивосток,',
  /* line 15 */ 'ул. Пушкинская, д. 10";;closed;0.00',
  "",
].join("\r\n");

describe("importing the subscriber base from CSV", () => {
  let report: ImportReport;

  beforeAll(async () => {
    const result = await importAccounts(hub.hub.db, EXPORT);
    if (!result.ok) throw new Error(`the export was refused as a whole: ${result.problem}`);
    report = result.report;
  });

  it("then every good row is created or updated and every bad one is counted as rejected", () => {
    // 13 rows: the record of lines 14-15 is one row.
    expect(report).toMatchObject({ rowsRead: 13, created: 4, updated: 2, rejected: 7 });
    expect(report.rejections).toHaveLength(7);
  });

  it("then each rejected row is reported with its line, its number and the column at fault", () => {
    const byLine = Object.fromEntries(report.rejections.map((rejection) => [rejection.line, rejection]));
    expect(byLine[5]).toMatchObject({ number: "400004", reason: expect.stringMatching(/^status: /) });
    expect(byLine[6]).toMatchObject({ number: "400005", reason: expect.stringMatching(/^monthly_fee: amount "1e3"/) });
    expect(byLine[7]).toMatchObject({ number: "40O006", reason: expect.stringMatching(/^number: /) });
    expect(byLine[8]).toMatchObject({ number: "400007", reason: 'login: login "atk141925" already belongs to account 100080' });
    expect(byLine[9]).toMatchObject({ number: "400008", reason: expect.stringMatching(/the row has 8 fields, the header 7/) });
    expect(byLine[10]).toMatchObject({ number: undefined, reason: "number: is empty" });
    expect(byLine[11]).toMatchObject({ number: "400009", reason: expect.stringMatching(/^owner_name/) });
  });

  it("then a quoted field keeps its ; and its doubled quotes, and the API shows the account as imported", async () => {
    const { status, body } = await account("400002");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      number: "400002",
      login: "atk400002",
      ownerName: "М***а Е. И.",
      address: 'г. Уссурийск; ул. "Некрасова", д. 245, кв. 21',
      status: "blocked",
      monthlyFee: "650.50",
      balance: "0.00",
      movements: [],
    });
  });

  it("then empty login and phone mean none, and an empty status means active", async () => {
    const { body } = await account("400003");
    expect(body).toMatchObject({ login: null, status: "active", monthlyFee: "500.00" });
    const stored = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "400003" } });
    expect(stored.phone).toBeNull();
  });

  it("then a quoted field spanning two lines is read whole", async () => {
    expect((await account("400010")).body).toMatchObject({ address: "г. Владивосток,\r\nул. Пушкинская, д. 10" });
  });

  it("then a number given twice is one account with the later row's details, not two", async () => {
    expect((await account("400001")).body).toMatchObject({
      address: "г. Владивосток, ул. Адмирала Фокина, д. 4",
      status: "blocked",
      monthlyFee: "950.00",
    });
    expect(await hub.hub.db.ledgerAccount.count({ where: { code: "subscriber:400001" } })).toBe(1);
  });

  it("then an existing account is updated in place: same ledger account, balance untouched", async () => {
    const before = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100081" } });
    expect((await account("100080")).body).toMatchObject({ monthlyFee: "990.00", balance: "0.00" });
    const after = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100080" } });
    expect(after.ledgerAccountId).toBeLessThan(before.ledgerAccountId + 100);
    expect(await hub.hub.db.ledgerAccount.count({ where: { code: "subscriber:100080" } })).toBe(1);
  });

  it("then rejected rows created nothing", async () => {
    for (const number of ["400004", "400005", "400007", "400008", "400009"]) expect((await account(number)).status).toBe(404);
  });

  it("then the OSMP check finds imported accounts with their status: active 0, blocked 7", async () => {
    expect(await osmp(hub.url, { command: "check", txn_id: "1", account: "400003" })).toMatchObject({ result: 0, fio: "В***в С. Н." });
    expect((await osmp(hub.url, { command: "check", txn_id: "2", account: "400002" })).result).toBe(7);
    expect((await osmp(hub.url, { command: "check", txn_id: "3", account: "400010" })).result).toBe(79);
  });

  it("when the same export is imported again as a byte stream in small batches, then every good row is updated and none created", async () => {
    async function* bytes(): AsyncIterable<Uint8Array> {
      const encoded = new TextEncoder().encode(EXPORT);
      for (let at = 0; at < encoded.length; at += 7) yield encoded.slice(at, at + 7);
    }
    const accountsBefore = await hub.hub.db.subscriberAccount.count();
    const again = await importAccounts(hub.hub.db, bytes(), { batchSize: 2 });
    expect(again).toMatchObject({ ok: true, report: { rowsRead: 13, created: 0, updated: 6, rejected: 7 } });
    expect(await hub.hub.db.subscriberAccount.count()).toBe(accountsBefore);
  });
});

describe("importing a large export", () => {
  it("when 5 000 rows are imported, then progress is reported every 1 000 rows and all of them are created", async () => {
    const lines = ["number,login,owner_name,address,phone,status,monthly_fee"];
    for (let index = 0; index < 5000; index++) {
      lines.push(`${500000 + index},bulk${index},Абонент Номер ${index},"г. Артём, ул. Кирова, д. ${index % 90}",,active,${(index % 9) + 4}90.00`);
    }
    const progress: ImportProgress[] = [];
    const result = await importAccounts(hub.hub.db, lines.join("\n"), { onProgress: (step) => progress.push(step) });
    expect(result).toMatchObject({ ok: true, report: { rowsRead: 5000, created: 5000, updated: 0, rejected: 0 } });
    expect([...new Set(progress.map((step) => step.rowsRead))]).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(progress.at(-1)).toMatchObject({ rowsRead: 5000, created: 5000, rejected: 0 });
    expect(progress.every((step) => step.rowsPerSecond > 0)).toBe(true);
    expect((await account("504999")).body).toMatchObject({ login: "bulk4999", monthlyFee: "890.00" });
  });
});

describe("files that cannot be imported at all", () => {
  it.each([
    ["an empty file", "", /the file is empty/],
    ["a header with an unknown column", "number,owner_name,tariff\n1,A,x\n", /unknown column "tariff"/],
    ["a header without owner_name", "number,login\n1,a\n", /lacks the column owner_name/],
    ["a header naming a column twice", "number,owner_name,number\n", /column "number" twice/],
  ])("when it is %s, then the import is refused as a whole with the reason", async (_what, text, problem) => {
    const result = await importAccounts(hub.hub.db, text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(problem);
  });
});

describe("the import command", () => {
  it("when run as a process on a file with a bad row, then it exits 1, prints progress on stderr and the rejected row in its summary", async () => {
    const file = path.join(workDir, "with-bad-row.csv");
    await writeFile(
      file,
      [
        "number,login,owner_name,address,phone,status,monthly_fee",
        "600001,,Белова Анна Сергеевна,г. Находка,,active,590.00",
        "600002,,Титов Олег Иванович,г. Уссурийск,,dormant,590.00",
        "600003,,Зайцева Вера Павловна,г. Артём,,,",
      ].join("\n"),
    );
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/import-accounts.ts"), "--", file], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: hub.databaseUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", resolve);
    });

    expect({ code, stderr }).toMatchObject({ code: 1 });
    expect(stdout).toContain("3 rows read, 2 created, 0 updated, 1 rejected");
    expect(stdout).toMatch(/line 3 \(account 600002\): status: /);
    expect(stderr).toMatch(/^import-accounts: 3 rows read, 2 created, 0 updated, 1 rejected, [0-9]+ rows\/s$/m);
    expect((await account("600003")).body).toMatchObject({ status: "active", monthlyFee: "0.00" });
  });

  async function command(args: string[], databaseUrl = hub.databaseUrl): Promise<{ code: number; out: string; err: string }> {
    const lines = { out: [] as string[], err: [] as string[] };
    const code = await runImportCommand(args, databaseUrl, { out: (line) => lines.out.push(line), err: (line) => lines.err.push(line) });
    return { code, out: lines.out.join("\n"), err: lines.err.join("\n") };
  }

  it("when every row of the file is imported (the sample file), then it exits 0", async () => {
    const sample = await command(["--", path.join(ROOT, "scripts/sample-accounts.csv")]);
    expect(sample).toMatchObject({ code: 0 });
    expect(sample.out).toContain("10 rows read, 10 created, 0 updated, 0 rejected");
    expect(sample.out).not.toContain("rejected;");
    expect((await account("200009")).body).toMatchObject({ status: "closed", address: "г. Артём, ул. Фрунзе, д. 62" });
  });

  it("when the file cannot be read, then it exits 2 and says why", async () => {
    const missing = await command([path.join(workDir, "no-such-file.csv")]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no-such-file\.csv could not be read: .*ENOENT/);
    const cp1251 = path.join(workDir, "cp1251.csv");
    await writeFile(cp1251, Buffer.from([...Buffer.from("number,owner_name\n700001,"), 0xc8, 0xe2, 0xe0, 0xed, 0xee, 0xe2, 0x0a]));
    expect(await command([cp1251])).toMatchObject({ code: 2, err: expect.stringMatching(/not UTF-8/) });
    expect((await command([])).code).toBe(2);
  });

  it("when the database cannot be reached, then it exits 3 naming the database", async () => {
    const noDatabase = await command([path.join(ROOT, "scripts/sample-accounts.csv")], hub.databaseUrl.replace(/\/[^/]+$/, "/payhub_no_such_database"));
    expect(noDatabase.code).toBe(3);
    expect(noDatabase.err).toMatch(/payhub_no_such_database failed/);
  });
});
