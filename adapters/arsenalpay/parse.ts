import type { ChannelProfile, Command, InboundRequest, ParseResult, ProtocolError } from "../contract/index.ts";
import { ACCOUNT_NUMBER_FORMAT } from "../contract/index.ts";
import { arsenalpayAmounts } from "./amounts.ts";
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
 * hold, `refund` gives part of a credited payment back (each refund its own key: several partial refunds share an
 * RRN), `reverse`/`reversal` give back all that is left.
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
  return { ok: true, command: commandOf(callback.FUNCTION, money, callback.DATETIME, callback.AMOUNT) };
}

function commandOf(fn: ArsenalpayCallback["FUNCTION"], money: Omit<Extract<Command, { kind: "pay" }>, "kind">, datetime: string, amount: string): Command {
  switch (fn) {
    case "check":
      return { kind: "check", externalId: money.externalId, accountNumber: money.accountNumber, amountKopecks: money.amountKopecks };
    case "payment":
      return { kind: "pay", ...money };
    case "hold":
      return { kind: "open", ...money };
    case "cancel":
    case "cancelinit":
      return { kind: "close", reference: money.externalId, reason: `ArsenalPay ${fn}`, externalId: money.externalId, accountNumber: undefined };
    case "refund":
      // A repeated refund callback carries the same DATETIME and AMOUNT; a second partial refund does not.
      return { kind: "reverse", reference: money.externalId, reversalKey: `refund ${datetime} ${amount}`, amountKopecks: money.amountKopecks, reason: "refund", externalId: money.externalId, accountNumber: undefined };
    case "reverse":
    case "reversal":
      return { kind: "reverse", reference: money.externalId, reversalKey: "reverse", amountKopecks: undefined, reason: "reverse", externalId: money.externalId, accountNumber: undefined };
  }
}

function refuse(error: ProtocolError): ParseResult {
  return { ok: false, error };
}
