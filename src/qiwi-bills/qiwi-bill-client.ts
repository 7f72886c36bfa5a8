import type { AxiosInstance } from "axios";
import { z } from "zod";
import { formatRubles } from "../../lib/money.ts";
import { createProviderHttp, withProviderRetries, type Attempt } from "../http/provider-retry.ts";

/**
 * QIWI's bill payments API, the one call payhub makes: issue a bill (PROTOCOLS.md §8; QIWI's "Invoice Issue by API").
 *
 *   PUT {base}/partner/bill/v1/bills/{billId}
 *   Authorization: Bearer <secret key>, Content-Type and Accept: application/json
 *   { amount: { currency, value }, expirationDateTime, customer: { account }, comment, customFields? }
 *
 * QIWI answers the bill (`billId`, `status.value` WAITING, `payUrl` of its payment form) or an error body with
 * `errorCode` and `description`. The subscriber pays on the form; the money arrives later as the signed PAID
 * notification (webhooks/qiwi-bill), which alone credits the account.
 */

export const QIWI_BILL_CURRENCY = "RUB";

export interface QiwiBillClientOptions {
  /** `QIWI_BILL_API_URL`: https://api.qiwi.com in production. */
  baseUrl: string;
  /** `QIWI_BILL_SECRET_KEY`: sent only in the Authorization header, never logged nor put in an error. */
  secretKey: string;
  /** How long one attempt may wait for QIWI without hearing anything. */
  timeoutMs?: number;
  /** Attempts in all, the first included. */
  attempts?: number;
  /** The wait before the first retry; doubled before each next one. */
  backoffMs?: number;
}

export interface NewQiwiBill {
  /** payhub's id of the bill: QIWI's key for it, and the idempotency key of the PAID notification. */
  billId: string;
  amountKopecks: bigint;
  expiresAt: Date;
  /** The subscriber account: QIWI returns it in the notification's `bill.customer.account`, which is what gets credited. */
  account: string;
  /** What the payer sees on QIWI's form (QIWI takes up to 255 characters). */
  comment: string;
  customFields?: Record<string, string>;
}

export interface IssuedBillAnswer {
  billId: string;
  payUrl: string;
  /** WAITING for a new bill. */
  status: string;
  /** Attempts it took, for the log. */
  attempts: number;
}

export interface QiwiBillClient {
  createBill(bill: NewQiwiBill): Promise<IssuedBillAnswer>;
}

/**
 * What went wrong with a QIWI call, in words an operator can act on. Built only from the HTTP status and QIWI's own
 * error fields: the request (and so the Authorization header) is never part of it.
 * - `refused`: QIWI answered and said no (4xx, e.g. a wrong secret key or a bad field); repeating would not help.
 * - `unavailable`: no answer in time, no connection, or a 5xx on every attempt.
 * - `unreadableAnswer`: QIWI said yes but the answer lacks the bill's payUrl.
 */
export class QiwiBillApiError extends Error {
  constructor(
    public readonly kind: "refused" | "unavailable" | "unreadableAnswer",
    message: string,
    public readonly details: { httpStatus?: number; errorCode?: string; description?: string; traceId?: string; attempts: number },
  ) {
    super(message);
    this.name = "QiwiBillApiError";
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_ATTEMPTS = 3;
const DEFAULT_BACKOFF_MS = 300;
/** Enough of QIWI's description to act on; a misbehaving server's page of HTML would not help. */
const DESCRIPTION_LIMIT = 300;

const BillAnswer = z.object({
  billId: z.string().min(1),
  payUrl: z.string().url(),
  status: z.object({ value: z.string() }),
});

const ErrorAnswer = z.object({
  errorCode: z.string().optional(),
  description: z.string().optional(),
  traceId: z.string().optional(),
});

/** `YYYY-MM-DDThh:mm:ss+00:00`: QIWI wants the time with its offset; UTC leaves no doubt which zone is meant. */
export function qiwiDateTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

export function createQiwiBillClient(options: QiwiBillClientOptions): QiwiBillClient {
  const attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const http: AxiosInstance = createProviderHttp(options.baseUrl, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, {
      Authorization: `Bearer ${options.secretKey}`,
      "Content-Type": "application/json",
      Accept: "application/json",
    });
  // QIWI's text is shown to staff; should it ever echo the key, it is cut out.
  const withoutSecret = (text: string) => (options.secretKey ? text.split(options.secretKey).join("[redacted]") : text).slice(0, DESCRIPTION_LIMIT);

  return {
    async createBill(bill) {
      const path = `/partner/bill/v1/bills/${encodeURIComponent(bill.billId)}`;
      // Built once: a retry repeats exactly the same bill (same expiry too), which is what makes it safe.
      const body = {
        amount: { currency: QIWI_BILL_CURRENCY, value: formatRubles(bill.amountKopecks) },
        expirationDateTime: qiwiDateTime(bill.expiresAt),
        customer: { account: bill.account },
        comment: bill.comment,
        ...(bill.customFields ? { customFields: bill.customFields } : {}),
      };

      // Safe to repeat: QIWI keys the bill by its billId, so a PUT that did reach it cannot become a second bill.
      const { value } = await withProviderRetries(
        { attempts, backoffMs, timeoutMs: http.defaults.timeout },
        async (attempt): Promise<Attempt<IssuedBillAnswer>> => {
          const response = await http.put(path, body);
          if (response.status >= 200 && response.status < 300) {
            const answer = BillAnswer.safeParse(response.data);
            if (!answer.success) {
              const field = answer.error.issues[0]?.path.join(".") || "body";
              throw new QiwiBillApiError("unreadableAnswer", `QIWI accepted bill ${bill.billId} (HTTP ${response.status}) but its answer has no valid ${field}`, {
                httpStatus: response.status,
                attempts: attempt,
              });
            }
            return { ok: true, value: { billId: answer.data.billId, payUrl: answer.data.payUrl, status: answer.data.status.value, attempts: attempt } };
          }
          const error = ErrorAnswer.safeParse(response.data);
          const fields = error.success ? error.data : {};
          const description = fields.description === undefined ? undefined : withoutSecret(fields.description);
          const said = [fields.errorCode, description].filter((part) => part !== undefined && part !== "").join(": ");
          if (response.status < 500) {
            // A 4xx (or an unexpected 3xx) is QIWI's considered answer about this request: the same request gets it again.
            throw new QiwiBillApiError("refused", `QIWI refused bill ${bill.billId}: HTTP ${response.status}${said ? ` ${said}` : ""}`, {
              httpStatus: response.status,
              errorCode: fields.errorCode,
              description,
              traceId: fields.traceId,
              attempts: attempt,
            });
          }
          return { ok: false, problem: { httpStatus: response.status, what: `HTTP ${response.status}${said ? ` ${said}` : ""}` } };
        },
        (last, tried) =>
          new QiwiBillApiError("unavailable", `QIWI is unavailable: bill ${bill.billId} not issued after ${tried} attempts, last: ${last.what}`, {
            httpStatus: last.httpStatus,
            attempts: tried,
          }),
      );
      return value;
    },
  };
}
