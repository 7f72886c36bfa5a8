import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_CHANNELS } from "../../src/channels/index.ts";
import { ensureLedgerAccounts } from "../../src/ledger/ledger-accounts.ts";
import { creditJobId } from "../../src/queue/names.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { expectLedgerConsistent, startTestHub, waitFor, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// The console's queue view (/console/health): the jobs BullMQ gave up on, each with its payment and reason, and an
// operator's retry of one, which goes through the payment's own retry (audited, credited once).

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ CREDIT_ATTEMPTS: "2", CREDIT_BACKOFF_MS: "20" });
});
afterAll(async () => {
  await hub?.stop();
});

async function signIn(login: string): Promise<string> {
  const response = await fetch(`${hub.url}/staff/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ login, password: hub.config.staff.demoPassword, next: "/console" }).toString(),
  });
  expect(response.status).toBe(303);
  return /payhub_session=[^;]+/.exec(response.headers.get("set-cookie") ?? "")![0];
}

async function page(path: string, cookie: string, form?: Record<string, string>): Promise<{ status: number; text: string; location: string | null }> {
  const response = await fetch(`${hub.url}${path}`, {
    method: form ? "POST" : "GET",
    redirect: "manual",
    headers: { cookie, ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  return { status: response.status, text: await response.text(), location: response.headers.get("location") };
}

const csrfOf = (text: string) => /name="_csrf" value="([^"]+)"/.exec(text)![1]!;
/** The row of one job on the page, or undefined. */
const jobRow = (text: string, jobId: string) => new RegExp(`<tr data-job="${jobId}">[\\s\\S]*?</tr>`).exec(text)?.[0];

/** An OSMP pay whose credit fails for good: the profile's clearing account is gone (deleted before it has entries). */
async function failingPayment(txn: number, profile: string): Promise<string> {
  await hub.hub.db.ledgerAccount.delete({ where: { code: `clearing:osmp:${profile}` } });
  const answer = await osmp(hub.url, payParams(txn, "100083", "120.00"), { profile });
  expect(answer.result).toBe(0);
  const paymentId = answer.prvTxn!;
  await waitFor(`payment ${paymentId} to fail`, async () => (await hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { id: BigInt(paymentId) } })).status === "failed");
  await waitFor(`its job to be failed`, async () => (await hub.hub.queue.getJobState(creditJobId(BigInt(paymentId)))) === "failed");
  return paymentId;
}

describe("/console/health: failed jobs", () => {
  it("when a credit job failed for good, then an admin sees its payment, reason and attempts, and a retry with the form's token credits it once, audited", async () => {
    const paymentId = await failingPayment(610, "epos");
    const jobId = creditJobId(BigInt(paymentId));

    const admin = await signIn("admin");
    const before = await page("/console/health", admin);
    expect(before.status).toBe(200);
    const row = jobRow(before.text, jobId)!;
    expect(row).toContain(`href="/console/payments/${paymentId}"`);
    expect(row).toMatch(/unbalanced/);
    expect(row).toMatch(/<td class="num">2<\/td>/);
    expect(row).toContain(`action="/console/health/jobs/credit/${jobId}/retry"`);
    expect(before.text).toMatch(/<tr data-queue="credit">(?:<t[dh][^>]*>[^<]*<\/t[dh]>){4}<td class="num"><strong class="cancelled">1<\/strong>/);

    // A cashier does not see the console; a form without the session's token does nothing.
    expect((await page("/console/health", await signIn("kassir1"))).status).toBe(403);
    expect((await page(`/console/health/jobs/credit/${jobId}/retry`, admin, {})).status).toBe(403);
    expect((await hub.hub.db.inboundPayment.findUniqueOrThrow({ where: { id: BigInt(paymentId) } })).status).toBe("failed");

    // The operator fixes the cause, then retries from the queue view.
    await ensureLedgerAccounts(hub.hub.db, ALL_CHANNELS);
    const retried = await page(`/console/health/jobs/credit/${jobId}/retry`, admin, { _csrf: csrfOf(before.text) });
    expect({ status: retried.status, location: retried.location }).toEqual({ status: 303, location: "/console/health?ok=retried" });
    await waitUntilAllCredited(hub);
    expect(await hub.hub.db.posting.count({ where: { paymentId: BigInt(paymentId) } })).toBe(1);
    await expectLedgerConsistent(hub);
    expect(await hub.hub.db.auditEntry.findMany({ where: { action: "payment.retry", target: `payment:${paymentId}` } })).toEqual([expect.objectContaining({ actor: "admin" })]);

    // The job itself went back to the queue and completed: the view is empty again, and a second click finds nothing.
    await waitFor("the job to leave the failed set", async () => (await hub.hub.queue.getJobState(jobId)) !== "failed");
    const after = await page("/console/health?ok=retried", admin);
    expect(after.text).toContain("Платёж отправлен на повторное зачисление.");
    expect(jobRow(after.text, jobId)).toBeUndefined();
    expect(after.text).toMatch(/data-failed-jobs="credit">Зачисление платежей: заданий со сбоем нет/);
    expect((await page(`/console/health/jobs/credit/${jobId}/retry`, admin, { _csrf: csrfOf(after.text) })).status).toBe(404);
  });

  it("when a failed job's payment was retried elsewhere and credited, then the view says there is nothing to retry, and a retry is refused with 409", async () => {
    const paymentId = await failingPayment(611, "vladik");
    const jobId = creditJobId(BigInt(paymentId));
    await ensureLedgerAccounts(hub.hub.db, ALL_CHANNELS);
    // Retried through the API: the payment is credited by the sweeper's fresh job, the old job stays failed.
    expect((await fetch(`${hub.url}/api/payments/${paymentId}/retry`, { method: "POST", headers: { authorization: `Bearer ${hub.config.adminToken}` } })).status).toBe(202);
    await waitUntilAllCredited(hub);

    const supervisor = await signIn("starshiy");
    const view = await page("/console/health", supervisor);
    expect(await hub.hub.queue.getJobState(jobId)).toBe("failed");
    const row = jobRow(view.text, jobId)!;
    expect(row).toContain("зачислен");
    expect(row).toContain("повторять нечего");
    expect(row).not.toContain("<form");
    const refused = await page(`/console/health/jobs/credit/${jobId}/retry`, supervisor, { _csrf: csrfOf(view.text) });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("уже не в сбое");
    expect(await hub.hub.db.posting.count({ where: { paymentId: BigInt(paymentId) } })).toBe(1);
    await expectLedgerConsistent(hub);
  });

  it("when the path names no queue or a malformed job, then 404", async () => {
    const admin = await signIn("admin");
    const token = csrfOf((await page("/console/health", admin)).text);
    for (const path of ["/console/health/jobs/nope/payment-1/retry", "/console/health/jobs/credit/a%20b/retry", "/console/health/jobs/credit/payment-999999/retry"]) {
      expect({ path, status: (await page(path, admin, { _csrf: token })).status }).toEqual({ path, status: 404 });
    }
  });
});
