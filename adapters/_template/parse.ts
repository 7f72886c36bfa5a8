import type { ChannelProfile, InboundRequest, ParseResult } from "../contract/index.ts";
import { parseRubles, percentOf } from "../../lib/money.ts";
import { TemplateRequest } from "./schema.ts";
import { signatureValid } from "./verify.ts";

export interface TemplateProfile extends ChannelProfile {
  secrets: readonly string[];
}

export function parseTemplate(request: InboundRequest, profile: TemplateProfile): ParseResult {
  const parsed = TemplateRequest.safeParse(request.params);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? "request");
    return { ok: false, error: { kind: "malformed", field, message: `parameter ${field} is missing or invalid` } };
  }
  const wire = parsed.data;
  // Verify before anything else is believed, on the raw values.
  if (!signatureValid(wire, profile.secrets)) return { ok: false, error: { kind: "badSignature", field: "sign", message: "signature does not match" } };
  if (wire.action === "check") {
    return { ok: true, command: { kind: "check", externalId: wire.id, accountNumber: wire.account, amountKopecks: undefined } };
  }
  const amount = parseRubles(wire.amount);
  if (!amount.ok) return { ok: false, error: { kind: "malformed", field: "amount", message: amount.reason } };
  return {
    ok: true,
    command: {
      kind: "pay",
      externalId: wire.id,
      accountNumber: wire.account,
      amountKopecks: amount.kopecks,
      commissionKopecks: percentOf(amount.kopecks, profile.commissionBasisPoints),
      payerAmountKopecks: undefined,
      providerTime: undefined,
      // Everything but the signature: stored with the payment.
      request: { action: wire.action, id: wire.id, account: wire.account, amount: wire.amount },
    },
  };
}
