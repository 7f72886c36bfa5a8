import type { ChannelProfile, InboundRequest, ParseResult, ProtocolError } from "../contract/index.ts";
import { ACCOUNT_NUMBER_FORMAT } from "../contract/index.ts";
import { parseRubles, percentOf } from "../../lib/money.ts";
import { QIWI_BILL_PAID, QIWI_BILL_RUB, QIWI_SIGNATURE_HEADER, QiwiBillNotification } from "./schema.ts";
import { signatureValid } from "./verify.ts";

/** What the QIWI bill engine needs of its profile; resolved from the environment by the core. */
export interface QiwiBillProfile extends ChannelProfile {
  /** The merchant's secret keys; several at once while one is rotated. Empty strings are ignored. */
  secrets: readonly string[];
  /** The hub's own siteId at QIWI; a notification for another site is refused. */
  siteId: string;
}

/** payhub's bill ids; QIWI allows up to 200 characters. */
const BILL_ID_FORMAT = /^[\x21-\x7E]{1,200}$/;

/**
 * Turns a QIWI bill notification into a pay (status PAID) or an acknowledge (any other status). The route gives the
 * parsed JSON body as `params`.
 */
export function parseQiwiBill(request: InboundRequest, profile: QiwiBillProfile): ParseResult {
  const parsed = QiwiBillNotification.safeParse(request.params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    const field = path.length > 0 ? path.map(String).join(".") : "body";
    const expected = issue?.code === "invalid_type" ? (issue.expected === "object" ? "an object" : `a ${issue.expected}`) : "valid";
    return malformed(field, `${field} ${valueAt(request.params, path) === undefined ? "is missing" : `must be ${expected}`}`);
  }
  const { bill } = parsed.data;

  // Verify before anything else is believed. The value is read as an amount first: it is signed as two decimals.
  const signature = headerOf(request, QIWI_SIGNATURE_HEADER);
  if (Array.isArray(signature)) return badSignature(`${QIWI_SIGNATURE_HEADER} must be given once`);
  if (signature === undefined || signature === "") return badSignature(`${QIWI_SIGNATURE_HEADER} is missing: the notification is not signed`);
  const amount = parseRubles(bill.amount.value);
  if (!amount.ok) return malformed("bill.amount.value", `bill.amount.value: ${amount.reason}`);
  const signed = { currency: bill.amount.currency, value: bill.amount.value, billId: bill.billId, siteId: bill.siteId, status: bill.status.value };
  if (!signatureValid(signed, signature, profile.secrets)) return badSignature(`${QIWI_SIGNATURE_HEADER} does not match: check the merchant's secret key`);

  if (bill.siteId !== profile.siteId) {
    return { ok: false, error: { kind: "forbidden", field: "bill.siteId", message: "bill.siteId is not the hub's siteId: check the QIWI profile's siteId" } };
  }
  if (!BILL_ID_FORMAT.test(bill.billId)) return malformed("bill.billId", "bill.billId must be 1 to 200 printable characters");

  const rawAccount = bill.customer?.account;
  if (bill.status.value !== QIWI_BILL_PAID) {
    // Only PAID moves money; WAITING, REJECTED, EXPIRED, PARTIAL and any status QIWI may add are answered and logged.
    return {
      ok: true,
      command: {
        kind: "acknowledge",
        externalId: bill.billId,
        accountNumber: rawAccount !== undefined && ACCOUNT_NUMBER_FORMAT.test(rawAccount) ? rawAccount : undefined,
        reason: `bill status ${bill.status.value}: only PAID bills are credited`,
      },
    };
  }

  if (bill.amount.currency !== QIWI_BILL_RUB) return malformed("bill.amount.currency", `bill.amount.currency must be ${QIWI_BILL_RUB}`);
  return {
    ok: true,
    command: {
      kind: "pay",
      externalId: bill.billId,
      // bill.customer.account is not signed: it only describes. The account is the one payhub issued this billId for
      // (POST /api/qiwi-bills); a bill payhub did not issue goes to suspense, with the account it names as a suggestion.
      accountNumber: (rawAccount ?? "").slice(0, 64),
      amountKopecks: amount.kopecks,
      commissionKopecks: percentOf(amount.kopecks, profile.commissionBasisPoints),
      payerAmountKopecks: undefined,
      providerTime: bill.status.changedDateTime ?? bill.status.datetime,
      // The JSON body as received; the signature travels in a header and is not part of it.
      request: request.params,
      intentReference: bill.billId,
      // PAID: the payer's money is with QIWI for us already; a bill payhub cannot match sends it to suspense.
      unrefusable: true,
    },
  };
}

/** The value at a path of the JSON body, or undefined where the path leads nowhere. */
function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A header by its name, whatever the case the route kept it in. */
function headerOf(request: InboundRequest, name: string): string | string[] | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(request.headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function badSignature(message: string): ParseResult {
  return { ok: false, error: { kind: "badSignature", field: QIWI_SIGNATURE_HEADER, message } };
}

function malformed(field: string, message: string): ParseResult {
  const error: ProtocolError = { kind: "malformed", field, message };
  return { ok: false, error };
}
