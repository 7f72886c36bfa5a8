import { describe, expect, it } from "vitest";
import { bankAdapter, type BankProfile } from "../../adapters/bank-xml/index.ts";
import { bankHash } from "../../adapters/bank-xml/verify.ts";
import { cardAdapter, type CardProfile } from "../../adapters/card/index.ts";
import { expectedCardChecksum } from "../../adapters/card/verify.ts";
import type { ChannelAdapter, ChannelProfile, Command, HttpReply, InboundRequest, PaymentView } from "../../adapters/contract/index.ts";
import { qiwiBillAdapter } from "../../adapters/qiwi-bill/index.ts";
import { expectedSignature } from "../../adapters/qiwi-bill/verify.ts";
import { DEFAULT_SMS_COMMISSION, smsIncomingAdapter, smsStatusAdapter } from "../../adapters/sms3116/index.ts";
import { expectedSkey, expectedStatusSignature } from "../../adapters/sms3116/verify.ts";
import { webmoneyAdapter } from "../../adapters/webmoney/index.ts";
import { expectedLmiHash, expectedLmiHash2 } from "../../adapters/webmoney/verify.ts";
import { yoomoneyAdapter } from "../../adapters/yoomoney/index.ts";
import { expectedSha1Hash } from "../../adapters/yoomoney/verify.ts";

// One contract, run over every signed adapter: a real request signed at test time is accepted and maps to the
// expected Command; a flipped byte in any signed field, a wrong secret or a missing signature is refused with the
// protocol's own refusal; a repeat of a known id with another amount (a conflict) is never answered as a success.

const SECRET = "contract-secret";
const base = { minKopecks: 100n, maxKopecks: 10_000_000n, commissionBasisPoints: 0n };
const source = (name: string) => ({ channel: name, protocol: name, profile: name });

interface ContractCase {
  name: string;
  adapter: ChannelAdapter<never>;
  profile: ChannelProfile;
  /** The request as the provider sends it, signed with `secret`. */
  request(secret: string): InboundRequest;
  /** Names of parameters the signature covers: a flipped byte in any of them must be refused. */
  signedFields: string[];
  /** Tampered copies of a signed request whose signed values are nested (JSON bodies). */
  tampers?: ((request: InboundRequest) => InboundRequest)[];
  /** The request without its signature. */
  unsigned(request: InboundRequest): InboundRequest;
  expected: Partial<Command>;
  /** True when the reply is this protocol's refusal (not its success). */
  isRefusal(reply: HttpReply): boolean;
  /** A pay told after the money moved (a notification): marked unrefusable, so an account payhub cannot credit goes
   * to suspense instead of being refused. Protocols with a check step never mark it. */
  unrefusable?: true;
}

const form = (params: Record<string, unknown>, headers: Record<string, string> = {}): InboundRequest => ({ method: "POST", params, headers, ip: "127.0.0.1" });
const without = (request: InboundRequest, name: string): InboundRequest => {
  const params = { ...request.params };
  delete params[name];
  return { ...request, params };
};

const webmoneySigned = {
  LMI_PAYEE_PURSE: "R123456789012",
  LMI_PAYMENT_AMOUNT: "150.00",
  LMI_PAYMENT_NO: "77",
  LMI_MODE: "0",
  LMI_SYS_INVS_NO: "897",
  LMI_SYS_TRANS_NO: "892",
  LMI_SYS_TRANS_DATE: "20261124 13:07:36",
  LMI_PAYER_PURSE: "R366393600555",
  LMI_PAYER_WM: "404521188333",
};
const yoomoneySigned = {
  notification_type: "p2p-incoming",
  operation_id: "1234567",
  amount: "300.00",
  currency: "643",
  datetime: "2026-11-24T09:00:00.000+10:00",
  sender: "41001000040",
  codepro: "false",
  label: "100080",
};
const qiwiBody = (value: string) => ({
  bill: { siteId: "site-1", billId: "bill-1", amount: { value, currency: "RUB" }, status: { value: "PAID", changedDateTime: "2026-11-24T12:00:00+03:00" }, customer: { account: "100080" } },
  version: "1",
});
const cardParams = { mdOrder: "72318777-5zfg-782c-bk02-xxxxxxxx8dx5", orderNumber: "card-1", operation: "deposited", status: "1", amount: "15000" };
const bankParams = { ACTION: "payment", ACCOUNT: "100080", AMOUNT: "110.10", PAY_ID: "654321", PAY_DATE: "24.11.2026_12:31:00" };

const CASES: ContractCase[] = [
  {
    name: "bank XML (hash variant)",
    adapter: bankAdapter as ChannelAdapter<never>,
    profile: { ...base, source: source("bank:primorye"), hashSecrets: [SECRET], utcOffsetMinutes: 600 } as BankProfile,
    request: (secret) => ({ method: "GET", params: { ...bankParams, hash: bankHash(bankParams, secret) }, headers: {}, ip: "127.0.0.1" }),
    signedFields: Object.keys(bankParams),
    unsigned: (request) => without(request, "hash"),
    expected: { kind: "pay", externalId: "654321", accountNumber: "100080", amountKopecks: 11010n },
    isRefusal: (reply) => !reply.body.includes("<CODE>0</CODE>"),
  },
  {
    name: "WebMoney notification",
    adapter: webmoneyAdapter as ChannelAdapter<never>,
    profile: { ...base, source: source("webmoney"), secrets: [SECRET], purses: ["R123456789012"], testPaymentsCredit: false } as ChannelProfile,
    request: (secret) =>
      form({ ...webmoneySigned, ACCOUNT: "100080", LMI_HASH: expectedLmiHash(webmoneySigned, secret, "sha256"), LMI_HASH2: expectedLmiHash2(webmoneySigned, secret) }),
    signedFields: Object.keys(webmoneySigned),
    unsigned: (request) => without(without(request, "LMI_HASH"), "LMI_HASH2"),
    expected: { kind: "pay", externalId: "892", accountNumber: "100080", amountKopecks: 15000n },
    isRefusal: (reply) => reply.status !== 200,
    unrefusable: true,
  },
  {
    name: "YooMoney notification",
    adapter: yoomoneyAdapter as ChannelAdapter<never>,
    profile: { ...base, source: source("yoomoney"), secrets: [SECRET] } as ChannelProfile,
    request: (secret) => form({ ...yoomoneySigned, withdraw_amount: "301.50", test_notification: "false", unaccepted: "false", sha1_hash: expectedSha1Hash(yoomoneySigned, secret) }),
    signedFields: Object.keys(yoomoneySigned),
    unsigned: (request) => without(request, "sha1_hash"),
    expected: { kind: "pay", externalId: "1234567", accountNumber: "100080", amountKopecks: 30000n },
    isRefusal: (reply) => reply.status !== 200,
    unrefusable: true,
  },
  {
    name: "QIWI bill notification",
    adapter: qiwiBillAdapter as ChannelAdapter<never>,
    profile: { ...base, source: source("qiwi-bill"), secrets: [SECRET], siteId: "site-1" } as ChannelProfile,
    request: (secret) =>
      form(qiwiBody("300"), {
        "x-api-signature-sha256": expectedSignature({ currency: "RUB", value: "300", billId: "bill-1", siteId: "site-1", status: "PAID" }, secret)!,
      }),
    signedFields: [],
    tampers: [
      (request) => ({ ...request, params: qiwiBody("3000") }),
      (request) => ({ ...request, params: { ...qiwiBody("300"), bill: { ...qiwiBody("300").bill, billId: "bill-2" } } }),
      (request) => ({ ...request, params: { ...qiwiBody("300"), bill: { ...qiwiBody("300").bill, amount: { value: "300", currency: "USD" } } } }),
    ],
    unsigned: (request) => ({ ...request, headers: {} }),
    expected: { kind: "pay", externalId: "bill-1", accountNumber: "100080", amountKopecks: 30000n },
    isRefusal: (reply) => reply.status !== 200,
    unrefusable: true,
  },
  {
    name: "SMS 3116 status callback",
    adapter: smsStatusAdapter as ChannelAdapter<never>,
    profile: { ...base, source: source("sms3116"), serviceKeys: [SECRET], apiKeys: [SECRET], commission: DEFAULT_SMS_COMMISSION } as ChannelProfile,
    request: (secret) =>
      form({ request: "payment_status", payment_id: "agg-1", merchant_payment_id: "sms-1", status: "success", amount: 11300, signature: expectedStatusSignature("agg-1", secret) }),
    signedFields: ["payment_id"],
    unsigned: (request) => without(request, "signature"),
    expected: { kind: "confirm", reference: "sms-1", amountKopecks: 11300n },
    isRefusal: (reply) => !reply.body.includes('"ok"'),
  },
  {
    name: "SMS 3116 incoming forward",
    adapter: smsIncomingAdapter as ChannelAdapter<never>,
    profile: { ...base, source: source("sms3116"), serviceKeys: [SECRET], apiKeys: [SECRET], commission: DEFAULT_SMS_COMMISSION } as ChannelProfile,
    request: (secret) => ({ method: "GET", params: { skey: expectedSkey(secret), smsid: "sms-1", num: "3116", operator: "mts", user_id: "79141234567", msg: "aliance 100080 100" }, headers: {}, ip: "127.0.0.1" }),
    // The skey is a standing token over no field: only the secret and its presence are checked.
    signedFields: [],
    unsigned: (request) => without(request, "skey"),
    expected: { kind: "open", externalId: "sms-1", accountNumber: "100080", amountKopecks: 10000n },
    isRefusal: (reply) => reply.status !== 200,
  },
  {
    name: "card acquirer callback",
    adapter: cardAdapter as ChannelAdapter<never>,
    profile: { ...base, source: source("card"), checksumKeys: [SECRET] } as CardProfile,
    request: (secret) => ({ method: "GET", params: { ...cardParams, checksum: expectedCardChecksum(cardParams, secret)! }, headers: {}, ip: "127.0.0.1" }),
    signedFields: Object.keys(cardParams),
    unsigned: (request) => without(request, "checksum"),
    expected: { kind: "confirm", reference: "card-1", amountKopecks: 15000n },
    isRefusal: (reply) => reply.status !== 200,
  },
];

/** Changes one character of a value: the last digit or letter becomes another. */
function flipped(value: unknown): string {
  const text = String(value);
  const last = text.at(-1) ?? "";
  const replacement = /[0-9]/.test(last) ? String((Number(last) + 1) % 10) : last === "a" ? "b" : "a";
  return text.slice(0, -1) + replacement;
}

const payment: PaymentView = { id: 2016n, externalId: "x", accountNumber: "100080", amountKopecks: 100n, receivedAt: new Date("2026-11-24T12:00:00Z") };

describe.each(CASES)("$name", (contract) => {
  const parse = (request: InboundRequest) => contract.adapter.parse(request, contract.profile as never);

  it("when the request is signed with the secret, then it is accepted and maps to the expected Command", () => {
    const parsed = parse(contract.request(SECRET));
    expect(parsed.ok ? parsed.command : parsed.error).toMatchObject(contract.expected);
  });

  it(contract.unrefusable ? "when it is a pay, then it is marked unrefusable (suspense, not refusal)" : "when it is a pay, then it is not marked unrefusable (the protocol refuses)", () => {
    const parsed = parse(contract.request(SECRET));
    if (!parsed.ok) throw new Error("the signed fixture must parse");
    expect(parsed.command.kind === "pay" && parsed.command.unrefusable === true).toBe(contract.unrefusable === true);
  });

  it("when any signed field has a flipped byte, then it is refused as a bad signature with the protocol's refusal", () => {
    for (const field of contract.signedFields) {
      const request = contract.request(SECRET);
      const tampered = { ...request, params: { ...request.params, [field]: flipped(request.params[field]) } };
      const parsed = parse(tampered);
      expect(parsed.ok, `flipped ${field}`).toBe(false);
      if (!parsed.ok) {
        expect(parsed.error.kind, `flipped ${field}`).toBe("badSignature");
        expect(contract.isRefusal(contract.adapter.replyError(parsed.error, tampered))).toBe(true);
      }
    }
  });

  it("when a nested signed value is changed, then it is refused as a bad signature", () => {
    for (const tamper of contract.tampers ?? []) {
      const parsed = parse(tamper(contract.request(SECRET)));
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error.kind).toBe("badSignature");
    }
  });

  it("when the secret is wrong or the signature is missing, then it is refused with the protocol's refusal", () => {
    for (const request of [contract.request("another-secret"), contract.unsigned(contract.request(SECRET))]) {
      const parsed = parse(request);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.error.kind).toBe("badSignature");
        expect(contract.isRefusal(contract.adapter.replyError(parsed.error, request))).toBe(true);
      }
    }
  });

  it("when the core finds the id already paid with another amount (a conflict), then the answer is a refusal, never a success", () => {
    const request = contract.request(SECRET);
    const parsed = parse(request);
    if (!parsed.ok) throw new Error("the signed fixture must parse");
    const reply = (outcome: Parameters<typeof contract.adapter.reply>[1]) => contract.adapter.reply(parsed.command, outcome, request, contract.profile as never);
    if (parsed.command.kind === "pay") {
      expect(contract.isRefusal(reply({ kind: "accepted", payment }))).toBe(false);
      expect(contract.isRefusal(reply({ kind: "conflict", payment }))).toBe(true);
    } else if (parsed.command.kind === "open") {
      expect(contract.isRefusal(reply({ kind: "opened", payment, repeat: false }))).toBe(false);
      expect(contract.isRefusal(reply({ kind: "temporaryFailure" }))).toBe(true);
    } else {
      expect(contract.isRefusal(reply({ kind: "confirmed", payment, repeat: false }))).toBe(false);
      expect(contract.isRefusal(reply({ kind: "operationRefused", payment, reason: "the amount differs" }))).toBe(true);
    }
  });
});
