import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from "axios";
import { z } from "zod";
import { parseRubles } from "../../lib/money.ts";
import { createProviderHttp, withProviderRetries, type Attempt } from "../http/provider-retry.ts";

/**
 * ArsenalPay's REST API for autopayments (PROTOCOLS.md §3), the calls payhub makes:
 *
 *   POST {base}/api/oauth2/token            grant_type=client_credentials (form), client id and secret as HTTP Basic
 *   GET  {base}/api/v1/subscriptions?userId=…  Authorization: Bearer <access_token>
 *   DELETE {base}/api/v1/subscriptions/{id}    Authorization: Bearer <access_token>
 *
 * The client authenticates the way RFC 6749 §2.3.1 recommends: `Authorization: Basic base64(urlencode(id) ":"
 * urlencode(secret))`. The access token is kept until shortly before its `expires_in`; a 401 from the API refreshes it
 * once and repeats the call. Timeouts, lost connections and 5xx are retried with backoff (listing and deleting are
 * idempotent); a 4xx is ArsenalPay's answer and is not.
 */

export interface ArsenalpayApiClientOptions {
  /** `ARSENALPAY_API_URL`: https://arsenalpay.ru in production. */
  baseUrl: string;
  clientId: string;
  /** `ARSENALPAY_CLIENT_SECRET`: sent only in the token request's Authorization header, never logged nor put in an error. */
  clientSecret: string;
  timeoutMs?: number;
  /** Attempts in all per request, the first included. */
  attempts?: number;
  /** The wait before the first retry; doubled before each next one. */
  backoffMs?: number;
  /** How long before `expires_in` runs out a cached token is replaced. */
  tokenMarginMs?: number;
  /** Only for tests. */
  now?: () => number;
}

/** One subscription as ArsenalPay lists it; amountKopecks is undefined when its answer carries no readable amount. */
export interface ArsenalpaySubscription {
  id: string;
  amountKopecks: bigint | undefined;
  status: string | undefined;
}

export interface ArsenalpayApiClient {
  /** The payer's subscriptions that are still running (ones ArsenalPay marks cancelled or expired are left out). */
  listSubscriptions(userId: string): Promise<ArsenalpaySubscription[]>;
  /** Cancels one; a 404 means ArsenalPay has no such subscription any more, which is what cancelling wants. */
  cancelSubscription(id: string): Promise<void>;
}

/**
 * What went wrong, built only from HTTP statuses and ArsenalPay's own error fields (with the secret and the token cut
 * out): the request, and so the Authorization header, is never part of it.
 */
export class ArsenalpayApiError extends Error {
  constructor(
    public readonly kind: "refused" | "unavailable" | "unreadableAnswer",
    message: string,
    public readonly details: { httpStatus?: number; attempts: number },
  ) {
    super(message);
    this.name = "ArsenalpayApiError";
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_ATTEMPTS = 3;
const DEFAULT_BACKOFF_MS = 300;
const DEFAULT_TOKEN_MARGIN_MS = 30_000;
/** RFC 6749 makes expires_in only RECOMMENDED; without it a token is kept this long. */
const DEFAULT_TOKEN_LIFETIME_S = 300;
const DESCRIPTION_LIMIT = 300;
const ENDED_STATES = new Set(["cancelled", "canceled", "inactive", "expired", "closed", "deleted"]);

const TokenAnswer = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
});

const SubscriptionItem = z.object({
  id: z.union([z.string().min(1), z.number().int()]).transform(String),
  amount: z.union([z.string(), z.number()]).optional(),
  status: z.string().optional(),
});
/** The list as a bare array or wrapped in `subscriptions` or `data`: ArsenalPay's exact envelope is not public. */
const SubscriptionsAnswer = z.union([
  z.array(SubscriptionItem),
  z.object({ subscriptions: z.array(SubscriptionItem) }).transform((answer) => answer.subscriptions),
  z.object({ data: z.array(SubscriptionItem) }).transform((answer) => answer.data),
]);

const ErrorAnswer = z.object({
  error: z.string().optional(),
  error_description: z.string().optional(),
  message: z.string().optional(),
});

/** RFC 6749 §2.3.1: each part form-urlencoded (Appendix B), then joined with ":" and base64-encoded. */
export function clientCredentialsBasic(clientId: string, clientSecret: string): string {
  const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, "utf8").toString("base64")}`;
}

function amountOf(amount: string | number | undefined): bigint | undefined {
  if (amount === undefined) return undefined;
  const text = typeof amount === "number" ? amount.toFixed(2) : amount;
  const parsed = parseRubles(text);
  return parsed.ok ? parsed.kopecks : undefined;
}

export function createArsenalpayApiClient(options: ArsenalpayApiClientOptions): ArsenalpayApiClient {
  const attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const marginMs = options.tokenMarginMs ?? DEFAULT_TOKEN_MARGIN_MS;
  const now = options.now ?? Date.now;
  const http: AxiosInstance = createProviderHttp(options.baseUrl, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, { Accept: "application/json" });

  let token: { value: string; expiresAt: number } | undefined;
  let tokenRequest: Promise<string> | undefined;

  const withoutSecrets = (text: string) => {
    let clean = text;
    for (const secret of [options.clientSecret, token?.value]) if (secret) clean = clean.split(secret).join("[redacted]");
    return clean.slice(0, DESCRIPTION_LIMIT);
  };
  const saidIn = (response: AxiosResponse) => {
    const fields = ErrorAnswer.safeParse(response.data);
    if (!fields.success) return "";
    const said = [fields.data.error, fields.data.error_description ?? fields.data.message].filter((part) => part !== undefined && part !== "").join(": ");
    return said ? ` ${withoutSecrets(said)}` : "";
  };

  /** One request with retries of timeouts, lost connections and 5xx; any answer below 500 is returned as it is. */
  async function send(what: string, request: AxiosRequestConfig): Promise<{ response: AxiosResponse; attempts: number }> {
    const { value, attempts: tried } = await withProviderRetries(
      { attempts, backoffMs, timeoutMs: http.defaults.timeout },
      async (): Promise<Attempt<AxiosResponse>> => {
        const response = await http.request(request);
        if (response.status < 500) return { ok: true, value: response };
        return { ok: false, problem: { httpStatus: response.status, what: `HTTP ${response.status}${saidIn(response)}` } };
      },
      (last, attemptsMade) =>
        new ArsenalpayApiError("unavailable", `ArsenalPay is unavailable: ${what} failed after ${attemptsMade} attempts, last: ${last.what}`, {
          httpStatus: last.httpStatus,
          attempts: attemptsMade,
        }),
    );
    return { response: value, attempts: tried };
  }

  async function fetchToken(): Promise<string> {
    const { response, attempts: tried } = await send("the access token", {
      method: "POST",
      url: "/api/oauth2/token",
      data: new URLSearchParams({ grant_type: "client_credentials" }).toString(),
      headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: clientCredentialsBasic(options.clientId, options.clientSecret) },
    });
    if (response.status < 200 || response.status >= 300) {
      throw new ArsenalpayApiError("refused", `ArsenalPay refused the access token: HTTP ${response.status}${saidIn(response)}`, { httpStatus: response.status, attempts: tried });
    }
    const answer = TokenAnswer.safeParse(response.data);
    if (!answer.success) {
      throw new ArsenalpayApiError("unreadableAnswer", `ArsenalPay's token answer (HTTP ${response.status}) has no valid access_token`, { httpStatus: response.status, attempts: tried });
    }
    const lifetimeMs = (answer.data.expires_in ?? DEFAULT_TOKEN_LIFETIME_S) * 1000;
    token = { value: answer.data.access_token, expiresAt: now() + Math.max(0, lifetimeMs - Math.min(marginMs, lifetimeMs / 2)) };
    return token.value;
  }

  /** The cached token while it is fresh; concurrent callers share one token request. */
  function accessToken(): Promise<string> {
    if (token && now() < token.expiresAt) return Promise.resolve(token.value);
    tokenRequest ??= fetchToken().finally(() => {
      tokenRequest = undefined;
    });
    return tokenRequest;
  }

  /** An API call with the bearer token; a 401 drops the token, fetches a new one and repeats the call once. */
  async function call(what: string, request: AxiosRequestConfig): Promise<{ response: AxiosResponse; attempts: number }> {
    let sentWith = await accessToken();
    let result = await send(what, { ...request, headers: { Authorization: `Bearer ${sentWith}` } });
    if (result.response.status === 401) {
      if (token?.value === sentWith) token = undefined;
      sentWith = await accessToken();
      result = await send(what, { ...request, headers: { Authorization: `Bearer ${sentWith}` } });
    }
    return result;
  }

  return {
    async listSubscriptions(userId) {
      const what = `listing the subscriptions of ${userId}`;
      const { response, attempts: tried } = await call(what, { method: "GET", url: "/api/v1/subscriptions", params: { userId } });
      if (response.status < 200 || response.status >= 300) {
        throw new ArsenalpayApiError("refused", `ArsenalPay refused ${what}: HTTP ${response.status}${saidIn(response)}`, { httpStatus: response.status, attempts: tried });
      }
      const answer = SubscriptionsAnswer.safeParse(response.data);
      if (!answer.success) {
        throw new ArsenalpayApiError("unreadableAnswer", `ArsenalPay's answer to ${what} (HTTP ${response.status}) is not a list of subscriptions`, { httpStatus: response.status, attempts: tried });
      }
      return answer.data
        .filter((item) => item.status === undefined || !ENDED_STATES.has(item.status.toLowerCase()))
        .map((item) => ({ id: item.id, amountKopecks: amountOf(item.amount), status: item.status }));
    },

    async cancelSubscription(id) {
      const what = `cancelling subscription ${id}`;
      const { response, attempts: tried } = await call(what, { method: "DELETE", url: `/api/v1/subscriptions/${encodeURIComponent(id)}` });
      if ((response.status >= 200 && response.status < 300) || response.status === 404) return;
      throw new ArsenalpayApiError("refused", `ArsenalPay refused ${what}: HTTP ${response.status}${saidIn(response)}`, { httpStatus: response.status, attempts: tried });
    },
  };
}
