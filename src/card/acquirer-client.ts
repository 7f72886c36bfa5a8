import type { AxiosInstance } from "axios";
import { z } from "zod";
import { createProviderHttp, withProviderRetries, type Attempt } from "../http/provider-retry.ts";

/**
 * The card acquirer's REST API, the two calls payhub makes (PROTOCOLS.md §4; modeled on Sberbank internet acquiring,
 * whose REST requests are form-encoded POSTs answered with JSON):
 *
 *   POST {base}/register.do                userName, password, orderNumber (≤ 32), amount (kopecks), returnUrl, description
 *        → { orderId, formUrl }            or { errorCode ≠ 0, errorMessage }
 *   POST {base}/getOrderStatusExtended.do  userName, password, orderId
 *        → { errorCode "0", orderStatus, amount, orderNumber, paymentAmountInfo? }
 *
 * The credentials travel only in the form body: they are never logged, nor put in an error.
 */

export interface CardAcquirerClientOptions {
  /** `CARD_API_URL`, e.g. https://securepayments.sberbank.ru/payment/rest (the test gateway is 3dsec.sberbank.ru). */
  baseUrl: string;
  /** `CARD_API_USERNAME` and `CARD_API_PASSWORD`: the merchant's API login. */
  userName: string;
  password: string;
  timeoutMs?: number;
  /** Attempts in all, the first included. */
  attempts?: number;
  /** The wait before the first retry; doubled before each next one. */
  backoffMs?: number;
}

export interface NewCardOrder {
  orderNumber: string;
  amountKopecks: bigint;
  returnUrl: string;
  description: string;
}

export interface RegisteredCardOrder {
  /** The acquirer's order id: `mdOrder` in its callbacks. */
  orderId: string;
  /** The payment page the payer is sent to. */
  formUrl: string;
  attempts: number;
}

/** The acquirer's order states (getOrderStatusExtended.do `orderStatus`). */
export const CardOrderStatus = {
  registered: 0,
  approved: 1,
  deposited: 2,
  reversed: 3,
  refunded: 4,
  authorizing: 5,
  declined: 6,
} as const;

export interface CardOrderState {
  orderStatus: number;
  /** The order's amount in kopecks, when the acquirer says. */
  amountKopecks: bigint | undefined;
  /** What was refunded in all, in kopecks, when the acquirer says (paymentAmountInfo.refundedAmount). */
  refundedKopecks: bigint | undefined;
  attempts: number;
}

export interface CardAcquirerClient {
  registerOrder(order: NewCardOrder): Promise<RegisteredCardOrder>;
  getOrderStatus(orderId: string): Promise<CardOrderState>;
}

/**
 * What went wrong with an acquirer call, built only from the HTTP status and the acquirer's own error fields (never
 * from the request, which carries the password).
 * - `refused`: the acquirer answered with an errorCode ≠ 0 or a 4xx: repeating would not help.
 * - `unavailable`: no answer in time, no connection, or a 5xx on every attempt.
 * - `unreadableAnswer`: a 2xx without the fields the call needs.
 */
export class CardAcquirerError extends Error {
  constructor(
    public readonly kind: "refused" | "unavailable" | "unreadableAnswer",
    message: string,
    public readonly details: { httpStatus?: number; errorCode?: string; errorMessage?: string; attempts: number },
  ) {
    super(message);
    this.name = "CardAcquirerError";
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_ATTEMPTS = 3;
const DEFAULT_BACKOFF_MS = 300;
const MESSAGE_LIMIT = 300;

const errorCodeOf = (value: unknown): string | undefined => (typeof value === "string" || typeof value === "number" ? String(value) : undefined);
const kopecks = z.union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[0-9]{1,18}$/)]).transform((value) => BigInt(value));

const RegisterAnswer = z.object({ orderId: z.string().min(1).max(64), formUrl: z.string().url() });
const StatusAnswer = z.object({
  orderStatus: z.union([z.number().int(), z.string().regex(/^[0-9]{1,2}$/).transform(Number)]),
  amount: kopecks.optional(),
  paymentAmountInfo: z.object({ refundedAmount: kopecks.optional() }).partial().optional(),
});

export function createCardAcquirerClient(options: CardAcquirerClientOptions): CardAcquirerClient {
  const attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const http: AxiosInstance = createProviderHttp(options.baseUrl, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" });
  // The acquirer's text is shown to staff; should it ever echo a credential, it is cut out.
  const clean = (text: string) =>
    [options.password, options.userName].reduce((result, secret) => (secret ? result.split(secret).join("[redacted]") : result), text).slice(0, MESSAGE_LIMIT);

  /** One call with retries of timeouts, transport failures and 5xx; an errorCode ≠ 0 is a refusal. */
  async function call(method: string, fields: Record<string, string>, what: string): Promise<{ data: Record<string, unknown>; httpStatus: number; attempts: number }> {
    const body = new URLSearchParams({ userName: options.userName, password: options.password, ...fields }).toString();
    const { value, attempts: tried } = await withProviderRetries(
      { attempts, backoffMs, timeoutMs: http.defaults.timeout },
      async (attempt): Promise<Attempt<{ data: Record<string, unknown>; httpStatus: number }>> => {
        const response = await http.post(`/${method}`, body, { responseType: "json" });
        const data = (response.data && typeof response.data === "object" ? response.data : {}) as Record<string, unknown>;
        const errorCode = errorCodeOf(data.errorCode);
        const errorMessage = typeof data.errorMessage === "string" ? clean(data.errorMessage) : undefined;
        const said = [errorCode, errorMessage].filter((part) => part !== undefined && part !== "").join(": ");
        if (response.status >= 500) return { ok: false, problem: { httpStatus: response.status, what: `HTTP ${response.status}${said ? ` ${said}` : ""}` } };
        if (response.status >= 300 || (errorCode !== undefined && errorCode !== "0")) {
          throw new CardAcquirerError("refused", `the acquirer refused ${what}: HTTP ${response.status}${said ? ` errorCode ${said}` : ""}`, {
            httpStatus: response.status,
            errorCode,
            errorMessage,
            attempts: attempt,
          });
        }
        return { ok: true, value: { data, httpStatus: response.status } };
      },
      (last, attemptsMade) =>
        new CardAcquirerError("unavailable", `the acquirer is unavailable: ${what} failed after ${attemptsMade} attempts, last: ${last.what}`, {
          httpStatus: last.httpStatus,
          attempts: attemptsMade,
        }),
    );
    return { ...value, attempts: tried };
  }

  return {
    async registerOrder(order) {
      const what = `order ${order.orderNumber}`;
      const answer = await call(
        "register.do",
        { orderNumber: order.orderNumber, amount: order.amountKopecks.toString(), returnUrl: order.returnUrl, description: order.description },
        `registering ${what}`,
      );
      const parsed = RegisterAnswer.safeParse(answer.data);
      if (!parsed.success) {
        throw new CardAcquirerError("unreadableAnswer", `the acquirer accepted ${what} but its answer has no valid ${parsed.error.issues[0]?.path.join(".") || "body"}`, {
          httpStatus: answer.httpStatus,
          attempts: answer.attempts,
        });
      }
      return { orderId: parsed.data.orderId, formUrl: parsed.data.formUrl, attempts: answer.attempts };
    },
    async getOrderStatus(orderId) {
      const answer = await call("getOrderStatusExtended.do", { orderId }, `the status of order ${orderId}`);
      const parsed = StatusAnswer.safeParse(answer.data);
      if (!parsed.success) {
        throw new CardAcquirerError("unreadableAnswer", `the acquirer's status of order ${orderId} has no valid ${parsed.error.issues[0]?.path.join(".") || "body"}`, {
          httpStatus: answer.httpStatus,
          attempts: answer.attempts,
        });
      }
      return {
        orderStatus: parsed.data.orderStatus,
        amountKopecks: parsed.data.amount,
        refundedKopecks: parsed.data.paymentAmountInfo?.refundedAmount,
        attempts: answer.attempts,
      };
    },
  };
}
