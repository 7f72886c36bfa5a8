import { createHmac, randomBytes } from "node:crypto";
import { formatRubles } from "../../lib/money.ts";

/**
 * The one-off top-up link ("Пополнить разово", PROTOCOLS.md §3): the hub sends the payer to ArsenalPay's widget
 * with the account, the amount and a signature that stops anyone from changing them on the way.
 * widgetSign = hex(HMAC-SHA256(key = widgetKey, "userId;destination;amount;widgetId;nonce")).
 */

export const ARSENALPAY_WIDGET_URL = "https://arsenalpay.ru/widget.html";

export interface ArsenalpayWidgetLinkInput {
  /** The widget id ArsenalPay assigned to the merchant. */
  widgetId: string;
  /** The widget key: the HMAC secret. */
  widgetKey: string;
  /** The subscriber's account number: ArsenalPay sends it back as ACCOUNT. */
  destination: string;
  /** Who pays in ArsenalPay's eyes: the personal-account user id (autopayments are listed by it). */
  userId: string;
  amountKopecks: bigint;
  /** Only for tests: a fixed nonce. Left out, a fresh random one is drawn for every link. */
  nonce?: string;
}

export interface ArsenalpayWidgetLink {
  url: string;
  /** Rubles as signed and sent, "500.00". */
  amount: string;
  nonce: string;
  widgetSign: string;
}

export function arsenalpayWidgetSign(widgetKey: string, fields: { userId: string; destination: string; amount: string; widgetId: string; nonce: string }): string {
  const signed = [fields.userId, fields.destination, fields.amount, fields.widgetId, fields.nonce].join(";");
  return createHmac("sha256", widgetKey).update(signed, "utf8").digest("hex");
}

/**
 * Builds the link. Throws on input the hub should never produce (an empty value, a ";" that would make the signed
 * string ambiguous, a non-positive amount, an empty key): those are bugs, not payer mistakes.
 */
export function buildArsenalpayWidgetLink(input: ArsenalpayWidgetLinkInput): ArsenalpayWidgetLink {
  if (input.widgetKey === "") throw new Error("arsenalpay widget: widgetKey is empty");
  for (const name of ["widgetId", "destination", "userId"] as const) {
    const value = input[name];
    if (value === "" || value.includes(";")) throw new Error(`arsenalpay widget: ${name} must be non-empty and without ";"`);
  }
  if (input.amountKopecks <= 0n) throw new Error("arsenalpay widget: amountKopecks must be positive");
  // 128 random bits in hex: never repeats, and URL-safe as it is.
  const nonce = input.nonce ?? randomBytes(16).toString("hex");
  if (nonce === "" || nonce.includes(";")) throw new Error('arsenalpay widget: nonce must be non-empty and without ";"');
  const amount = formatRubles(input.amountKopecks);
  const widgetSign = arsenalpayWidgetSign(input.widgetKey, { userId: input.userId, destination: input.destination, amount, widgetId: input.widgetId, nonce });
  const query = new URLSearchParams([
    ["destination", input.destination],
    ["userId", input.userId],
    ["amount", amount],
    ["widget", input.widgetId],
    ["nonce", nonce],
    ["widgetSign", widgetSign],
  ]);
  return { url: `${ARSENALPAY_WIDGET_URL}?${query.toString()}`, amount, nonce, widgetSign };
}
