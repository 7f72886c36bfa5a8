import nock from "nock";
import type { TestHub } from "./test-hub.ts";

// What payhub issues before a payer pays, issued the way the site does it: over payhub's own API (QIWI's bill API
// played by nock, the only fake). Tests that post a WebMoney or QIWI bill notification pay one of these.

export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789";

async function postApi(hub: TestHub, path: string, body: unknown): Promise<Record<string, any>> {
  const response = await fetch(`${hub.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, any>;
  if (response.status !== 201) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

/** POST /api/webmoney/invoices: answers the invoice's LMI_PAYMENT_NO. */
export async function issueWebmoneyInvoice(hub: TestHub, account: string, amount: string): Promise<string> {
  return (await postApi(hub, "/api/webmoney/invoices", { account, amount })).paymentNo as string;
}

/** POST /api/qiwi-bills with QIWI's bill API answering as documented: answers the billId. */
export async function issueQiwiBill(hub: TestHub, account: string, amount: string): Promise<string> {
  const api = new URL(hub.config.qiwiBill.apiUrl);
  const scope = nock(api.origin)
    .put(/\/partner\/bill\/v1\/bills\/.+/)
    .reply(200, (uri, requestBody) => {
      const billId = decodeURIComponent(uri.split("/").pop() ?? "");
      const sent = (typeof requestBody === "string" ? JSON.parse(requestBody) : requestBody) as { amount: unknown; customer: unknown; expirationDateTime: string };
      return {
        siteId: hub.config.qiwiBill.siteId,
        billId,
        amount: sent.amount,
        status: { value: "WAITING", changedDateTime: "2026-11-24T12:00:00+03:00" },
        customer: sent.customer,
        creationDateTime: "2026-11-24T12:00:00+03:00",
        expirationDateTime: sent.expirationDateTime,
        payUrl: `https://oplata.qiwi.com/form/?invoice_uid=${billId}`,
      };
    });
  const answer = await postApi(hub, "/api/qiwi-bills", { account, amount });
  scope.done();
  return answer.billId as string;
}
