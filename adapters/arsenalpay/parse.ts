import type { ChannelProfile, Command, InboundRequest, ParseResult, ProtocolError } from "../contract/index.ts";
import { ACCOUNT_NUMBER_FORMAT } from "../contract/index.ts";
import { arsenalpayAmounts } from "./amounts.ts";
import { ARSENALPAY_REVERSE_KEY, arsenalpayRefundKey } from "./decide.ts";
import { ArsenalpayCallback } from "./schema.ts";
import { arsenalpaySignValid } from "./verify.ts";

export interface ArsenalpayProfile extends ChannelProfile {
  /** Callback keys of SIGN; several while one is rotated. */
  callbackKeys: readonly string[];
  /** The merchant id ArsenalPay sends as ID; undefined: not checked. */
  merchantId: string | undefined;
}

/**
 * Turns an ArsenalPay callback into a Command. The RRN is the idempotency key of every function of one payment:
 * `check` asks, `hold` opens a pending payment, `payment` pays (or confirms the hold), `cancel`/`cancelinit` close a
 * hold, `refund` gives part of a credited payment back, `reverse`/`reversal` give back the whole payment. Which of
 * them an RRN may take now is decided by the table of steps (decide.ts, transitions.ts) before the core runs it.
 */
export function parseArsenalpay(request: InboundRequest, profile: ArsenalpayProfile): ParseResult {
  // SIGN first, over the seven fields exactly as received.
  if (!arsenalpaySignValid(request.params, profile.callbackKeys)) return refuse({ kind: "badSignature", field: "SIGN", message: "SIGN does not match" });
  const parsed = ArsenalpayCallback.safeParse(request.params);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? "request");
    return refuse({ kind: "malformed", field, message: `parameter ${field} ${parsed.error.issues[0]?.message ?? "is invalid"}` });
  }
  const callback = parsed.data;
  if (profile.merchantId !== undefined && callback.ID !== profile.merchantId) return refuse({ kind: "forbidden", field: "ID", message: "ID is not our merchant id" });
  if (!ACCOUNT_NUMBER_FORMAT.test(callback.ACCOUNT)) return refuse({ kind: "badAccountFormat", field: "ACCOUNT", message: "ACCOUNT must be the digits of an account number" });
  const amounts = arsenalpayAmounts(callback);
  if (!amounts.ok) return refuse({ kind: "malformed", field: amounts.field, message: amounts.reason });
  const { RRN: rrn, ACCOUNT: account } = callback;
  const money = {
    externalId: rrn,
    accountNumber: account,
    amountKopecks: amounts.amountKopecks,
    commissionKopecks: amounts.commissionKopecks,
    payerAmountKopecks: amounts.payerAmountKopecks,
    providerTime: callback.DATETIME,
    request: Object.fromEntries(Object.entries(callback).filter(([name]) => name !== "SIGN")),
  };
  return { ok: true, command: commandOf(callback.FUNCTION, money) };
}

function commandOf(fn: ArsenalpayCallback["FUNCTION"], money: Omit<Extract<Command, { kind: "pay" }>, "kind">): Command {
  // DATETIME is not signed: it describes a reversal (stored, compared on repeats), never tells two of them apart.
  const reversal = { reference: money.externalId, providerTime: money.providerTime, request: money.request, externalId: money.externalId, accountNumber: undefined };
  switch (fn) {
    case "check":
      return { kind: "check", externalId: money.externalId, accountNumber: money.accountNumber, amountKopecks: money.amountKopecks };
    case "payment":
      // The card is charged already (a recurring charge comes without a check): an account payhub cannot credit
      // sends the payment to suspense instead of refusing money that moved.
      return { kind: "pay", ...money, unrefusable: true };
    case "hold":
      return { kind: "open", ...money };
    case "cancel":
    case "cancelinit":
      return { kind: "close", reference: money.externalId, reason: `ArsenalPay ${fn}`, externalId: money.externalId, accountNumber: undefined };
    case "refund":
      // Keyed by the signed AMOUNT: the same signed refund re-sent (whatever its DATETIME) is a repeat; a genuinely
      // second refund of the same amount looks the same, is taken once, and is flagged for an operator.
      return { kind: "reverse", ...reversal, reversalKey: arsenalpayRefundKey(money.amountKopecks), amountKopecks: money.amountKopecks, reason: "refund" };
    case "reverse":
    case "reversal":
      // The whole payment, as AMOUNT says (the table refuses another amount, and a reverse after a refund).
      return { kind: "reverse", ...reversal, reversalKey: ARSENALPAY_REVERSE_KEY, amountKopecks: money.amountKopecks, reason: "reverse" };
  }
}

function refuse(error: ProtocolError): ParseResult {
  return { ok: false, error };
}
