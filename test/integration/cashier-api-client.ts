import { expect } from "vitest";
import type { RouteSpec } from "../../src/api/api-registry.ts";
import type { TestHub } from "../support/test-hub.ts";

// The staff API as a cash desk program uses it: real HTTP with fetch against a test hub.

export const AUTOMATION_TOKEN = "test-admin-token-0123456789";

export interface Answer {
  status: number;
  json: Record<string, any> | undefined;
}

export function staffApi(hub: TestHub) {
  async function call(method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${hub.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  }

  async function signIn(login: string, password = hub.config.staff.demoPassword): Promise<string> {
    const answer = await call("POST", "/api/auth/tokens", undefined, { login, password });
    expect(answer.status, JSON.stringify(answer.json)).toBe(201);
    return answer.json!.token as string;
  }

  /** Calls and expects the status; answers the body. */
  async function expectStatus(status: number, method: string, path: string, token?: string, body?: unknown): Promise<Record<string, any>> {
    const answer = await call(method, path, token, body);
    expect({ method, path, status: answer.status, json: answer.json }).toMatchObject({ status });
    return answer.json ?? {};
  }

  /** A cashier's day at a desk: open a shift, take payments (each with a fresh receipt number), storno, close. */
  function desk(token: string) {
    return {
      open: async (deskCode: string, openingCash: string) => (await expectStatus(201, "POST", "/api/cashier/shifts", token, { desk: deskCode, openingCash })).shift.id as string,
      receipt: async (shiftId: string) => (await expectStatus(201, "POST", `/api/cashier/shifts/${shiftId}/receipt-numbers`, token)).receiptNumber as number,
      pay: async (shiftId: string, account: string, amount: string) => {
        const receiptNumber = (await expectStatus(201, "POST", `/api/cashier/shifts/${shiftId}/receipt-numbers`, token)).receiptNumber as number;
        return (await expectStatus(201, "POST", "/api/cashier/payments", token, { shiftId, receiptNumber, account, amount })).id as string;
      },
      storno: (paymentId: string, reason = "ошибка в номере счёта") => expectStatus(200, "POST", `/api/cashier/payments/${paymentId}/storno`, token, { reason }),
      close: (shiftId: string, countedCash: string) => expectStatus(200, "POST", `/api/cashier/shifts/${shiftId}/close`, token, { countedCash }),
    };
  }

  return { call, signIn, expectStatus, desk };
}

/** The body matches what the route's spec documents for that status (the same schema the OpenAPI document shows). */
export function expectDocumented(spec: RouteSpec, status: number, json: unknown): void {
  const schema = spec.responses[status]?.schema;
  expect(schema, `status ${status} of ${spec.method} ${spec.path} is documented`).toBeDefined();
  const parsed = schema!.safeParse(json);
  expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
}

/** "-5.00" → -500n: the API's rubles strings back to kopecks. */
export function kopecks(rubles: string): bigint {
  const match = /^(-?)([0-9]+)\.([0-9]{2})$/.exec(rubles);
  if (!match) throw new Error(`not a rubles string: ${rubles}`);
  const value = BigInt(match[2]!) * 100n + BigInt(match[3]!);
  return match[1] ? -value : value;
}
