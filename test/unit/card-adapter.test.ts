import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { cardAdapter, type CardProfile } from "../../adapters/card/index.ts";
import { cardCheckString, cardChecksumValid, expectedCardChecksum } from "../../adapters/card/verify.ts";

// The card acquirer's callback (PROTOCOLS.md §4): the checksum over the sorted parameters, and each operation's Command.

const KEY = "card-checksum-key";
const profile: CardProfile = { source: { channel: "card", protocol: "card", profile: "card" }, minKopecks: 100n, maxKopecks: 10_000_000n, commissionBasisPoints: 0n, checksumKeys: [KEY] };
const EXAMPLE = { mdOrder: "72318777-5zfg-782c-bk02-xxxxxxxx8dx5", orderNumber: "ZX-987654321", operation: "deposited", status: "1", amount: "5" };
const EXAMPLE_CHECK_STRING = "amount;5;mdOrder;72318777-5zfg-782c-bk02-xxxxxxxx8dx5;operation;deposited;orderNumber;ZX-987654321;status;1;";

const signed = (params: Record<string, string>, key = KEY) => ({ ...params, checksum: expectedCardChecksum(params, key)! });
const parse = (params: Record<string, unknown>) => cardAdapter.parse({ method: "GET", params, headers: {}, ip: "127.0.0.1" }, profile);

describe("the card checksum", () => {
  it("when the PROTOCOLS.md example is signed, then the check string is the documented one and the checksum its upper-case HMAC-SHA256", () => {
    expect(cardCheckString({ ...EXAMPLE, checksum: "x", sign_alias: "SHA-256" })).toBe(EXAMPLE_CHECK_STRING);
    const hmac = createHmac("sha256", KEY).update(EXAMPLE_CHECK_STRING).digest("hex");
    expect(expectedCardChecksum(EXAMPLE, KEY)).toBe(hmac.toUpperCase());
    expect(cardChecksumValid({ ...EXAMPLE, checksum: hmac.toUpperCase(), sign_alias: "SHA-256" }, [KEY])).toBe(true);
  });

  it("when the checksum arrives in lower case, then it still verifies; another key, an empty key or none never does", () => {
    const lower = expectedCardChecksum(EXAMPLE, KEY)!.toLowerCase();
    expect(cardChecksumValid({ ...EXAMPLE, checksum: lower }, [KEY])).toBe(true);
    expect(cardChecksumValid({ ...EXAMPLE, checksum: lower }, ["other", KEY])).toBe(true);
    expect(cardChecksumValid({ ...EXAMPLE, checksum: lower }, ["other"])).toBe(false);
    expect(cardChecksumValid({ ...EXAMPLE, checksum: expectedCardChecksum(EXAMPLE, "")! }, [""])).toBe(false);
    expect(cardChecksumValid({ ...EXAMPLE }, [KEY])).toBe(false);
    expect(cardChecksumValid({ ...EXAMPLE, amount: ["5", "5"], checksum: lower }, [KEY])).toBe(false);
  });
});

describe("the card callback", () => {
  const order = { mdOrder: "md-1", orderNumber: "card-1" };
  it.each([
    [{ operation: "deposited", status: "1", amount: "50000" }, { kind: "confirm", reference: "card-1", amountKopecks: 50000n }],
    [{ operation: "deposited", status: "1" }, { kind: "confirm", reference: "card-1", amountKopecks: undefined }],
    [{ operation: "deposited", status: "0" }, { kind: "close", reference: "card-1" }],
    [{ operation: "approved", status: "0" }, { kind: "close", reference: "card-1" }],
    [{ operation: "declinedByTimeout", status: "0" }, { kind: "close", reference: "card-1" }],
    [{ operation: "approved", status: "1" }, { kind: "acknowledge" }],
    // A refund or reversal callback never moves money on its own word: the core asks the acquirer's status API.
    [{ operation: "reversed", status: "1" }, { kind: "reconcile", reference: "card-1" }],
    [{ operation: "refunded", status: "1", amount: "1500" }, { kind: "reconcile", reference: "card-1", reason: expect.stringContaining("1500") }],
    [{ operation: "refunded", status: "1" }, { kind: "reconcile", reference: "card-1" }],
    [{ operation: "refunded", status: "0" }, { kind: "acknowledge" }],
  ])("when %o, then %o", (fields, expected) => {
    const parsed = parse(signed({ ...order, ...fields } as Record<string, string>));
    expect(parsed.ok ? parsed.command : parsed.error).toMatchObject(expected);
  });

  it("when the operation is unknown or the amount not kopecks, then malformed (400); a bad checksum is 403", () => {
    for (const fields of <Record<string, string>[]>[{ operation: "paid", status: "1" }, { operation: "deposited", status: "1", amount: "500.00" }, { operation: "deposited", status: "2" }]) {
      const parsed = parse(signed({ ...order, ...fields }));
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(cardAdapter.replyError(parsed.error, undefined).status).toBe(400);
    }
    const parsed = parse({ ...order, operation: "deposited", status: "1", checksum: "00" });
    expect(parsed.ok ? "accepted" : parsed.error.kind).toBe("badSignature");
    if (!parsed.ok) expect(cardAdapter.replyError(parsed.error, undefined).status).toBe(403);
  });
});
