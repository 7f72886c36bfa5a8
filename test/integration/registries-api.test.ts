import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedArsenalpaySign } from "../../adapters/arsenalpay/verify.ts";
import { expectedSignature } from "../../adapters/qiwi-bill/verify.ts";
import { createPool, type SqlPool } from "../../src/db.ts";
import { createLogger } from "../../src/log.ts";
import { statusSign } from "../../src/registries/api/arsenalpay.ts";
import { fetchYoomoneyRegistry } from "../../src/registries/api/yoomoney.ts";
import { importParsedRegistry } from "../../src/registries/import-registry.ts";
import { API_PROFILES } from "../../src/registries/profiles.ts";
import { apiRegistrySources, fetchRegistriesOnce, REGISTRY_FETCHER_CONTEXT, type FetchOutcome, type RegistryFetcherDeps } from "../../src/registries/registry-fetcher.ts";
import { dueAt, moscowDay } from "../../src/registries/registry-missing.ts";
import { bank, bankPayment } from "../support/bank-client.ts";
import { issueQiwiBill, TEST_ADMIN_TOKEN } from "../support/issued-payments.ts";
import { yoomoneyNotification } from "../support/signed-requests.ts";
import { startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// Registries the worker builds from the providers' APIs (REGISTRIES.md §4), with the providers played by nock and
// everything else real: the hub takes YooMoney, QIWI bill and ArsenalPay payments today; one fetch round "tomorrow
// morning" reads YooMoney's operation history (two pages), QIWI's status of every bill payhub issued and ArsenalPay's
// status of every RRN, and records each registry with its classes, seen over GET /api/registries and its open items.
// Two workers running the round at once record each registry once; the next round fetches nothing. And the
// registry_missing gauge counts a file channel's day whose registry is past its due hour.

const YOOMONEY_SECRET = "ym-registry-api-secret";
const YOOMONEY_TOKEN = "410012345678901.REGISTRYAPITESTTOKEN0123456789";
const QIWI_SECRET = "qiwi-registry-api-secret-key";
const SITE_ID = "alliance-site";
const ARSENALPAY_KEY = "arsenalpay-callback-key";
const ARSENALPAY_MERCHANT = "166301";
const ARSENALPAY_STATUS_KEY = "arsenalpay-status-secret";

let hub: TestHub;
const pools: SqlPool[] = [];
/** The registry day: today in Moscow, when the test's payments arrive. */
const day = moscowDay(new Date());
const shift = (days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 24 * 3_600_000).toISOString().slice(0, 10);
const previousDay = shift(-1);
/** "Tomorrow" at 07:00 Moscow: the day is over and REGISTRY_API_HOUR (6) has passed. */
const tomorrowMorning = dueAt(day, 7);

const api = async (path: string) => (await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).json() as Promise<Record<string, any>>;
const scrape = async () => (await fetch(`${hub.url}/metrics`)).text();
const sample = (text: string, series: string) => {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
const form = (body: unknown): Record<string, string> =>
  typeof body === "string" ? Object.fromEntries(new URLSearchParams(body)) : (body as Record<string, string>);

/** A worker's fetcher, on a pool of its own (as each worker process has). */
function fetcher(): RegistryFetcherDeps {
  const pool = createPool(hub.databaseUrl, 4);
  pools.push(pool);
  return { pool, log: createLogger("silent"), sources: apiRegistrySources(hub.config, pool), apiHour: hub.config.registries.apiHour };
}

beforeAll(async () => {
  // Only the providers are faked: the hub answers on loopback, and nothing may leave for the real ones.
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  hub = await startTestHub({
    YOOMONEY_NOTIFICATION_SECRET: YOOMONEY_SECRET,
    YOOMONEY_API_TOKEN: YOOMONEY_TOKEN,
    QIWI_BILL_SECRET_KEY: QIWI_SECRET,
    QIWI_BILL_SITE_ID: SITE_ID,
    ARSENALPAY_CALLBACK_KEY: ARSENALPAY_KEY,
    ARSENALPAY_MERCHANT_ID: ARSENALPAY_MERCHANT,
    ARSENALPAY_STATUS_KEY,
    // The hub's own worker looks once at start (nothing is due then) and not again during the test.
    REGISTRY_FETCH_INTERVAL_MS: "3600000",
    // Sberbank's registry of a day is due from midnight: yesterday's is past due now.
    REGISTRY_DUE: "bank:sberbank=0",
  });
}, 60_000);

afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await Promise.all(pools.map((pool) => pool.end()));
  await hub?.stop();
});

describe("registry_missing", () => {
  it("when payhub took a Sberbank payment yesterday and no registry of that day came by its hour, then payhub_registry_missing counts the day; channels without payments count none", async () => {
    expect((await bank(hub.url, "sberbank", bankPayment("5200000001", "100080", "100.00"))).elements.CODE).toBe("0");
    // The payment as if it had come yesterday (Moscow).
    await hub.hub.db.$executeRawUnsafe("UPDATE inbound_payment SET received_at = received_at - interval '1 day' WHERE channel = 'bank:sberbank'");
    await waitUntilAllCredited(hub);
    const text = await scrape();
    expect(text).toMatch(/^# HELP payhub_registry_missing /m);
    expect(sample(text, 'payhub_registry_missing{channel="bank:sberbank"}')).toBe(1);
    expect(sample(text, 'payhub_registry_missing{channel="osmp:qiwi"}')).toBe(0);
    // YooMoney is expected (its API token is set) but has no payment yet; WebMoney's registry is not fetched.
    expect(sample(text, 'payhub_registry_missing{channel="yoomoney"}')).toBe(0);
    expect(sample(text, 'payhub_registry_missing{channel="webmoney"}')).toBeUndefined();
  });
});

describe("registries from the providers' APIs", () => {
  let bills: { paid: string; lost: string; waiting: string };

  beforeAll(async () => {
    // YooMoney: three notifications of 98.00 (the third YooMoney's history will not show).
    for (const [operationId, label] of [
      ["ym-api-1", "100080"],
      ["ym-api-2", "100081"],
      ["ym-api-3", "100082"],
    ] as const) {
      const response = await fetch(`${hub.url}/webhooks/yoomoney`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(yoomoneyNotification(YOOMONEY_SECRET, operationId, label)).toString(),
      });
      expect(response.status).toBe(200);
    }
    // QIWI bills: three issued; the first paid and notified, the second paid at QIWI but its notification lost, the
    // third never paid.
    bills = { paid: await issueQiwiBill(hub, "100080", "300.00"), lost: await issueQiwiBill(hub, "100081", "200.00"), waiting: await issueQiwiBill(hub, "100082", "150.00") };
    const paid = { bill: { siteId: SITE_ID, billId: bills.paid, amount: { value: "300.00", currency: "RUB" }, status: { value: "PAID", changedDateTime: `${day}T10:00:00+03:00` }, customer: { account: "100080" } }, version: "1" };
    const notified = await fetch(`${hub.url}/webhooks/qiwi-bill`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "X-Api-Signature-SHA256": expectedSignature({ currency: "RUB", value: "300.00", billId: bills.paid, siteId: SITE_ID, status: "PAID" }, QIWI_SECRET)!,
      },
      body: JSON.stringify(paid),
    });
    expect(notified.status).toBe(200);
    // ArsenalPay: two payments; ArsenalPay will confirm the first only.
    for (const [rrn, account, amount] of [
      ["ap-rrn-1", "100080", "500.00"],
      ["ap-rrn-2", "100081", "700.00"],
    ] as const) {
      const signed = { ID: ARSENALPAY_MERCHANT, FUNCTION: "payment", RRN: rrn, PAYER: "427600******1234", AMOUNT: amount, ACCOUNT: account, STATUS: "payment" };
      const response = await fetch(`${hub.url}/webhooks/arsenalpay`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ ...signed, DATETIME: `${day}T12:00:00+03:00`, SIGN: expectedArsenalpaySign(signed, ARSENALPAY_KEY) }).toString(),
      });
      expect(await response.text()).toBe("OK");
    }
    await waitUntilAllCredited(hub);
  }, 60_000);

  /** YooMoney's two pages of the day's deposits, as its documentation describes them (newest first). */
  const yoomoneyPages = (extra: object[] = []) => [
    {
      next_record: "2",
      operations: [
        ...extra,
        { operation_id: "ym-api-9", status: "success", datetime: `${day}T12:00:00.000+03:00`, title: "Пополнение с карты ****4444", direction: "in", amount: "75.50", label: " 100083 ", type: "deposition" },
        { operation_id: "ym-api-1", status: "success", datetime: `${day}T16:15:00.000+10:00`, title: "Перевод от 41001000040", direction: "in", amount: 98, label: "100080", type: "incoming-transfer" },
      ],
    },
    {
      operations: [
        { operation_id: "ym-api-refused", status: "refused", datetime: `${day}T08:00:00.000+03:00`, direction: "in", amount: 10, label: "100080", type: "incoming-transfer" },
        // 21:30 UTC the evening before is 00:30 of the day in Moscow.
        { operation_id: "ym-api-2", status: "success", datetime: `${previousDay}T21:30:00Z`, title: "Перевод от 41001000040", direction: "in", amount: 98.5, label: "100081", type: "incoming-transfer" },
      ],
    },
  ];
  const sentForms: Record<string, string>[] = [];
  const nockYoomoney = (pages = yoomoneyPages()) =>
    nock("https://yoomoney.ru", { reqheaders: { authorization: `Bearer ${YOOMONEY_TOKEN}` } })
      .post("/api/operation-history", (body) => {
        const sent = form(body);
        if (sent.start_record === undefined) sentForms.push(sent);
        return sent.start_record === undefined;
      })
      .reply(200, JSON.stringify(pages[0]), { "content-type": "application/json" })
      .post("/api/operation-history", (body) => {
        const sent = form(body);
        if (sent.start_record === "2") sentForms.push(sent);
        return sent.start_record === "2";
      })
      .reply(200, JSON.stringify(pages[1]), { "content-type": "application/json" });

  const qiwiBill = (billId: string, account: string, value: unknown, status: string, changed: string) => ({
    siteId: SITE_ID,
    billId,
    amount: { value, currency: "RUB" },
    status: { value: status, changedDateTime: changed },
    customer: { account },
    creationDateTime: `${day}T09:00:00+03:00`,
    expirationDateTime: `${day}T23:00:00+03:00`,
    payUrl: `https://oplata.qiwi.com/form/?invoice_uid=${billId}`,
  });
  const arsenalpayStatus = (rrn: string, account: string, amount: string, status: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<main>\n    <rrn>${rrn}</rrn>\n    <account>${account}</account>\n    <amount>${amount}</amount>\n    <phone>9140000000</phone>\n    <datetime>${day} 12:00:05</datetime>\n    <status>${status}</status>\n</main>`;

  let outcomes: FetchOutcome[];

  it("when two workers run a fetch round the next morning at once, then each channel's registry of the day is fetched and recorded once", async () => {
    const scopes = [
      nockYoomoney(),
      nock("https://api.qiwi.com", { reqheaders: { authorization: `Bearer ${QIWI_SECRET}` } })
        .get(`/partner/bill/v1/bills/${bills.paid}`)
        .reply(200, qiwiBill(bills.paid, "100080", 300, "PAID", `${day}T10:00:00+03`))
        .get(`/partner/bill/v1/bills/${bills.lost}`)
        .reply(200, qiwiBill(bills.lost, "100081", "200.00", "PAID", `${day}T11:00:00.123+03:00`))
        .get(`/partner/bill/v1/bills/${bills.waiting}`)
        .reply(200, qiwiBill(bills.waiting, "100082", "150.00", "WAITING", `${day}T09:00:00+03:00`)),
      nock("https://arsenalpay.ru")
        .post("/init_pay_mk/", (body) => {
          const sent = form(body);
          return sent.RRN === "ap-rrn-1" && sent.ID === ARSENALPAY_MERCHANT && sent.FUNCTION === "init_pay_mk_status" && sent.SIGN === statusSign(ARSENALPAY_MERCHANT, "ap-rrn-1", ARSENALPAY_STATUS_KEY);
        })
        .reply(200, arsenalpayStatus("ap-rrn-1", "100080", "500.00", "OK_PAY"))
        .post("/init_pay_mk/", (body) => form(body).RRN === "ap-rrn-2" && form(body).SIGN === statusSign(ARSENALPAY_MERCHANT, "ap-rrn-2", ARSENALPAY_STATUS_KEY))
        .reply(200, arsenalpayStatus("ap-rrn-2", "100081", "700.00", "ERR_PAY")),
    ];
    const rounds = await Promise.all([fetchRegistriesOnce(fetcher(), tomorrowMorning), fetchRegistriesOnce(fetcher(), tomorrowMorning)]);
    for (const scope of scopes) scope.done();
    outcomes = rounds.flat();
    expect(outcomes.filter((outcome) => outcome.outcome === "failed" || outcome.outcome === "rejected")).toEqual([]);
    const recorded = outcomes.filter((outcome) => outcome.outcome === "recorded");
    expect(recorded.map((outcome) => `${outcome.channel} ${outcome.day}`).sort()).toEqual([`arsenalpay ${day}`, `qiwi-bill ${day}`, `yoomoney ${day}`]);
    // The other worker found each day locked or already recorded, and asked the providers nothing.
    expect(outcomes.filter((outcome) => outcome.outcome !== "recorded").every((outcome) => outcome.outcome === "busy" || outcome.outcome === "already_recorded")).toBe(true);

    // YooMoney's history was asked for exactly the Moscow day, 100 records a page, deposits only.
    const asked = { type: "deposition", from: `${day}T00:00:00+03:00`, till: `${shift(1)}T00:00:00+03:00`, records: "100" };
    expect(sentForms).toContainEqual(asked);
    expect(sentForms).toContainEqual({ ...asked, start_record: "2" });
  });

  it("then the YooMoney registry has the day's successful deposits with their classes: an operation payhub never received is missing_in_hub, a hub payment absent from it missing_in_registry", async () => {
    const yoomoney = outcomes.find((outcome) => outcome.outcome === "recorded" && outcome.channel === "yoomoney") as Extract<FetchOutcome, { outcome: "recorded" }>;
    expect(yoomoney.classes).toMatchObject({
      matched: { count: 1, amount: "98.00" },
      amount_mismatch: { count: 1, amount: "98.50" },
      missing_in_hub: { count: 1, amount: "75.50" },
      missing_in_registry: { count: 1, amount: "98.00" },
    });
    const { registries } = await api("/api/registries?channel=yoomoney");
    expect(registries).toEqual([
      expect.objectContaining({ id: yoomoney.registryId, channel: "yoomoney", day, source: "api", lines: 3, total: "272.00", settlement: { status: "not_applicable", found: null }, open: 3, importedBy: "registry-fetcher" }),
    ]);
    const { items } = await api("/api/registries/open-items?channel=yoomoney");
    expect(items.map((item: { class: string; externalId: string }) => `${item.class} ${item.externalId}`).sort()).toEqual(
      ["amount_mismatch ym-api-2", "missing_in_hub ym-api-9", "missing_in_registry ym-api-3"].sort(),
    );
    // The label is the account, trimmed; the JSON number 98.5 is 98.50 exactly.
    expect(items.find((item: { externalId: string }) => item.externalId === "ym-api-9")).toMatchObject({ account: "100083", amount: "75.50", actions: expect.arrayContaining(["record"]) });
    expect(items.find((item: { externalId: string }) => item.externalId === "ym-api-2")).toMatchObject({ amount: "98.50", hubAmount: "98.00" });
    const lines = await hub.hub.db.$queryRawUnsafe<{ external_id: string; class: string; line_date: Date; line_time: string }[]>(
      "SELECT external_id, class, line_date, line_time FROM registry_line WHERE registry_id = $1 ORDER BY line",
      yoomoney.registryId,
    );
    // Oldest first, in Moscow time: 21:30Z the evening before is 00:30, 16:15+10:00 is 09:15.
    expect(lines.map((line) => [line.external_id, line.class, line.line_date.toISOString().slice(0, 10), line.line_time])).toEqual([
      ["ym-api-2", "amount_mismatch", day, "00:30:00"],
      ["ym-api-1", "matched", day, "09:15:00"],
      ["ym-api-9", "missing_in_hub", day, "12:00:00"],
    ]);
  });

  it("then the QIWI bills registry has the bills QIWI shows PAID that day (the one whose notification was lost is missing_in_hub), and ArsenalPay's has the RRNs it confirms (the other is missing_in_registry)", async () => {
    const qiwi = await api("/api/registries/open-items?channel=qiwi-bill");
    expect(qiwi.items.map((item: { class: string; externalId: string; account: string; amount: string }) => [item.class, item.externalId, item.account, item.amount])).toEqual([
      ["missing_in_hub", bills.lost, "100081", "200.00"],
    ]);
    const arsenalpay = await api("/api/registries/open-items?channel=arsenalpay");
    expect(arsenalpay.items.map((item: { class: string; externalId: string; amount: string }) => [item.class, item.externalId, item.amount])).toEqual([["missing_in_registry", "ap-rrn-2", "700.00"]]);
    const { registries } = await api("/api/registries");
    expect(registries.filter((registry: { source: string }) => registry.source === "api").map((registry: { channel: string; lines: number; open: number }) => [registry.channel, registry.lines, registry.open]).sort()).toEqual([
      ["arsenalpay", 1, 1],
      ["qiwi-bill", 2, 1],
      ["yoomoney", 3, 3],
    ]);
    const matched = await hub.hub.db.$queryRawUnsafe<{ channel: string; external_id: string }[]>(
      "SELECT r.channel, l.external_id FROM registry_line l JOIN registry r ON r.id = l.registry_id WHERE r.source = 'api' AND l.class = 'matched' ORDER BY r.channel",
    );
    expect(matched.map((row) => `${row.channel} ${row.external_id}`)).toEqual(["arsenalpay ap-rrn-1", `qiwi-bill ${bills.paid}`, "yoomoney ym-api-1"]);
    // Recorded by the fetcher, audited as such; no money moved.
    const audit = await hub.hub.db.auditEntry.findMany({ where: { action: "registry.import" } });
    expect(audit.map((entry) => entry.actor)).toEqual(["registry-fetcher", "registry-fetcher", "registry-fetcher"]);
  });

  it("when the next round comes, then it fetches and records nothing: every day is in", async () => {
    const before = await hub.hub.db.$queryRawUnsafe<{ n: bigint }[]>("SELECT count(*) AS n FROM registry");
    // No interceptor is left: any request to a provider would fail the round.
    expect(await fetchRegistriesOnce(fetcher(), tomorrowMorning)).toEqual([]);
    expect(await fetchRegistriesOnce(fetcher(), new Date(tomorrowMorning.getTime() + 3 * 3_600_000))).toEqual([]);
    expect(await hub.hub.db.$queryRawUnsafe<{ n: bigint }[]>("SELECT count(*) AS n FROM registry")).toEqual(before);
  });

  it("when the same day's history is fetched again, then the same answers are already_imported and one more operation is conflicting_import: an API registry is never replaced", async () => {
    const options = { token: YOOMONEY_TOKEN, baseUrl: "https://yoomoney.ru" };
    const record = async (fetched: Awaited<ReturnType<typeof fetchYoomoneyRegistry>>) =>
      importParsedRegistry(fetcher().pool, REGISTRY_FETCHER_CONTEXT, { channel: "yoomoney", fileName: fetched.fileName, source: "api", sha256: fetched.sha256, profile: API_PROFILES.yoomoney!, registry: fetched.registry });
    let scope = nockYoomoney();
    expect(await record(await fetchYoomoneyRegistry(options, day))).toMatchObject({ status: "rejected", reason: "already_imported" });
    scope.done();
    scope = nockYoomoney(yoomoneyPages([{ operation_id: "ym-api-late", status: "success", datetime: `${day}T23:59:59+03:00`, direction: "in", amount: 1, label: "100080" }]));
    expect(await record(await fetchYoomoneyRegistry(options, day))).toMatchObject({ status: "rejected", reason: "conflicting_import" });
    scope.done();
  });

  it("when YooMoney refuses the token, then the round reports the day failed, names no token, records nothing, and the day is tried again next round", async () => {
    await hub.hub.db.$executeRawUnsafe("UPDATE registry SET withdrawn_at = now() WHERE channel = 'yoomoney'");
    const scope = nock("https://yoomoney.ru").post("/api/operation-history").reply(401, "", { "WWW-Authenticate": 'Bearer error="invalid_token"' });
    const round = await fetchRegistriesOnce({ ...fetcher(), sources: apiRegistrySources(hub.config, fetcher().pool).filter((source) => source.channel === "yoomoney") }, tomorrowMorning);
    scope.done();
    expect(round).toEqual([{ channel: "yoomoney", day, outcome: "failed", message: expect.stringContaining("YooMoney refused the operation history") }]);
    expect((round[0] as { message: string }).message).toContain("HTTP 401");
    expect((round[0] as { message: string }).message).not.toContain(YOOMONEY_TOKEN);
    const live = await hub.hub.db.$queryRawUnsafe<{ n: bigint }[]>("SELECT count(*) AS n FROM registry WHERE channel = 'yoomoney' AND withdrawn_at IS NULL");
    expect(live[0]!.n).toBe(0n);
  });
});
