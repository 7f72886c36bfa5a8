import { spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runSimulator } from "../../scripts/simulate.ts";
import { issueQiwiBill } from "../support/issued-payments.ts";
import { expectLedgerConsistent, startTestHub, waitFor, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// The provider simulator (`npm run simulate`) against a real hub: for every channel, a payment sent twice (--repeat 2)
// is answered the protocol's success both times and credits the account exactly once; a wrong secret exits 1.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The hub's secrets, given to the hub and, as the same variable names, to the simulator (as `. ./.env` would). */
const SECRETS = {
  OSMP_VLADIK_BASIC_USER: "vladik",
  OSMP_VLADIK_BASIC_PASSWORD: "vladik-password",
  BANK_SBERBANK_HASH_SECRET: "sber-hash-secret",
  WEBMONEY_SECRET_KEY: "wm-secret-key",
  WEBMONEY_PURSES: "R123456789012,Z123456789012",
  YOOMONEY_NOTIFICATION_SECRET: "ym-notification-secret",
  QIWI_BILL_SECRET_KEY: "qiwi-bill-secret-key",
  QIWI_BILL_SITE_ID: "alliance-site",
  SMS_SERVICE_KEY: "sms-service-key",
  SMS_API_KEY: "sms-api-key",
  CARD_CHECKSUM_KEY: "card-checksum-key",
  ARSENALPAY_CALLBACK_KEY: "arsenalpay-callback-key",
  ARSENALPAY_MERCHANT_ID: "166301",
};

/** The card acquirer (played by nock, as in card.test.ts: only the acquirer; the hub on localhost is real). */
const ACQUIRER = "https://acquirer.test";
const ACQUIRER_API_PATH = "/payment/rest";
const CARD_ACQUIRER = {
  CARD_API_URL: `${ACQUIRER}${ACQUIRER_API_PATH}`,
  CARD_API_USERNAME: "alliance-api",
  CARD_API_PASSWORD: "acquirer-password-123",
  CARD_RETURN_URL: "https://alliance.test/pay/card/done",
  // The poller's round is far away: only the simulator's callbacks (and the poll after a bad checksum) settle orders.
  CARD_POLL_INTERVAL_MS: "3600000",
};

let hub: TestHub;
beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  hub = await startTestHub({ ...SECRETS, ...CARD_ACQUIRER });
});
afterAll(async () => {
  await hub?.stop();
  nock.enableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

const form = (body: unknown) => Object.fromEntries(new URLSearchParams(String(body)));

/** POST /api/card/orders with register.do mocked exactly as card.test.ts does: answers the hub's orderNumber. */
async function cardOrder(account: string, amount: string): Promise<string> {
  const scope = nock(ACQUIRER)
    .post(`${ACQUIRER_API_PATH}/register.do`)
    .reply(200, (_uri, body) => {
      const orderId = `md-${form(body).orderNumber}`;
      return { orderId, formUrl: `${ACQUIRER}/payment/merchants/alliance/payment_ru.html?mdOrder=${orderId}` };
    });
  const response = await fetch(`${hub.url}/api/card/orders`, {
    method: "POST",
    headers: { authorization: `Bearer ${hub.config.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ account, amount }),
  });
  expect(response.status).toBe(201);
  expect(scope.isDone()).toBe(true);
  return ((await response.json()) as { orderNumber: string }).orderNumber;
}
const cardPayment = (orderNumber: string) =>
  hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { channel_externalId: { channel: "card", externalId: orderNumber } } });

const balanceOf = async (number: string) => (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } })).balanceKopecks;

/** A local port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function simulate(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runSimulator([...args, "--url", hub.url], { ...SECRETS, HUB_ADMIN_TOKEN: hub.config.adminToken }, (line) => lines.push(line));
  return { code, lines };
}

describe("each channel, sent twice, credits the sum once", () => {
  const cases: { channel: string; args: string[] | (() => Promise<string[]>); requests: number }[] = [
    { channel: "osmp", args: ["osmp", "--id", "7001"], requests: 2 },
    { channel: "osmp (vladik, Basic from the environment)", args: ["osmp", "--profile", "vladik", "--id", "7002"], requests: 2 },
    { channel: "bank (signed)", args: ["bank", "--id", "7003"], requests: 2 },
    // The invoice from payhub's API (once), then the pre-request and the notification (each twice).
    { channel: "webmoney (with the pre-request)", args: ["webmoney", "--prerequest", "--id", "7004"], requests: 5 },
    { channel: "yoomoney", args: ["yoomoney", "--id", "ym-7005"], requests: 2 },
    // A bill payhub issued (QIWI's bill API played by nock): its PAID notification credits the account it was issued for.
    { channel: "qiwi-bill (a bill payhub issued)", args: async () => ["qiwi-bill", "--id", await issueQiwiBill(hub, "100083", "123.45")], requests: 2 },
    { channel: "sms (incoming SMS, then the status callback)", args: ["sms", "--id", "sms-7007"], requests: 4 },
  ];
  for (const { channel, args, requests } of cases) {
    it(`${channel}`, async () => {
      const before = await balanceOf("100083");
      const { code, lines } = await simulate([...(typeof args === "function" ? await args() : args), "--account", "100083", "--sum", "123.45", "--repeat", "2"]);
      expect(code, lines.join("\n")).toBe(0);
      const requestLines = lines.filter((line) => !line.startsWith("summary:"));
      expect(requestLines).toHaveLength(requests);
      // 201: the invoice payhub's API issued (WebMoney); 200: every provider answer.
      for (const line of requestLines) expect(line).toMatch(/ -> HTTP 20[01] .*\[ok\]$/);
      expect(lines.at(-1)).toMatch(new RegExp(`^summary: .*sent ${requests}, answered OK ${requests}, refused 0, errors 0 `));
      await waitUntilAllCredited(hub);
      expect(await balanceOf("100083")).toBe(before + 12345n);
    });
  }

  it("card (the acquirer's deposited callback for an order the hub registered)", async () => {
    const orderNumber = await cardOrder("100083", "123.45");
    const before = await balanceOf("100083");
    const { code, lines } = await simulate(["card", "--order", orderNumber, "--amount", "123.45", "--repeat", "2"]);
    expect(code, lines.join("\n")).toBe(0);
    expect(lines[0]).toMatch(new RegExp(`^card GET /webhooks/card callback deposited #1 orderNumber=${orderNumber} mdOrder=\\S+ status=1 amount=12345 -> HTTP 200 "OK" \\[ok\\]$`));
    expect(lines[1]).toMatch(/ #2 .* -> HTTP 200 "OK" \[ok\]$/);
    expect(lines.at(-1)).toMatch(/^summary: card, 1 payment x 2: sent 2, answered OK 2, refused 0, errors 0 /);
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100083")).toBe(before + 12345n);
    expect((await cardPayment(orderNumber)).status).toBe("credited");
    await expectLedgerConsistent(hub);
  });

  it("arsenalpay (a payment callback; a wrong key is refused and exits 1, the key not printed)", async () => {
    const before = await balanceOf("100084");
    const { code, lines } = await simulate(["arsenalpay", "--id", "ap-7008", "--account", "100084", "--sum", "250.00", "--repeat", "2"]);
    expect(code, lines.join("\n")).toBe(0);
    expect(lines[0]).toMatch(/^arsenalpay POST \/webhooks\/arsenalpay payment #1 RRN=ap-7008 ACCOUNT=100084 AMOUNT=250\.00 -> HTTP 200 "OK" \[ok\]$/);
    expect(lines[1]).toMatch(/ #2 .* -> HTTP 200 "OK" \[ok\]$/);
    expect(lines.at(-1)).toMatch(/^summary: arsenalpay, 1 payment x 2: sent 2, answered OK 2, refused 0, errors 0 /);
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100084")).toBe(before + 25000n);
    const wrong = await simulate(["arsenalpay", "--key", "not-the-callback-key", "--id", "ap-7009", "--account", "100084", "--sum", "250.00"]);
    expect(wrong.code, wrong.lines.join("\n")).toBe(1);
    expect(wrong.lines[0]).toMatch(/RRN=ap-7009 .*\[REFUSED\]$/);
    expect(wrong.lines.join("\n")).not.toContain("not-the-callback-key");
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100084")).toBe(before + 25000n);
    await expectLedgerConsistent(hub);
  });

  it("the repeat of an OSMP pay and of a bank payment carries the first answer's id", async () => {
    const osmp = await simulate(["osmp", "--id", "7101", "--account", "100084", "--sum", "10.00", "--repeat", "2"]);
    expect(osmp.lines[0]).toMatch(/^osmp GET \/webhooks\/osmp\/qiwi pay #1 txn_id=7101 account=100084 sum=10\.00 -> HTTP 200 result=0 prv_txn=\d+ comment="OK" \[ok\]$/);
    expect(osmp.lines[1]).toMatch(/#2 .*\(same prv_txn\) \[ok\]$/);
    const bank = await simulate(["bank", "--id", "7102", "--account", "100084", "--sum", "10.00", "--repeat", "2"]);
    expect(bank.lines[0]).toMatch(/CODE=0 EXT_ID=\d+ SUM=10\.00/);
    expect(bank.lines[1]).toMatch(/CODE=8 EXT_ID=\d+ AMOUNT=10\.00 .*\(duplicate of the same payment\) \(same EXT_ID\) \[ok\]$/);
  });
});

describe("failures", () => {
  it("when the secret is wrong, then the hub refuses, nothing is credited, and the exit code is 1; the secret is not printed", async () => {
    await waitUntilAllCredited(hub);
    const before = await balanceOf("100080");
    const payments = await hub.hub.db.inboundPayment.count();
    const { code, lines } = await simulate(["webmoney", "--secret", "not-the-secret-key", "--id", "7201", "--account", "100080", "--sum", "50.00"]);
    expect(code).toBe(1);
    expect(lines[0]).toMatch(/^webmoney POST \/api\/webmoney\/invoices invoice \(the site asks payhub\) account=100080 amount=50\.00 -> HTTP 201 LMI_PAYMENT_NO=[0-9]+ \[ok\]$/);
    expect(lines[1]).toMatch(/^webmoney POST \/webhooks\/webmoney notification LMI_SYS_TRANS_NO=7201 ACCOUNT=100080 LMI_PAYMENT_AMOUNT=50\.00 -> HTTP 400 .*\[REFUSED\]$/);
    expect(lines.join("\n")).not.toContain("not-the-secret-key");
    expect(await hub.hub.db.inboundPayment.count()).toBe(payments);
    expect(await balanceOf("100080")).toBe(before);
  });

  it("when the card checksum key is wrong, then the hub refuses (403), nothing is credited, and the exit code is 1; the key is not printed", async () => {
    const orderNumber = await cardOrder("100081", "60.00");
    const before = await balanceOf("100081");
    // A callback failing its checksum makes the hub ask the acquirer for the order: still waiting for the payer.
    const asked: string[] = [];
    nock(ACQUIRER)
      .persist()
      .post(`${ACQUIRER_API_PATH}/getOrderStatusExtended.do`)
      .reply(200, (_uri, body) => {
        asked.push(form(body).orderId ?? "");
        return { errorCode: "0", errorMessage: "Успешно", orderNumber, orderStatus: 0, amount: 6000 };
      });
    const { code, lines } = await simulate(["card", "--key", "not-the-checksum-key", "--order", orderNumber, "--md-order", `md-${orderNumber}`, "--amount", "60.00"]);
    expect(code).toBe(1);
    expect(lines[0]).toMatch(/^card GET \/webhooks\/card callback deposited orderNumber=\S+ mdOrder=\S+ status=1 amount=6000 -> HTTP 403 .*\[REFUSED\]$/);
    expect(lines.join("\n")).not.toContain("not-the-checksum-key");
    await waitFor("the hub to poll the order", async () => asked.length > 0, 10_000);
    expect(asked[0]).toBe(`md-${orderNumber}`);
    expect((await cardPayment(orderNumber)).status).toBe("pending");
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100081")).toBe(before);
  });

  it("when the call is bad, then the usage and exit code 2; an unreachable hub is an error, exit 1", async () => {
    expect((await simulate(["paypal"])).code).toBe(2);
    expect((await simulate(["osmp", "--secret", "x"])).code).toBe(2);
    expect((await simulate(["card"])).code).toBe(2);
    expect((await simulate(["card", "--order", "card-x", "--sum", "1.00"])).code).toBe(2);
    expect((await simulate(["card", "--order", "card-x", "--operation", "paid"])).code).toBe(2);
    const lines: string[] = [];
    expect(await runSimulator(["qiwi-bill", "--url", hub.url], {}, (line) => lines.push(line))).toBe(2);
    expect(lines[0]).toContain("QIWI_BILL_SECRET_KEY");
    const unreachable: string[] = [];
    expect(await runSimulator(["osmp", "--url", `http://127.0.0.1:${await closedPort()}`], {}, (line) => unreachable.push(line))).toBe(1);
    expect(unreachable[0]).toMatch(/-> HTTP --- no answer: ECONNREFUSED \[ERROR\]$/);
  });

  it("when there are more than 10 payments, then failures, progress and a summary instead of a line per request", async () => {
    const { code, lines } = await simulate(["osmp", "--id", "7301", "--count", "12", "--concurrency", "4", "--account", "100099"]);
    expect(code).toBe(1);
    // Account 100099 is closed: every pay is refused with result 79; the first 10 are shown, then only counted.
    expect(lines.filter((line) => line.includes("result=79"))).toHaveLength(10);
    expect(lines).toContain("(further refusals and errors are only counted)");
    expect(lines.at(-1)).toMatch(/^summary: osmp, 12 payments: sent 12, answered OK 0, refused 12, errors 0 in [0-9.]+ s \([0-9.]+ requests\/s\)$/);
  });
});

it("runs as a command: npm run simulate's script, as a child process", async () => {
  const before = await balanceOf("100082");
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/simulate.ts"), "--", "yoomoney", "--url", hub.url, "--account", "100082", "--sum", "77.00", "--id", "ym-7401", "--repeat", "2"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...SECRETS },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  expect(code, output).toBe(0);
  expect(output).toMatch(/^yoomoney POST \/webhooks\/yoomoney notification #1 operation_id=ym-7401 label=100082 amount=77\.00 -> HTTP 200 "OK" \[ok\]$/m);
  expect(output).toMatch(/^summary: yoomoney, 1 payment x 2: sent 2, answered OK 2, refused 0, errors 0 /m);
  await waitUntilAllCredited(hub);
  expect(await balanceOf("100082")).toBe(before + 7700n);
  await expectLedgerConsistent(hub);
});
