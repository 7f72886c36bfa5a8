import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyBillingSignature, type BillingPayload } from "../../src/billing/notification.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { deleteQueueKeys, startTestHub, waitFor, type TestHub } from "../support/test-hub.ts";

// Billing notifications (payhub → the billing system) with a real hub, PostgreSQL and Redis; only the billing
// system is played by nock. Each scenario pays its own sum, and the fake billing system answers by that sum.

const SECRET = "billing-test-secret-0123456789";
const AUTH = { authorization: "Bearer test-admin-token-0123456789" };

type Answer = number | "timeout";

interface Delivery {
  raw: string;
  payload: BillingPayload;
  signature: string | undefined;
  timestamp: string | undefined;
  idHeader: string | undefined;
  status: Answer;
}

/** A fake billing system on `origin`: answers each notification by the plan of its first entry's amount, then 200. */
function fakeBilling(origin: string) {
  const deliveries: Delivery[] = [];
  const plans = new Map<string, Answer[]>();
  // The exact bytes received, for the signature (the reply function gets the body parsed).
  const rawBodies = new WeakMap<object, string>();
  const scope = nock(origin);
  scope.on("request", (req: object, _interceptor: unknown, body: string) => rawBodies.set(req, body));
  scope
    .persist()
    .post("/payhub/notifications")
    .reply(function (_uri, _body, callback) {
      const raw = rawBodies.get(this.req) ?? "";
      const header = (name: string) => {
        const value = this.req.headers[name.toLowerCase()];
        return Array.isArray(value) ? value[0] : value;
      };
      const payload = JSON.parse(raw) as BillingPayload;
      const answer = plans.get(payload.entries[0]?.amount ?? "")?.shift() ?? 200;
      deliveries.push({ raw, payload, signature: header("X-Payhub-Signature"), timestamp: header("X-Payhub-Timestamp"), idHeader: header("X-Payhub-Notification-Id"), status: answer });
      if (answer === "timeout") setTimeout(() => callback(null, [200, "late"]), 1500);
      else callback(null, [answer, answer < 300 ? "ok" : "no"]);
    });
  return {
    deliveries,
    plan: (amount: string, answers: Answer[]) => plans.set(amount, answers),
    of: (amount: string) => deliveries.filter((delivery) => delivery.payload.entries[0]?.amount === amount),
  };
}

let txn = 9_100_000;
/** Pays `sum` to an account over OSMP and returns the payment id. */
async function pay(hub: TestHub, sum: string, account = "100081"): Promise<string> {
  const answer = await osmp(hub.url, payParams(txn++, account, sum));
  expect(answer.result).toBe(0);
  return answer.prvTxn!;
}

const notificationOf = (hub: TestHub, paymentId: string) =>
  waitFor("the payment's notification", () => hub.hub.db.billingNotification.findFirst({ where: { posting: { creditOfPaymentId: BigInt(paymentId) } } }).then((row) => row ?? undefined));

const waitSent = (hub: TestHub, paymentId: string) =>
  waitFor("the notification to be sent", async () => {
    const row = await notificationOf(hub, paymentId);
    return row.sentAt ? row : undefined;
  });

const api = async (hub: TestHub, path: string, method = "GET") => {
  const response = await fetch(`${hub.url}/api/operations${path}`, { method, headers: AUTH });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const settle = () => new Promise((resolve) => setTimeout(resolve, 400));

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("with BILLING_WEBHOOK_URL set", () => {
  const billing = fakeBilling("http://billing-a.test");
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({
      BILLING_WEBHOOK_URL: "http://billing-a.test/payhub/notifications",
      BILLING_WEBHOOK_SECRET: SECRET,
      BILLING_TIMEOUT_MS: "300",
      BILLING_ATTEMPTS: "3",
      BILLING_BACKOFF_MS: "50",
      BILLING_RELAY_INTERVAL_MS: "100",
    });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("when a payment is credited, then the billing system gets exactly one notification, signed, naming the account and the amount", async () => {
    const paymentId = await pay(hub, "500.00", "100080");
    const row = await waitSent(hub, paymentId);
    await settle();
    const [delivery, ...more] = billing.of("500.00");
    expect(more).toHaveLength(0);
    expect(verifyBillingSignature(SECRET, { signature: delivery!.signature, timestamp: delivery!.timestamp }, Buffer.from(delivery!.raw, "utf8"))).toBe(true);
    expect(verifyBillingSignature("another-secret-0123456789", { signature: delivery!.signature, timestamp: delivery!.timestamp }, Buffer.from(delivery!.raw, "utf8"))).toBe(false);
    expect(verifyBillingSignature(SECRET, { signature: delivery!.signature, timestamp: delivery!.timestamp }, Buffer.from(delivery!.raw.replace("500.00", "900.00"), "utf8"))).toBe(false);
    expect(delivery!.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(delivery!.idHeader).toBe(row.id.toString());
    expect(delivery!.payload).toEqual({
      notificationId: row.id.toString(),
      event: "payment-credit",
      postingId: row.postingId.toString(),
      paymentId,
      reversesPostingId: null,
      memo: expect.stringContaining(paymentId),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      entries: [{ account: "100080", amount: "500.00", amountKopecks: "50000" }],
    });
    expect(row).toMatchObject({ attempts: 1, lastError: null, failedAt: null });
  });

  it("when the billing system does not answer in time once, then the notification is sent again with the same key and body, and recorded sent", async () => {
    billing.plan("11.11", ["timeout"]);
    const row = await waitSent(hub, await pay(hub, "11.11"));
    await settle();
    const deliveries = billing.of("11.11");
    expect(deliveries.map((delivery) => delivery.status)).toEqual(["timeout", 200]);
    expect(new Set(deliveries.map((delivery) => delivery.raw)).size).toBe(1);
    expect(row).toMatchObject({ attempts: 2, lastError: null });
  });

  it("when the billing system answers 503 once, then the retry delivers it", async () => {
    billing.plan("22.22", [503]);
    const row = await waitSent(hub, await pay(hub, "22.22"));
    await settle();
    expect(billing.of("22.22").map((delivery) => delivery.status)).toEqual([503, 200]);
    expect(row.attempts).toBe(2);
  });

  it("when the billing system refuses a notification (400), then it fails at once, without retries", async () => {
    billing.plan("44.44", [400]);
    const paymentId = await pay(hub, "44.44");
    const row = await waitFor("the notification to fail", async () => ((await notificationOf(hub, paymentId)).failedAt ? notificationOf(hub, paymentId) : undefined));
    await settle();
    expect(billing.of("44.44")).toHaveLength(1);
    expect(row).toMatchObject({ attempts: 1, sentAt: null, lastError: "HTTP 400 from the billing system" });
  });

  it("when billing is down longer than the retries, then the notification fails for operators, and a replay after the outage delivers it once", async () => {
    billing.plan("33.33", [503, 503, 503, 503]);
    billing.plan("33.34", [502, 502, 502]);
    const paymentId = await pay(hub, "33.33");
    const otherId = await pay(hub, "33.34");
    const failed = await waitFor("both notifications to fail", async () => {
      const list = await api(hub, "/billing?state=failed");
      const notifications = list.body.notifications as Record<string, unknown>[];
      return notifications.filter((item) => item.paymentId === paymentId || item.paymentId === otherId).length === 2 ? notifications : undefined;
    });
    const mine = failed.find((item) => item.paymentId === paymentId)!;
    expect(mine).toMatchObject({ state: "failed", attempts: 3, lastError: "HTTP 503 from the billing system", sentAt: null, kind: "payment-credit" });
    expect(billing.of("33.33")).toHaveLength(3);
    const queues = await api(hub, "/queues");
    expect(queues.body).toMatchObject({ billingEnabled: true, failedNotifications: 3, failedPayments: 0, queues: { billing: { failed: 0 } } });

    // The outage is over (the plan of 33.33 still has a 503 left: the replay's first attempt gets it, the retry delivers).
    const replay = await api(hub, `/billing/${mine.id}/replay`, "POST");
    expect(replay).toMatchObject({ status: 202, body: { replayed: 1, queued: true } });
    await waitSent(hub, paymentId);
    expect((await api(hub, `/billing/${mine.id}/replay`, "POST")).status).toBe(409);
    expect((await api(hub, "/billing/999999999/replay", "POST")).status).toBe(404);

    // The rest (the other outage victim and the refused 44.44) in one go.
    const all = await api(hub, "/billing/replay-failed", "POST");
    expect(all).toMatchObject({ status: 202, body: { replayed: 2, queued: true } });
    await waitSent(hub, otherId);
    await settle();
    expect(billing.of("33.33").map((delivery) => delivery.status)).toEqual([503, 503, 503, 503, 200]);
    expect(billing.of("33.34").filter((delivery) => delivery.status === 200)).toHaveLength(1);
    expect(billing.of("44.44").filter((delivery) => delivery.status === 200)).toHaveLength(1);
    const sent = (await api(hub, "/billing?state=sent&limit=1000")).body.notifications as Record<string, unknown>[];
    expect(sent.find((item) => item.paymentId === paymentId)).toMatchObject({ state: "sent", attempts: 5, failedAt: null });
    const audits = await hub.hub.db.auditEntry.findMany({ where: { action: { startsWith: "billing." } }, orderBy: { id: "asc" } });
    expect(audits.map((entry) => [entry.action, entry.target])).toEqual([
      ["billing.replay", `billing_notification:${mine.id}`],
      ["billing.replay-failed", null],
    ]);
  });

  it("when Redis loses the queued notifications, then the relay hands them over again and each is delivered once", async () => {
    // The queue is paused (a flag in Redis), so the notifications wait there until its keys, the flag too, vanish.
    await hub.hub.billingQueue.pause();
    const sums = ["61.00", "62.00", "63.00"];
    const payments = await Promise.all(sums.map((sum) => pay(hub, sum)));
    await waitFor("the relay to queue the three notifications", async () => (await hub.hub.billingQueue.getWaitingCount()) === 3);
    await deleteQueueKeys(hub.redisUrl, hub.config.queuePrefix);
    expect(await hub.hub.billingQueue.getWaitingCount()).toBe(0);
    for (const paymentId of payments) await waitSent(hub, paymentId);
    await settle();
    for (const sum of sums) expect(billing.of(sum).map((delivery) => delivery.status)).toEqual([200]);
  });

  it("the operations API is for supervisors: without a token it is refused", async () => {
    expect((await fetch(`${hub.url}/api/operations/billing`)).status).toBe(401);
    expect((await fetch(`${hub.url}/api/operations/queues`)).status).toBe(401);
  });
});

describe("with BILLING_WEBHOOK_URL unset", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("when payments are credited, then nothing is sent and their notifications stay pending", async () => {
    const paymentId = await pay(hub, "7.00");
    const row = await notificationOf(hub, paymentId);
    await settle();
    const after = await hub.hub.db.billingNotification.findUniqueOrThrow({ where: { id: row.id } });
    expect(after).toMatchObject({ attempts: 0, sentAt: null, failedAt: null, lastAttemptAt: null });
    const pending = (await api(hub, "/billing?state=pending")).body.notifications as Record<string, unknown>[];
    expect(pending.map((item) => item.paymentId)).toContain(paymentId);
    expect(hub.hub.billingWorker).toBeUndefined();
    expect((await api(hub, "/queues")).body).toMatchObject({ billingEnabled: false, unsentNotifications: 1, oldestUnsentNotificationAgeSeconds: expect.any(Number) });
  });
});
