import type { ChannelProfile, InboundRequest, ParseResult, ProtocolError } from "../contract/index.ts";
import { ACCOUNT_NUMBER_FORMAT } from "../contract/index.ts";
import { parseRubles, percentOf } from "../../lib/money.ts";
import { WEBMONEY_UNSTORED_FIELDS, WebmoneyMode, WebmoneyNotification, WebmoneyPrerequest } from "./schema.ts";
import { notificationSignatureValid } from "./verify.ts";

/** What the WebMoney engine needs of its profile; resolved from the environment by the core. */
export interface WebmoneyProfile extends ChannelProfile {
  /** The merchant's secret keys; several at once while one is rotated. Empty strings are ignored. */
  secrets: readonly string[];
  /** The hub's own payee purses (rouble purses: the amount is read as rubles); a request naming another is refused. */
  purses: readonly string[];
  /** Credit `LMI_MODE=1` test payments. False in production: there they are acknowledged and never credited. */
  testPaymentsCredit: boolean;
}

/** LMI_SYS_TRANS_NO is WebMoney's integer transaction number. */
const TRANS_NO_FORMAT = /^[0-9]{1,20}$/;
/** LMI_PAYMENT_NO: payhub's invoice number, a whole number. */
const PAYMENT_NO_FORMAT = /^[0-9]{1,20}$/;

/** Turns a WebMoney pre-request into a check and a payment notification into a pay (or an acknowledge). */
export function parseWebmoney(request: InboundRequest, profile: WebmoneyProfile): ParseResult {
  const prerequest = request.params.LMI_PREREQUEST;
  if (prerequest === "1") return parsePrerequest(request, profile);
  // WebMoney leaves LMI_PREREQUEST out of notifications; "0" is read the same way, anything else is not WebMoney's.
  if (prerequest !== undefined && prerequest !== "0") return malformed("LMI_PREREQUEST", "LMI_PREREQUEST must be 1 or absent");
  return parseNotification(request, profile);
}

function parsePrerequest(request: InboundRequest, profile: WebmoneyProfile): ParseResult {
  // Another merchant's purse is refused before anything else is read.
  const purse = request.params.LMI_PAYEE_PURSE;
  if (typeof purse === "string" && !profile.purses.includes(purse)) return foreignPurse();
  const parsed = WebmoneyPrerequest.safeParse(request.params);
  if (!parsed.success) return fromIssues(parsed.error.issues);
  const wire = parsed.data;
  if (!ACCOUNT_NUMBER_FORMAT.test(wire.ACCOUNT)) return badAccount();
  const amount = parseRubles(wire.LMI_PAYMENT_AMOUNT);
  if (!amount.ok) return malformed("LMI_PAYMENT_AMOUNT", amount.reason);
  // payhub issues every payment form with its own LMI_PAYMENT_NO (POST /api/webmoney/invoices): a pre-request without
  // one did not come from payhub's form.
  if (wire.LMI_PAYMENT_NO === undefined || !PAYMENT_NO_FORMAT.test(wire.LMI_PAYMENT_NO)) {
    return malformed("LMI_PAYMENT_NO", "LMI_PAYMENT_NO must be the number of an invoice payhub issued");
  }
  // A test-mode pre-request is checked like a real one: staff can then try the whole flow in production, and the
  // notification that follows is acknowledged, never credited (testPaymentsCredit=false). The pre-request is unsigned:
  // it can only confirm the invoice payhub issued (its account and amount), never change it.
  return {
    ok: true,
    command: { kind: "check", externalId: wire.LMI_PAYMENT_NO, accountNumber: wire.ACCOUNT, amountKopecks: amount.kopecks, intentReference: wire.LMI_PAYMENT_NO },
  };
}

function parseNotification(request: InboundRequest, profile: WebmoneyProfile): ParseResult {
  const parsed = WebmoneyNotification.safeParse(request.params);
  if (!parsed.success) return fromIssues(parsed.error.issues);
  const wire = parsed.data;

  // Verify before anything else is believed, on the values exactly as received.
  const signature = notificationSignatureValid(wire, profile.secrets);
  if (!signature.ok) return { ok: false, error: { kind: "badSignature", field: signature.field, message: signature.message } };
  if (!profile.purses.includes(wire.LMI_PAYEE_PURSE)) return foreignPurse();
  if (wire.LMI_MODE !== WebmoneyMode.real && wire.LMI_MODE !== WebmoneyMode.test) return malformed("LMI_MODE", "LMI_MODE must be 0 or 1");
  if (!TRANS_NO_FORMAT.test(wire.LMI_SYS_TRANS_NO)) return malformed("LMI_SYS_TRANS_NO", "LMI_SYS_TRANS_NO must be 1 to 20 digits");

  if (wire.LMI_MODE === WebmoneyMode.test && !profile.testPaymentsCredit) {
    return {
      ok: true,
      command: {
        kind: "acknowledge",
        externalId: wire.LMI_SYS_TRANS_NO,
        accountNumber: ACCOUNT_NUMBER_FORMAT.test(wire.ACCOUNT) ? wire.ACCOUNT : undefined,
        reason: "WebMoney test payment (LMI_MODE=1): test payments are not credited here",
      },
    };
  }

  const amount = parseRubles(wire.LMI_PAYMENT_AMOUNT);
  if (!amount.ok) return malformed("LMI_PAYMENT_AMOUNT", amount.reason);
  return {
    ok: true,
    command: {
      kind: "pay",
      externalId: wire.LMI_SYS_TRANS_NO,
      // ACCOUNT is payhub's own form field and not in LMI_HASH: it only describes. The account is the one payhub issued
      // invoice LMI_PAYMENT_NO for (signed); a number payhub never issued goes to suspense, ACCOUNT its suggestion.
      accountNumber: wire.ACCOUNT.slice(0, 64),
      amountKopecks: amount.kopecks,
      // The payer pays WebMoney's fee on top; what the profile says the network keeps is recorded.
      commissionKopecks: percentOf(amount.kopecks, profile.commissionBasisPoints),
      payerAmountKopecks: undefined,
      providerTime: wire.LMI_SYS_TRANS_DATE,
      request: storedRequest(request.params),
      // The notification comes after the money moved (the pre-request was the step that could refuse): an account
      // payhub cannot credit sends it to suspense.
      unrefusable: true,
      intentReference: wire.LMI_PAYMENT_NO,
    },
  };
}

/** Every field as received (the payer's WMID, purse, e-mail help with disputes) except the signatures and secrets. */
function storedRequest(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => !WEBMONEY_UNSTORED_FIELDS.includes(name)));
}

function fromIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): ParseResult {
  const issue = issues[0];
  const field = String(issue?.path[0] ?? "request");
  return malformed(field, `parameter ${field} ${issue?.message ?? "is invalid"}`);
}

function foreignPurse(): ParseResult {
  return { ok: false, error: { kind: "forbidden", field: "LMI_PAYEE_PURSE", message: "LMI_PAYEE_PURSE is not one of the hub's purses" } };
}

function badAccount(): ParseResult {
  return { ok: false, error: { kind: "badAccountFormat", field: "ACCOUNT", message: "ACCOUNT must be the 1 to 12 digits of an account number" } };
}

function malformed(field: string, message: string): ParseResult {
  const error: ProtocolError = { kind: "malformed", field, message };
  return { ok: false, error };
}
