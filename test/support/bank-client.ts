import { bankHash } from "../../adapters/bank-xml/verify.ts";

/** Sends bank check/payment requests as Sberbank Online does (GET) and reads the XML answer's elements. */
export interface BankAnswer {
  status: number;
  contentType: string;
  body: string;
  elements: Record<string, string>;
}

export async function bank(baseUrl: string, profile: string, params: Record<string, string>, secret?: string): Promise<BankAnswer> {
  const signed = secret === undefined ? params : { ...params, hash: bankHash(params, secret) };
  const response = await fetch(`${baseUrl}/webhooks/bank/${profile}?${new URLSearchParams(signed)}`);
  const body = await response.text();
  const elements = Object.fromEntries([...body.matchAll(/<([A-Z_]+)>([^<]*)<\/\1>/g)].map((match) => [match[1]!, match[2]!]));
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", body, elements };
}

export function bankPayment(payId: string | number, account: string, amount: string, payDate = "24.11.2026_12:31:00"): Record<string, string> {
  return { ACTION: "payment", ACCOUNT: account, AMOUNT: amount, PAY_ID: String(payId), PAY_DATE: payDate };
}
