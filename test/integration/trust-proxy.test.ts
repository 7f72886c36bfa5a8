import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readOsmpAnswer, type OsmpAnswer } from "../support/osmp-client.ts";
import { startTestHub, type TestHub } from "../support/test-hub.ts";

// An unsigned channel's only guard is its source allowlist, which checks req.ip. TRUST_PROXY decides whose
// X-Forwarded-For may change req.ip: a caller that reaches the hub directly must not pass the allowlist by naming an
// allowed address in that header. Every hub here runs production rules (no loopback on allowlists) with the office
// terminals' profile allowing only 10.9.9.9; the tests call from 127.0.0.1.

const ALLOWED = "10.9.9.9";

/** An OSMP check of the demo account 100080 on the office terminals' profile, sent from 127.0.0.1. */
async function check(hub: TestHub, txnId: number, forwardedFor?: string): Promise<OsmpAnswer> {
  const query = new URLSearchParams({ command: "check", txn_id: String(txnId), account: "100080" });
  const headers: Record<string, string> = forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor };
  return readOsmpAnswer(await fetch(`${hub.url}/webhooks/osmp/office-terminals?${query}`, { headers }));
}

const REFUSED = { status: 403, result: 300 };
const ACCEPTED = { status: 200, result: 0 };

describe("X-Forwarded-For and the source allowlists", () => {
  const hubs: Record<"unset" | "otherProxy" | "thisProxy" | "oneHop", TestHub> = {} as never;
  beforeAll(async () => {
    const start = (trustProxy: Record<string, string>) =>
      startTestHub({
        NODE_ENV: "production",
        // Production loads no demo subscribers by default; these tests check the demo account 100080.
        HUB_DEMO_DATA: "true",
        OSMP_OFFICE_TERMINALS_ALLOWED_IPS: `${ALLOWED}/32`,
        ...trustProxy,
      });
    [hubs.unset, hubs.otherProxy, hubs.thisProxy, hubs.oneHop] = await Promise.all([
      start({}),
      start({ TRUST_PROXY: "192.0.2.10" }),
      start({ TRUST_PROXY: "127.0.0.1" }),
      start({ TRUST_PROXY: "1" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(Object.values(hubs).map((hub) => hub?.stop()));
  });

  it("when TRUST_PROXY is unset (false) and a direct caller sends X-Forwarded-For with an allowed address, then 403 and result 300", async () => {
    expect(await check(hubs.unset, 9101, ALLOWED)).toMatchObject(REFUSED);
  });

  it("when TRUST_PROXY names only the proxy's address and the caller is not that proxy, then its X-Forwarded-For is ignored: 403 and result 300", async () => {
    expect(await check(hubs.otherProxy, 9201, ALLOWED)).toMatchObject(REFUSED);
  });

  it("when the caller is the trusted proxy, then the client address it forwards is the one the allowlist checks", async () => {
    expect(await check(hubs.thisProxy, 9301, ALLOWED)).toMatchObject(ACCEPTED);
    // Without the header the proxy's own address is checked, and it is not allowed.
    expect(await check(hubs.thisProxy, 9302)).toMatchObject(REFUSED);
    // A client that forged an allowed address ahead of its own: the proxy appends the real one, which is checked.
    expect(await check(hubs.thisProxy, 9303, `${ALLOWED}, 203.0.113.7`)).toMatchObject(REFUSED);
  });

  it("when TRUST_PROXY is a hop count (1), then the nearest forwarded address is believed from any caller, so the hub must be reachable only through the proxy", async () => {
    expect(await check(hubs.oneHop, 9401, ALLOWED)).toMatchObject(ACCEPTED);
    expect(await check(hubs.oneHop, 9402, `${ALLOWED}, 203.0.113.7`)).toMatchObject(REFUSED);
  });
});
