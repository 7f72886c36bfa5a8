import type { ChannelProfile, InboundRequest, ParseResult, ProtocolError } from "../contract/index.ts";
import { ACCOUNT_NUMBER_FORMAT } from "../contract/index.ts";
import { parseRubles, percentOf } from "../../lib/money.ts";
import { BankAction, BankRequest } from "./schema.ts";
import { bankHashValid, isValidBankDate } from "./verify.ts";

export interface BankProfile extends ChannelProfile {
  /** Secrets of the optional `hash`; empty: not checked. */
  hashSecrets: readonly string[];
  /** The bank's clock, for REG_DATE. */
  utcOffsetMinutes: number;
}

const PAY_ID_FORMAT = /^[0-9]{1,20}$/;

/**
 * The bank protocol's errors carry their own codes, so the ProtocolError's field says which one: the reply table maps
 * ACTION → 2, ACCOUNT → 4, PAY_ID → 6, AMOUNT → 9, PAY_DATE → 12, anything else → 300.
 */
export function parseBank(request: InboundRequest, profile: BankProfile): ParseResult {
  const parsed = BankRequest.safeParse(request.params);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? "request");
    return refuse({ kind: "malformed", field, message: `parameter ${field} ${parsed.error.issues[0]?.message ?? "is invalid"}` });
  }
  const wire = parsed.data;
  // Verify first, over every parameter exactly as received.
  if (!bankHashValid(request.params as Record<string, string>, wire.hash, profile.hashSecrets)) {
    return refuse({ kind: "badSignature", field: "hash", message: wire.hash ? "hash does not match" : "hash is missing" });
  }
  const action = BankAction.safeParse(wire.ACTION.toLowerCase());
  if (!action.success) return refuse({ kind: "unknownCommand", field: "ACTION", message: "ACTION must be check or payment" });
  if (!ACCOUNT_NUMBER_FORMAT.test(wire.ACCOUNT)) return refuse({ kind: "badAccountFormat", field: "ACCOUNT", message: "ACCOUNT must be the digits of an account number" });

  if (action.data === "check") {
    return { ok: true, command: { kind: "check", externalId: undefined, accountNumber: wire.ACCOUNT, amountKopecks: undefined } };
  }
  if (wire.PAY_ID === undefined || !PAY_ID_FORMAT.test(wire.PAY_ID)) return refuse({ kind: "malformed", field: "PAY_ID", message: "PAY_ID must be 1 to 20 digits" });
  const amount = parseRubles(wire.AMOUNT);
  if (!amount.ok) return refuse({ kind: "malformed", field: "AMOUNT", message: amount.reason });
  if (wire.PAY_DATE === undefined || !isValidBankDate(wire.PAY_DATE)) {
    return refuse({ kind: "malformed", field: "PAY_DATE", message: "PAY_DATE must be dd.MM.yyyy_HH:mm:ss" });
  }
  return {
    ok: true,
    command: {
      kind: "pay",
      externalId: wire.PAY_ID,
      accountNumber: wire.ACCOUNT,
      amountKopecks: amount.kopecks,
      commissionKopecks: percentOf(amount.kopecks, profile.commissionBasisPoints),
      payerAmountKopecks: undefined,
      providerTime: wire.PAY_DATE,
      request: { ACTION: wire.ACTION, ACCOUNT: wire.ACCOUNT, AMOUNT: wire.AMOUNT, PAY_ID: wire.PAY_ID, PAY_DATE: wire.PAY_DATE },
    },
  };
}

function refuse(error: ProtocolError): ParseResult {
  return { ok: false, error };
}
