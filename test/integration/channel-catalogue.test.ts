import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedSignature } from "../../adapters/_template/verify.ts";
import { templateChannel } from "../../src/channels/_template.ts";
import { singleSource } from "../../src/channels/channel.ts";
import { loadConfig } from "../../src/config.ts";
import { createPool, type SqlPool } from "../../src/db.ts";
import { startHub } from "../../src/hub.ts";
import { createLogger } from "../../src/log.ts";
import { handleCommand, INTERNAL_ANSWER } from "../../src/payments/handle-command.ts";
import { InFlight } from "../../src/payments/in-flight.ts";
import { PaymentIds } from "../../src/payments/payment-ids.ts";
import { createDatabaseFromTemplate, dropDatabase, REDIS_URL } from "../support/services.ts";
import { deleteQueueKeys, expectLedgerConsistent, testEnvironment, uniqueName, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// Adding a channel is one adapter folder and one catalogue entry: the adapters/_template channel, mounted beside the
// catalogue by its entry (src/channels/_template.ts) alone, answers through the core like any channel.

const SECRET = "template-secret-0123";

let hub: TestHub;
let pool: SqlPool;
beforeAll(async () => {
  const databaseName = uniqueName("payhub_t");
  const databaseUrl = await createDatabaseFromTemplate(databaseName);
  const config = loadConfig(testEnvironment({ DATABASE_URL: databaseUrl, REDIS_URL, QUEUE_PREFIX: uniqueName("t"), TEMPLATE_SECRET: SECRET }), { extraChannels: [templateChannel] });
  const running = await startHub(config, createLogger(config.logLevel), { databaseUrl, redisUrl: REDIS_URL });
  pool = createPool(databaseUrl, 2);
  hub = {
    url: `http://127.0.0.1:${running.port}`,
    hub: running,
    config,
    databaseName,
    databaseUrl,
    redisUrl: REDIS_URL,
    stop: async () => {
      await running.stop();
      await deleteQueueKeys(REDIS_URL, config.queuePrefix);
      await dropDatabase(databaseName);
    },
  };
});
afterAll(async () => {
  await pool?.end();
  await hub?.stop();
});

/** A request as the template's provider signs it. */
async function send(fields: { action: "check" | "pay"; id: string; account: string; amount?: string }, secret = SECRET): Promise<{ status: number; body: { result: number; paymentId?: string } }> {
  const signed = { ...fields, sign: expectedSignature(fields, secret) };
  const response = await fetch(`${hub.url}/webhooks/template`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(signed as Record<string, string>).toString(),
  });
  return { status: response.status, body: (await response.json()) as { result: number; paymentId?: string } };
}

const templatePayments = () => hub.hub.db.inboundPayment.findMany({ where: { channel: "template" } });
const balanceOf = async (number: string) => (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } })).balanceKopecks;

describe("the _template channel mounted from its catalogue entry", () => {
  it("when its provider asks about an account, then the core checks it: a known account is ok, an unknown one is refused", async () => {
    expect(await send({ action: "check", id: "c-1", account: "100080" })).toEqual({ status: 200, body: { result: 0 } });
    expect(await send({ action: "check", id: "c-2", account: "999999" })).toEqual({ status: 200, body: { result: 2 } });
  });

  it("when it pays twice, then the payment is recorded once under the channel's id, both answers carry its id, and it is credited once against the channel's clearing account", async () => {
    const before = await balanceOf("100081");
    const first = await send({ action: "pay", id: "tpl-1", account: "100081", amount: "150.00" });
    const repeat = await send({ action: "pay", id: "tpl-1", account: "100081", amount: "150.00" });
    expect(first).toMatchObject({ status: 200, body: { result: 0 } });
    expect(repeat.body).toEqual(first.body);
    const payments = await templatePayments();
    expect(payments.map((payment) => ({ id: payment.id.toString(), externalId: payment.externalId, protocol: payment.protocol, amount: payment.amountKopecks }))).toEqual([
      { id: first.body.paymentId, externalId: "tpl-1", protocol: "template", amount: 15000n },
    ]);
    await waitUntilAllCredited(hub);
    expect((await balanceOf("100081")) - before).toBe(15000n);
    expect(await hub.hub.db.ledgerAccount.findUnique({ where: { code: "clearing:template" }, select: { kind: true } })).toEqual({ kind: "clearing" });
    await expectLedgerConsistent(hub);
  });

  it("when a repeat names another amount, then it is refused and flagged for an operator, as on every channel", async () => {
    expect((await send({ action: "pay", id: "tpl-1", account: "100081", amount: "151.00" })).body).toEqual({ result: 3 });
    expect(await hub.hub.db.intakeIncident.count({ where: { channel: "template", externalId: "tpl-1", kind: "conflict" } })).toBe(1);
  });

  it("when a request is signed with another secret, then it is refused before the core and nothing is recorded", async () => {
    expect((await send({ action: "pay", id: "tpl-2", account: "100081", amount: "10.00" }, "another-secret")).body).toMatchObject({ result: 99 });
    expect((await templatePayments()).map((payment) => payment.externalId)).toEqual(["tpl-1"]);
  });

  it("when a command names a payment payhub issued on a channel whose entry declares no issued-payment rule, then intake refuses it as a temporary failure and records nothing", async () => {
    const { outcome } = await handleCommand(
      { db: hub.hub.db, pool, dispatchCredit: () => undefined, log: createLogger("silent"), inFlight: new InFlight(10), paymentIds: new PaymentIds(pool) },
      {
        source: singleSource("template"),
        profile: { source: singleSource("template"), minKopecks: 100n, maxKopecks: 10_000_000n, commissionBasisPoints: 0n },
        command: { kind: "pay", externalId: "tpl-3", accountNumber: "100081", amountKopecks: 1000n, commissionKopecks: 0n, payerAmountKopecks: undefined, providerTime: undefined, request: {}, intentReference: "77" },
        requestId: undefined,
        answer: () => INTERNAL_ANSWER,
      },
    );
    expect(outcome).toEqual({ kind: "temporaryFailure" });
    expect((await templatePayments()).map((payment) => payment.externalId)).toEqual(["tpl-1"]);
  });
});
