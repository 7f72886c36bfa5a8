import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payParams, readOsmpAnswer } from "../support/osmp-client.ts";
import { startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// The providers' routes are served in front of Express (webhooks/index.ts, issue 11). A provider must not see the
// difference: paths match as Express matched them, a path that names no route gets Express's 404, and answers carry
// the same headers.

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => {
  await hub?.stop();
});

const check = (txnId: number) => new URLSearchParams({ command: "check", txn_id: String(txnId), account: "100080" }).toString();

describe("paths", () => {
  it.each([["/webhooks/osmp/qiwi"], ["/webhooks/osmp/qiwi/"], ["/WEBHOOKS/Osmp/qiwi"], ["/webhooks/osmp/%71iwi"]])(
    "when a check comes to %s, then the qiwi profile answers it (Express matched case-insensitively, with an optional trailing slash, the profile decoded)",
    async (path) => {
      const answer = await readOsmpAnswer(await fetch(`${hub.url}${path}?${check(1)}`));
      expect(answer).toMatchObject({ status: 200, result: 0, osmpTxnId: "1" });
    },
  );

  it("when a check comes in absolute form (http://host/webhooks/osmp/qiwi?…, as a proxy may send it), then the qiwi profile answers it", async () => {
    const { port } = new URL(hub.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), "127.0.0.1", () => {
        socket.write(`GET http://127.0.0.1:${port}/webhooks/osmp/qiwi?${check(5)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
      });
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString("utf8")));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain("<osmp_txn_id>5</osmp_txn_id>");
    expect(answer).toContain("<result>0</result>");
  });

  it.each([["/webhooks/osmp/qiwi/extra"], ["/webhooks/osmp/"], ["/webhooks/osmp"], ["/webhooks/osmpx/qiwi"], ["/webhooks/nothing"], ["/webhooks/yoomoney/extra"]])(
    "when a request comes to %s, which names no route, then the API's JSON 404 answers and nothing is recorded",
    async (path) => {
      const response = await fetch(`${hub.url}${path}?${new URLSearchParams(payParams(2, "100080", "10.00"))}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: "not_found" });
      expect(await hub.hub.db.inboundPayment.count()).toBe(0);
    },
  );
});

describe("answers", () => {
  it("when a pay is answered, then the answer has the request id, its length and a weak ETag, and the payment is credited", async () => {
    const response = await fetch(`${hub.url}/webhooks/osmp/qiwi`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-request-id": "terminal-4711-abc" },
      body: new URLSearchParams(payParams(3, "100080", "10.00")).toString(),
    });
    const body = Buffer.from(await response.clone().arrayBuffer());
    expect(response.headers.get("x-request-id")).toBe("terminal-4711-abc");
    expect(response.headers.get("content-length")).toBe(String(body.length));
    expect(response.headers.get("etag")).toMatch(/^W\/"[0-9a-f]+-[A-Za-z0-9+/_-]+"$/);
    expect(await readOsmpAnswer(response)).toMatchObject({ status: 200, result: 0, sum: "10.00" });
    await waitUntilAllCredited(hub);
    const payment = await hub.hub.db.inboundPayment.findFirstOrThrow({ where: { externalId: "3" } });
    expect(payment.requestId).toBe("terminal-4711-abc");
  });

  it("when the incoming request id is malformed, then the answer carries a fresh one instead", async () => {
    const response = await fetch(`${hub.url}/webhooks/osmp/qiwi?${check(4)}`, { headers: { "x-request-id": "bad id with spaces" } });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await readOsmpAnswer(response)).toMatchObject({ status: 200, result: 0 });
  });
});
