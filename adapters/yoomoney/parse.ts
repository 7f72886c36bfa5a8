import type { ChannelProfile, InboundRequest, ParseResult } from "../contract/index.ts";
import { ACCOUNT_NUMBER_FORMAT } from "../contract/index.ts";
import { parseRubles } from "../../lib/money.ts";
import { YOOMONEY_RUB, YOOMONEY_TEST_OPERATION_ID, YOOMONEY_UNSTORED_FIELDS, YoomoneyFlag, YoomoneyIncomingType, YoomoneyNotification } from "./schema.ts";
import { sha1HashValid } from "./verify.ts";

/** What the YooMoney engine needs of its profile; resolved from the environment by the core. */
export interface YoomoneyProfile extends ChannelProfile {
  /** The wallet's notification secrets; several at once while one is rotated. Empty strings are ignored. */
  secrets: readonly string[];
}

/** YooMoney operation ids are opaque printable strings (digits in practice, "test-notification" in tests). */
const OPERATION_ID_FORMAT = /^[\x21-\x7E]{1,64}$/;

/** Turns a YooMoney notification into a pay, or an acknowledge when the protocol says not to credit it. */
export function parseYoomoney(request: InboundRequest, profile: YoomoneyProfile): ParseResult {
  const parsed = YoomoneyNotification.safeParse(request.params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? "request");
    return malformed(field, `parameter ${field} ${issue?.message ?? "is invalid"}`);
  }
  const wire = parsed.data;

  // Verify before anything else is believed, on the values exactly as received.
  if (wire.sha1_hash === undefined || wire.sha1_hash === "") return badSignature("sha1_hash is missing: the notification is not signed");
  if (!sha1HashValid(wire, wire.sha1_hash, profile.secrets)) return badSignature("sha1_hash does not match: check the wallet's notification secret");

  const testNotification = flag(wire.test_notification, "test_notification");
  if (!testNotification.ok) return testNotification.error;
  const codepro = flag(wire.codepro, "codepro");
  if (!codepro.ok) return codepro.error;
  const unaccepted = flag(wire.unaccepted, "unaccepted");
  if (!unaccepted.ok) return unaccepted.error;

  const account = wire.label !== undefined && ACCOUNT_NUMBER_FORMAT.test(wire.label) ? wire.label : undefined;
  const acknowledge = (reason: string, flag?: string): ParseResult => ({
    ok: true,
    command: { kind: "acknowledge", externalId: wire.operation_id, accountNumber: account, reason, ...(flag ? { flag } : {}) },
  });
  if (testNotification.value) {
    // test_notification is not signed: a real operation marked as a test would otherwise vanish in a log line. The
    // settings page's test button sends the operation id "test-notification"; anything else is flagged.
    return acknowledge(
      "YooMoney test notification",
      wire.operation_id === YOOMONEY_TEST_OPERATION_ID ? undefined : `operation ${wire.operation_id} came marked as a test (test_notification is not signed): not credited; if it is a real transfer in the wallet's history, credit it through suspense`,
    );
  }
  if (codepro.value) return acknowledge("protected transfer (codepro=true): not received until the code is entered, not credited");

  if (!YoomoneyIncomingType.safeParse(wire.notification_type).success) {
    return malformed("notification_type", "notification_type must be p2p-incoming or card-incoming");
  }
  if (!OPERATION_ID_FORMAT.test(wire.operation_id)) return malformed("operation_id", "operation_id must be 1 to 64 printable characters");
  if (wire.currency !== YOOMONEY_RUB) return malformed("currency", `currency must be ${YOOMONEY_RUB} (RUB)`);
  if (account === undefined) {
    return {
      ok: false,
      error: { kind: "badAccountFormat", field: "label", message: "label must be the 1 to 12 digits of an account number: the payment names no account" },
    };
  }
  const amount = parseRubles(wire.amount);
  if (!amount.ok) return malformed("amount", amount.reason);
  let payerAmountKopecks: bigint | undefined;
  if (wire.withdraw_amount !== undefined && wire.withdraw_amount !== "") {
    const withdrawn = parseRubles(wire.withdraw_amount);
    if (!withdrawn.ok) return malformed("withdraw_amount", withdrawn.reason);
    payerAmountKopecks = withdrawn.kopecks;
  }
  // YooMoney says what it kept: what the payer paid less what arrived, never negative.
  const fee = payerAmountKopecks === undefined ? 0n : payerAmountKopecks - amount.kopecks;
  return {
    ok: true,
    command: {
      // A held transfer (unaccepted=true) is recorded as pending, not money; the notification of its acceptance (the
      // same operation_id, unaccepted=false) makes it money, once. unaccepted is not signed: the core asks an operator
      // to confirm a completion it cannot verify (an intake incident).
      kind: unaccepted.value ? "open" : "pay",
      externalId: wire.operation_id,
      accountNumber: account,
      amountKopecks: amount.kopecks,
      commissionKopecks: fee > 0n ? fee : 0n,
      payerAmountKopecks,
      providerTime: wire.datetime,
      request: Object.fromEntries(Object.entries(request.params).filter(([name]) => !YOOMONEY_UNSTORED_FIELDS.includes(name))),
      // The transfer is in the wallet already: an account payhub cannot credit sends it to suspense, not back.
      unrefusable: true,
    },
  };
}

type FlagResult = { ok: true; value: boolean } | { ok: false; error: ParseResult };

/** `true` or `false`; an absent flag is false; anything else is refused rather than guessed. */
function flag(value: string | undefined, field: string): FlagResult {
  if (value === undefined) return { ok: true, value: false };
  const parsed = YoomoneyFlag.safeParse(value);
  if (!parsed.success) return { ok: false, error: malformed(field, `${field} must be true or false`) };
  return { ok: true, value: parsed.data === "true" };
}

function badSignature(message: string): ParseResult {
  return { ok: false, error: { kind: "badSignature", field: "sha1_hash", message } };
}

function malformed(field: string, message: string): ParseResult {
  return { ok: false, error: { kind: "malformed", field, message } };
}
