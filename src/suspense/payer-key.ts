/**
 * Who paid, as each channel names the payer in the request payhub stored: the key that finds the same payer's other
 * payments. A path into the stored request JSON per channel, the first present one wins:
 * - YooMoney: `sender`, the payer's wallet number (absent for card-incoming transfers);
 * - WebMoney: `LMI_PAYER_PURSE`;
 * - QIWI bills: the customer's `phone`, else `email` (payhub's own bills name only the account, so often none);
 * - card: the stored request is payhub's order registration, and the acquirer's callback names no payer: none.
 * Other channels check the account before taking money and never put a payment in suspense.
 */
const PAYER_PATHS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  yoomoney: [["sender"]],
  webmoney: [["LMI_PAYER_PURSE"]],
  "qiwi-bill": [
    ["bill", "customer", "phone"],
    ["bill", "customer", "email"],
  ],
};

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
