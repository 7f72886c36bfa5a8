import axios, { type AxiosInstance } from "axios";

/** Why an attempt at a provider's API is worth repeating: a 5xx answer or no answer at all. */
export interface TransientProblem {
  httpStatus?: number;
  /** Said in the final error: "HTTP 503 …", "no answer within 10000 ms". */
  what: string;
}

/** What one attempt came to: a result, or a transient problem to retry. Refusals are thrown by the attempt itself. */
export type Attempt<T> = { ok: true; value: T } | { ok: false; problem: TransientProblem };

/**
 * The transport failure behind an axios error (no HTTP answer at all), described by its code only: the axios error
 * carries the request, whose headers or body may hold credentials. Undefined for anything else, which the caller
 * re-throws as the bug or refusal it is.
 */
export function transportFailure(error: unknown, timeoutMs: number | undefined): TransientProblem | undefined {
  if (!axios.isAxiosError(error) || error.response !== undefined) return undefined;
  const code = error.code ?? "network error";
  return { what: code === "ETIMEDOUT" || code === "ECONNABORTED" ? `no answer within ${timeoutMs} ms` : `no answer (${code})` };
}

/**
 * Runs `attempt` until it succeeds, throws (a refusal), or has failed transiently `attempts` times, waiting
 * backoffMs, 2×, 4× … between tries; then `giveUp` makes the error to throw. Only calls that are safe to repeat
 * (idempotent at the provider) may use it.
 */
export async function withProviderRetries<T>(
  options: { attempts: number; backoffMs: number; timeoutMs: number | undefined },
  attempt: (number: number) => Promise<Attempt<T>>,
  giveUp: (last: TransientProblem, attempts: number) => Error,
): Promise<{ value: T; attempts: number }> {
  for (let number = 1; ; number++) {
    let problem: TransientProblem;
    try {
      const result = await attempt(number);
      if (result.ok) return { value: result.value, attempts: number };
      problem = result.problem;
    } catch (error) {
      const failure = transportFailure(error, options.timeoutMs);
      if (!failure) throw error;
      problem = failure;
    }
    if (number >= options.attempts) throw giveUp(problem, number);
    await new Promise((resolve) => setTimeout(resolve, options.backoffMs * 2 ** (number - 1)));
  }
}

/**
 * The axios instance of a provider's API: every HTTP status is an answer to read (only a failed transport throws),
 * and redirects are not followed, since a redirect would carry credentials or tokens wherever it points.
 */
export function createProviderHttp(baseUrl: string, timeoutMs: number, headers: Record<string, string>): AxiosInstance {
  return axios.create({
    baseURL: baseUrl.replace(/\/+$/, ""),
    timeout: timeoutMs,
    maxRedirects: 0,
    validateStatus: () => true,
    transitional: { clarifyTimeoutError: true },
    headers,
  });
}
