import type { ChannelProfile, InboundRequest, ParseResult, ProtocolError } from "../contract/index.ts";
import { smsCommissionKopecks, type SmsCommissionTable } from "./commission.ts";
import { smsReplyText } from "./reply.ts";
import { SMS3116_SHORT_NUMBER, Sms3116Incoming, Sms3116StatusCallback } from "./schema.ts";
import { parseSmsText } from "./text.ts";
import { skeyValid, statusSignatureValid } from "./verify.ts";

export interface Sms3116Profile extends ChannelProfile {
  /** Service keys whose md5 is the incoming forward's `skey`; several while one is rotated. */
  serviceKeys: readonly string[];
  /** API keys of the status callback's signature. */
  apiKeys: readonly string[];
  commission: SmsCommissionTable;
}

/**
 * An incoming SMS opens a pending payment: the subscriber still has to confirm it, and the aggregator reports the
 * outcome through the status callback. A text that cannot be read is refused with the reply SMS that explains the
 * format (the refusal's message is that text).
 */
export function parseSmsIncoming(request: InboundRequest, profile: Sms3116Profile): ParseResult {
  // The skey first: nothing of a request with a wrong one is believed.
  if (!skeyValid(request.params.skey, profile.serviceKeys)) return refuse({ kind: "badSignature", field: "skey", message: "skey does not match the service key" });
  const parsed = Sms3116Incoming.safeParse(request.params);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? "request");
    return refuse({ kind: "malformed", field, message: `parameter ${field} ${parsed.error.issues[0]?.message ?? "is invalid"}` });
  }
  const sms = parsed.data;
  if (sms.num !== SMS3116_SHORT_NUMBER) return refuse({ kind: "malformed", field: "num", message: `num must be ${SMS3116_SHORT_NUMBER}` });
  const text = parseSmsText(sms.msg);
  if (!text.ok) {
    // Not a protocol error for the aggregator: the subscriber gets an SMS that says how to write it.
    return refuse({ kind: "malformed", field: "msg", message: smsReplyText({ kind: "malformedText", problem: text.problem }) });
  }
  const commissionKopecks = smsCommissionKopecks(text.amountKopecks, sms.operator, profile.commission);
  return {
    ok: true,
    command: {
      kind: "open",
      externalId: sms.smsid,
      accountNumber: text.accountNumber,
      amountKopecks: text.amountKopecks,
      commissionKopecks,
      // The subscriber pays the commission on top; the account is credited the full sum.
      payerAmountKopecks: text.amountKopecks + commissionKopecks,
      providerTime: undefined,
      // Everything but the skey, which is a standing password.
      request: { smsid: sms.smsid, num: sms.num, operator: sms.operator, user_id: sms.user_id, msg: sms.msg },
    },
  };
}

/** The aggregator's report on a pending SMS payment: success confirms it, failure closes it, pending changes nothing. */
export function parseSmsStatus(request: InboundRequest, profile: Sms3116Profile): ParseResult {
  const body = request.params as { payment_id?: unknown; signature?: unknown };
  if (!statusSignatureValid(body, profile.apiKeys)) return refuse({ kind: "badSignature", field: "signature", message: "signature does not match" });
  const parsed = Sms3116StatusCallback.safeParse(request.params);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? "request");
    return refuse({ kind: "malformed", field, message: `field ${field} ${parsed.error.issues[0]?.message ?? "is invalid"}` });
  }
  const status = parsed.data;
  // Only payment_id is signed. merchant_payment_id (the smsid that opened the payment), status and amount are not:
  // the core binds the aggregator's payment_id to the first payment and amount it names, and refuses (and flags) a
  // message that pairs it otherwise, or that walks a payment's status backwards.
  const reference = status.merchant_payment_id;
  const binding = { providerReference: status.payment_id, amountKopecks: status.amount };
  const ids = { reference, binding, externalId: reference, accountNumber: undefined };
  switch (status.status) {
    case "success":
      return { ok: true, command: { kind: "confirm", ...ids, amountKopecks: status.amount } };
    case "failure":
      return { ok: true, command: { kind: "close", ...ids, reason: `aggregator reported failure${status.extended_status ? `: ${status.extended_status}` : ""}` } };
    case "pending":
      return { ok: true, command: { kind: "stillPending", ...ids } };
  }
}

function refuse(error: ProtocolError): ParseResult {
  return { ok: false, error };
}
