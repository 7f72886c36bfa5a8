import { formatRubles } from "../../lib/money.ts";
import type { Config } from "../config.ts";
import { prismaTransactionClient, type Db } from "../db.ts";
import { recordIssuedPayment } from "../payments/issued-payments.ts";

/**
 * A WebMoney invoice: payhub numbers the payment (LMI_PAYMENT_NO, its own record's id) and records its account and
 * amount before the payer sees WebMoney's page. The pre-request can then only confirm that invoice, and the signed
 * notification (LMI_PAYMENT_NO is in LMI_HASH) is credited to the account payhub recorded, never to the form's
 * unsigned ACCOUNT field. Issuing moves no money.
 */

/** WebMoney's payment page; the form is POSTed there by the payer's browser, UTF-8. */
export const WEBMONEY_PAYMENT_PAGE = "https://merchant.webmoney.ru/lmi/payment_utf.asp";
export const WEBMONEY_CHANNEL = "webmoney";

export interface WebmoneyInvoice {
  paymentNo: string;
  account: string;
  amountKopecks: bigint;
  purse: string;
  /** The payment form the site renders and the payer's browser submits. */
  form: { action: string; method: "POST"; acceptCharset: "utf-8"; fields: Record<string, string> };
}

export type IssueInvoiceResult =
  | { ok: true; invoice: WebmoneyInvoice }
  | { ok: false; refusal: "notConfigured" }
  | { ok: false; refusal: "accountNotFound" }
  | { ok: false; refusal: "accountInactive"; status: string }
  | { ok: false; refusal: "amountOutsideLimits"; minKopecks: bigint; maxKopecks: bigint };

export async function issueWebmoneyInvoice(db: Db, settings: Config["webmoney"], input: { account: string; amountKopecks: bigint }): Promise<IssueInvoiceResult> {
  const purse = settings.purses[0];
  if (purse === undefined || settings.secrets.length === 0) return { ok: false, refusal: "notConfigured" };
  const account = await db.subscriberAccount.findUnique({ where: { number: input.account }, select: { status: true } });
  if (!account) return { ok: false, refusal: "accountNotFound" };
  // The notification of a payment to a blocked or closed account would go to suspense: no invoice for one.
  if (account.status !== "active") return { ok: false, refusal: "accountInactive", status: account.status };
  if (input.amountKopecks < settings.minKopecks || input.amountKopecks > settings.maxKopecks) {
    return { ok: false, refusal: "amountOutsideLimits", minKopecks: settings.minKopecks, maxKopecks: settings.maxKopecks };
  }
  const issued = await db.$transaction((tx) => recordIssuedPayment(prismaTransactionClient(tx), { channel: WEBMONEY_CHANNEL, accountNumber: input.account, amountKopecks: input.amountKopecks }));
  const amount = formatRubles(input.amountKopecks);
  const description = `Пополнение лицевого счёта ${input.account}`;
  return {
    ok: true,
    invoice: {
      paymentNo: issued.reference,
      account: input.account,
      amountKopecks: input.amountKopecks,
      purse,
      form: {
        action: WEBMONEY_PAYMENT_PAGE,
        method: "POST",
        acceptCharset: "utf-8",
        fields: {
          LMI_PAYEE_PURSE: purse,
          LMI_PAYMENT_AMOUNT: amount,
          LMI_PAYMENT_NO: issued.reference,
          LMI_PAYMENT_DESC_BASE64: Buffer.from(description, "utf8").toString("base64"),
          ACCOUNT: input.account,
        },
      },
    },
  };
}
