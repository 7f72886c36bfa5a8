import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedArsenalpaySign } from "../../adapters/arsenalpay/verify.ts";
import { arsenalpayWidgetSign } from "../../adapters/arsenalpay/widget.ts";
import { expectLedgerConsistent, startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// ArsenalPay callbacks end to end (PROTOCOLS.md §3): check, payment, hold → payment, cancel, partial refunds that never
// exceed the payment, reverse; SIGN verified; FORMAT=json answers.

const KEY = "arsenalpay-callback-key";
const MERCHANT = "166301";
const WIDGET_KEY = "arsenalpay-widget-key";
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ ARSENALPAY_CALLBACK_KEY: KEY, ARSENALPAY_MERCHANT_ID: MERCHANT, ARSENALPAY_WIDGET_KEY: WIDGET_KEY, ARSENALPAY_WIDGET_ID: "4242", SMS_PENDING_TTL_MS: "300" });
});
afterAll(async () => {
  await hub?.stop();
});

let clock = 0;
async function callback(fn: string, rrn: string, account: string, amount: string, extra: Record<string, string> = {}, key = KEY) {
  const signed = { ID: MERCHANT, FUNCTION: fn, RRN: rrn, PAYER: "427600******1234", AMOUNT: amount, ACCOUNT: account, STATUS: fn };
  const params = { ...signed, DATETIME: `2026-11-24T12:00:${String(clock++ % 60).padStart(2, "0")}+10:00`, SIGN: expectedArsenalpaySign(signed, key), ...extra };
  const response = await fetch(`${hub.url}/webhooks/arsenalpay`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: await response.text(), params };
}
const resend = (params: Record<string, string>) =>
  fetch(`${hub.url}/webhooks/arsenalpay?${new URLSearchParams(params)}`).then((response) => response.text());
const balanceOf = async (number: string) => (await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number } })).balanceKopecks;

describe("ArsenalPay", () => {
  it("when check names an active account, then YES; an unknown account NO; FORMAT=json answers JSON", async () => {
    expect((await callback("check", "c-1", "100080", "500")).body).toBe("YES");
    expect((await callback("check", "c-2", "999999", "500")).body).toBe("NO");
    expect((await callback("check", "c-3", "100080", "500", { FORMAT: "json" })).body).toBe('{"response":"YES"}');
  });

  it("when a payment arrives, then OK and the account is credited once, also when the callback is repeated (GET or POST)", async () => {
    const before = await balanceOf("100081");
    const paid = await callback("payment", "p-1", "100081", "520.00", { MERCH_TYPE: "1", AMOUNT_FULL: "535.60" });
    expect(paid.body).toBe("OK");
    expect(await resend(paid.params)).toBe("OK");
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100081")).toBe(before + 52000n);
    const payment = await hub.hub.db.inboundPayment.findFirstOrThrow({ where: { channel: "arsenalpay", externalId: "p-1" } });
    expect(payment).toMatchObject({ amountKopecks: 52000n, payerAmountKopecks: 53560n, commissionKopecks: 1560n });
  });

  it("when partial refunds arrive, then each is a compensating posting, a repeated one changes nothing, and one beyond the payment is ERR", async () => {
    const before = await balanceOf("100081");
    const first = await callback("refund", "p-1", "100081", "200.00");
    expect(first.body).toBe("OK");
    expect(await resend(first.params)).toBe("OK");
    expect((await callback("refund", "p-1", "100081", "300.00")).body).toBe("OK");
    expect((await callback("refund", "p-1", "100081", "20.01")).body).toBe("ERR");
    expect(await balanceOf("100081")).toBe(before - 50000n);
    const reversals = await hub.hub.db.paymentReversal.findMany({ where: { payment: { externalId: "p-1" } } });
    expect(reversals.map((reversal) => reversal.amountKopecks).sort()).toEqual([20000n, 30000n]);
    // PROTOCOLS.md §3: after a refund only refunds follow; a reverse (the whole payment back) is refused and flagged.
    expect((await callback("reverse", "p-1", "100081", "520.00")).body).toBe("ERR");
    expect(await balanceOf("100081")).toBe(before - 50000n);
    const original = await hub.hub.db.inboundPayment.findFirstOrThrow({ where: { channel: "arsenalpay", externalId: "p-1" } });
    const story = (await fetch(`${hub.url}/api/payments/${original.id}`, { headers: { authorization: "Bearer test-admin-token-0123456789" } }).then((response) => response.json())) as {
      reversals: { reason: string; amount: string }[];
      postings: { kind: string }[];
    };
    expect(story.reversals.map((reversal) => `${reversal.reason} ${reversal.amount}`).sort()).toEqual(["refund 200.00", "refund 300.00"]);
    expect(story.postings.map((posting) => posting.kind).sort()).toEqual(["payment-credit", "provider-reversal", "provider-reversal"]);
    const flagged = await hub.hub.db.intakeIncident.findMany({ where: { channel: "arsenalpay", externalId: "p-1", resolvedAt: null } });
    expect(flagged.map((incident) => incident.kind).sort()).toEqual(["reversal-refused", "reversal-refused"]);
    await expectLedgerConsistent(hub);
  });

  it("when a reverse names the whole payment, then all of it goes back once; a reverse of part of it is ERR", async () => {
    const before = await balanceOf("100083");
    expect((await callback("payment", "r-1", "100083", "250.00")).body).toBe("OK");
    await waitUntilAllCredited(hub);
    expect((await callback("reverse", "r-1", "100083", "100.00")).body).toBe("ERR");
    expect(await balanceOf("100083")).toBe(before + 25000n);
    expect((await callback("reverse", "r-1", "100083", "250.00")).body).toBe("OK");
    expect((await callback("reversal", "r-1", "100083", "250.00")).body).toBe("OK");
    expect(await balanceOf("100083")).toBe(before);
    await expectLedgerConsistent(hub);
  });

  it("when a hold is followed by its payment, then money only on the payment; a cancelled hold never becomes money", async () => {
    const before = await balanceOf("100082");
    expect((await callback("hold", "h-1", "100082", "300.00")).body).toBe("OK");
    // Pending SMS payments expire after 0.3 s on this hub; a hold waits for ArsenalPay's payment or cancel.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await hub.hub.db.inboundPayment.findFirstOrThrow({ where: { channel: "arsenalpay", externalId: "h-1" } })).toMatchObject({ status: "pending" });
    expect((await callback("payment", "h-1", "100082", "300.00")).body).toBe("OK");
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100082")).toBe(before + 30000n);

    expect((await callback("hold", "h-2", "100082", "100.00")).body).toBe("OK");
    expect((await callback("cancel", "h-2", "100082", "100.00")).body).toBe("OK");
    expect((await callback("payment", "h-2", "100082", "100.00")).body).toBe("ERR");
    // A cancel of a completed payment is not a transition ArsenalPay allows.
    expect((await callback("cancel", "h-1", "100082", "300.00")).body).toBe("ERR");
    await waitUntilAllCredited(hub);
    expect(await balanceOf("100082")).toBe(before + 30000n);
  });

  it("when a payment (a recurring charge comes without a check) names a blocked or unknown account, then OK: the card was charged, so it waits in suspense", async () => {
    expect((await callback("payment", "s-1", "100090", "890.00")).body).toBe("OK");
    expect((await callback("payment", "s-2", "999999", "890.00")).body).toBe("OK");
    await waitUntilAllCredited(hub);
    const items = await hub.hub.db.suspenseItem.findMany({ where: { payment: { channel: "arsenalpay", externalId: { in: ["s-1", "s-2"] } } }, include: { payment: true }, orderBy: { id: "asc" } });
    expect(items.map((item) => [item.payment.externalId, item.reason, item.payment.accountId])).toEqual([
      ["s-1", "account blocked", null],
      ["s-2", "unknown account", null],
    ]);
    expect((await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100090" } })).balanceKopecks).toBe(0n);
    await expectLedgerConsistent(hub);
  });

  it("when SIGN is wrong, STATUS differs from FUNCTION, or ID is not ours, then ERR and nothing is written", async () => {
    const count = await hub.hub.db.inboundPayment.count();
    expect((await callback("payment", "x-1", "100080", "10.00", {}, "wrong-key")).body).toBe("ERR");
    expect((await callback("payment", "x-2", "100080", "10.00", { STATUS: "check" })).body).toBe("ERR");
    const signed = { ID: "999", FUNCTION: "payment", RRN: "x-3", PAYER: "p", AMOUNT: "10.00", ACCOUNT: "100080", STATUS: "payment" };
    const foreign = await fetch(`${hub.url}/webhooks/arsenalpay?${new URLSearchParams({ ...signed, DATETIME: "2026-11-24T12:00:00+10:00", SIGN: expectedArsenalpaySign(signed, KEY) })}`);
    expect(await foreign.text()).toBe("ERR");
    expect(await hub.hub.db.inboundPayment.count()).toBe(count);
  });
});

describe("ArsenalPay payment links", () => {
  const link = (body: unknown, authorization = "Bearer test-admin-token-0123456789") =>
    fetch(`${hub.url}/api/arsenalpay/links`, { method: "POST", headers: { authorization, "content-type": "application/json" }, body: JSON.stringify(body) });

  it("when a link is asked for an active account, then it carries the account, the amount and a widgetSign that verifies", async () => {
    const response = await link({ account: "100080", amount: "500" });
    expect(response.status).toBe(201);
    const { url } = (await response.json()) as { url: string };
    const params = new URL(url).searchParams;
    expect(url.startsWith("https://arsenalpay.ru/widget.html?")).toBe(true);
    expect({ destination: params.get("destination"), userId: params.get("userId"), amount: params.get("amount"), widget: params.get("widget") }).toEqual({
      destination: "100080",
      userId: "atk141925",
      amount: "500.00",
      widget: "4242",
    });
    const fields = { userId: "atk141925", destination: "100080", amount: "500.00", widgetId: "4242", nonce: params.get("nonce")! };
    expect(params.get("widgetSign")).toBe(arsenalpayWidgetSign(WIDGET_KEY, fields));
  });

  it("when the account is unknown or closed, the amount malformed, or the token missing, then no link", async () => {
    expect((await link({ account: "999999", amount: "500.00" })).status).toBe(404);
    expect((await link({ account: "100099", amount: "500.00" })).status).toBe(409);
    expect((await link({ account: "100080", amount: "1e3" })).status).toBe(400);
    expect((await link({ account: "100080", amount: "500.00" }, "Bearer wrong-token-0000000000")).status).toBe(401);
  });
});
