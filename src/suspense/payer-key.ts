import { CHANNELS } from "../channels/index.ts";

/**
 * Who paid, as each channel names the payer in the request payhub stored: the key that finds the same payer's other
 * payments. A path into the stored request JSON per channel, the first present one wins, as each channel's catalogue
 * entry declares it (`payerKeys`, src/channels): YooMoney's `sender`, WebMoney's `LMI_PAYER_PURSE`, a QIWI bill's
 * customer phone or email. A channel that declares none (card: the acquirer's callback names no payer; channels that
 * check the account before taking money never put a payment in suspense) has no key.
 */
const PAYER_PATHS: Readonly<Record<string, readonly (readonly string[])[]>> = Object.assign({}, ...CHANNELS.map((channel) => channel.payerKeys ?? {}));

export interface PayerKey {
  /** The path into the stored request, for `request #>> path`. */
  path: readonly string[];
  value: string;
}

export function payerKeyOf(channel: string, request: unknown): PayerKey | undefined {
  for (const path of PAYER_PATHS[channel] ?? []) {
    let value: unknown = request;
    for (const name of path) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[name] : undefined;
    if (typeof value === "string" && value.trim() !== "") return { path, value };
  }
  return undefined;
}
