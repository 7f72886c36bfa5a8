import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { transfersApi } from "../../src/api/transfers-routes.ts";
import { osmp, payParams } from "../support/osmp-client.ts";
import { waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";
import { AUTOMATION_TOKEN, expectDocumented, kopecks, staffApi } from "./cashier-api-client.ts";

// Mis-sent payment transfers through the staff API, as the operators' programs use it: real HTTP against a test hub.

/** A second supervisor of vl-lugovaya, so two supervisors can decide (and race) on one request. */
export const SECOND_SUPERVISOR = { login: "starshiy2", fullName: "Старшая Вера Павловна", role: "supervisor", office: "vl-lugovaya", password: "second-supervisor-pass-1" };

/** Evidence files: the right first bytes, then random content. */
export const evidenceBytes = {
  png: (size = 2048) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(size - 8)]),
  jpeg: (size = 2048) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(size - 4)]),
  pdf: (size = 2048) => Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(size - 9)]),
};

export const evidenceItem = (fileName: string, contentType: string, content: Buffer) => ({ fileName, contentType, data: content.toString("base64") });
export const receipt = () => evidenceItem("квитанция.png", "image/png", evidenceBytes.png());

/** Today in Vladivostok, as a receipt shows the day. */
export const vladivostokToday = () => new Date(Date.now() + 10 * 3_600_000).toISOString().slice(0, 10);

let txnSequence = Date.now() % 1_000_000_000;

export function transfersClient(hub: TestHub) {
  const api = staffApi(hub);
  const tokens: Record<string, string> = {};

  /** Signs in the demo staff and the second supervisor (created by an admin). */
  async function signInAll(): Promise<Record<"kassir1" | "kassir2" | "starshiy" | "starshiy2" | "admin", string>> {
    await api.expectStatus(201, "POST", "/api/staff", AUTOMATION_TOKEN, SECOND_SUPERVISOR);
    const logins = ["kassir1", "kassir2", "starshiy", "admin"] as const;
    const signed = await Promise.all(logins.map((login) => api.signIn(login)));
    logins.forEach((login, index) => (tokens[login] = signed[index]!));
    tokens.starshiy2 = await api.signIn(SECOND_SUPERVISOR.login, SECOND_SUPERVISOR.password);
    return tokens as Record<"kassir1" | "kassir2" | "starshiy" | "starshiy2" | "admin", string>;
  }

  /** Payments through OSMP (QIWI terminals), sent together and credited; answers their hub ids and external ids. */
  async function payAll(payments: [account: string, sum: string][]): Promise<{ paymentId: string; txnId: string }[]> {
    const txnIds = payments.map(() => String((txnSequence += 1)));
    await Promise.all(
      payments.map(async ([account, sum], index) => {
        const answer = await osmp(hub.url, payParams(txnIds[index]!, account, sum));
        expect(answer.result, answer.body).toBe(0);
      }),
    );
    await waitUntilAllCredited(hub);
    return Promise.all(
      txnIds.map(async (txnId) => {
        const found = await api.expectStatus(200, "GET", `/api/transfers/find-payment?channel=osmp:qiwi&externalId=${txnId}`, AUTOMATION_TOKEN);
        expect(found.payments).toHaveLength(1);
        return { paymentId: found.payments[0].id as string, txnId };
      }),
    );
  }
  const pay = async (account: string, sum: string) => (await payAll([[account, sum]]))[0]!;

  /** The cached balance in kopecks, as GET /api/accounts shows it. */
  async function balance(account: string): Promise<bigint> {
    return kopecks((await api.expectStatus(200, "GET", `/api/accounts/${account}`, AUTOMATION_TOKEN)).balance as string);
  }

  async function balances(...accounts: string[]): Promise<bigint[]> {
    return Promise.all(accounts.map(balance));
  }

  /** Files a request; answers the raw answer (status and body). */
  const file = (token: string, body: { paymentId: string; to: string; amount: string; reason?: string; evidence?: unknown[] }) =>
    api.call("POST", "/api/transfers", token, {
      payment: { paymentId: body.paymentId },
      to: body.to,
      amount: body.amount,
      reason: body.reason ?? "плательщик ошибся в номере счёта, квитанция приложена",
      evidence: body.evidence ?? [receipt()],
    });

  /** Files a request that must be accepted; answers its id. */
  async function filed(token: string, body: Parameters<typeof file>[1]): Promise<string> {
    const answer = await file(token, body);
    expect(answer.status, JSON.stringify(answer.json)).toBe(201);
    expectDocumented(transfersApi.routes.file, 201, answer.json);
    expect(answer.json).toMatchObject({ status: "pending", amount: body.amount, to: body.to });
    return answer.json!.id as string;
  }

  const approve = (token: string, id: string, body: { allowNegative?: boolean; note?: string } = {}) =>
    api.call("POST", `/api/transfers/${id}/approve`, token, { allowNegative: false, ...body });
  const reject = (token: string, id: string, note: string) => api.call("POST", `/api/transfers/${id}/reject`, token, { note });
  const reverse = (token: string, id: string, body: { reason: string; allowNegative?: boolean }) => api.call("POST", `/api/transfers/${id}/reverse`, token, body);

  /** The transfer and transfer-reversal postings of a payment, from the database. */
  const postingsOf = (paymentId: string) =>
    hub.hub.db.posting.findMany({ where: { paymentId: BigInt(paymentId), kind: { in: ["transfer", "transfer-reversal"] } }, include: { entries: true }, orderBy: { id: "asc" } });

  return { api, tokens, signInAll, pay, payAll, balance, balances, file, filed, approve, reject, reverse, postingsOf };
}
