import type { ChannelProfile, InboundRequest, ParseResult } from "../contract/index.ts";
import { ACCOUNT_NUMBER_FORMAT } from "../contract/index.ts";
import { parseRubles, percentOf } from "../../lib/money.ts";
import { OsmpCommandName, OsmpRequest } from "./schema.ts";
import { isValidTxnDate } from "./verify.ts";


/** Turns an OSMP check or pay request into a Command, or says which parameter is wrong. */
export function parseOsmp(request: InboundRequest, profile: ChannelProfile): ParseResult {
  const command = OsmpCommandName.safeParse(request.params.command);
  if (!command.success) {
    return request.params.command === undefined
      ? malformed("command", "parameter command is missing")
      : { ok: false, error: { kind: "unknownCommand", field: "command", message: "command must be check or pay" } };
  }
  const parsed = OsmpRequest.safeParse(request.params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? "request");
    return malformed(field, `parameter ${field} ${issue?.message ?? "is invalid"}`);
  }
  const wire = parsed.data;
  if (!ACCOUNT_NUMBER_FORMAT.test(wire.account)) {
    return { ok: false, error: { kind: "badAccountFormat", field: "account", message: "account must be the digits of an account number" } };
  }

  if (command.data === "check") {
    let amountKopecks: bigint | undefined;
    if (wire.sum !== undefined && wire.sum !== "") {
      const amount = parseRubles(wire.sum);
      if (!amount.ok) return malformed("sum", amount.reason);
      amountKopecks = amount.kopecks;
    }
    return { ok: true, command: { kind: "check", externalId: wire.txn_id, accountNumber: wire.account, amountKopecks } };
  }

  if (wire.sum === undefined) return malformed("sum", "parameter sum is missing");
  const amount = parseRubles(wire.sum);
  if (!amount.ok) return malformed("sum", amount.reason);
  if (wire.txn_date === undefined) return malformed("txn_date", "parameter txn_date is missing");
  if (!isValidTxnDate(wire.txn_date)) return malformed("txn_date", "txn_date must be YYYYMMDDHHMMSS");
  return {
    ok: true,
    command: {
      kind: "pay",
      externalId: wire.txn_id,
      accountNumber: wire.account,
      amountKopecks: amount.kopecks,
      commissionKopecks: percentOf(amount.kopecks, profile.commissionBasisPoints),
      payerAmountKopecks: undefined,
      providerTime: wire.txn_date,
      request: { command: wire.command, txn_id: wire.txn_id, account: wire.account, sum: wire.sum, txn_date: wire.txn_date },
    },
  };
}

function malformed(field: string, message: string): ParseResult {
  return { ok: false, error: { kind: "malformed", field, message } };
}
