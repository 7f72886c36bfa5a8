import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { accountFor, FORM_HEADERS, isAcceptedAnswer, PAY_PATH, payBody, progress, quantile } from "./osmp-wire.ts";

/** One request of the load: what to send for the i-th request, and whether its answer counts as a success. */
export interface OpenLoopRequest {
  build(sequence: number): { path: string; method: "GET" | "POST"; body?: string };
  accepted(statusCode: number, body: string): boolean;
}

/** OSMP pays with consecutive txn_ids from firstTxnId, over the bench's accounts. */
export function osmpPays(firstTxnId: number): OpenLoopRequest {
  return {
    build: (sequence) => ({ path: PAY_PATH, method: "POST", body: payBody(firstTxnId + sequence, accountFor(sequence)) }),
    accepted: isAcceptedAnswer,
  };
}

export interface OpenLoopOptions {
  label: string;
  baseUrl: string;
  ratePerSecond: number;
  durationSeconds: number;
  request: OpenLoopRequest;
  /** Print a progress line every second (off for short steps that print their own). */
  quiet?: boolean;
}

export interface OpenLoopResult {
  scheduled: number;
  answered: number;
  /** Non-200 answers, answers whose <result> is not 0, and requests that got no answer at all. */
  errors: number;
  errorSamples: string[];
  /** Answers per second from the first scheduled send to the last answer. */
  achievedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How late the generator itself sent, worst case: latency includes it, so it must stay small to be trusted. */
  maxSendLagMs: number;
}

/**
 * Open-loop load: request i is due at t0 + i / rate whatever the earlier answers did, and its latency is measured
 * from that due time. A closed loop (send the next when the previous answered) would send less exactly when the hub
 * slows down and so hide the stall (coordinated omission).
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const total = Math.round(options.ratePerSecond * options.durationSeconds);
  const intervalMs = 1000 / options.ratePerSecond;
  // More connections than requests in flight at any sane latency: a queue inside the client would be invisible.
  const pool = new Pool(options.baseUrl, {
    connections: 256,
    pipelining: 1,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
    keepAliveTimeout: 30_000,
  });

  const latencies: number[] = [];
  let latenciesReportedUpTo = 0;
  let answered = 0;
  /** Answered or failed without an answer: what is no longer in flight. */
  let settled = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  let maxSendLagMs = 0;
  let lastAnswerAt = 0;
  const pending: Promise<void>[] = [];

  const noteError = (what: string) => {
    errors += 1;
    if (errorSamples.length < 3) errorSamples.push(what);
  };

  const send = async (sequence: number, dueAt: number) => {
    try {
      const { statusCode, body } = await pool.request({ ...options.request.build(sequence), headers: FORM_HEADERS });
      const text = await body.text();
      const answeredAt = performance.now();
      lastAnswerAt = Math.max(lastAnswerAt, answeredAt);
      latencies.push(answeredAt - dueAt);
      answered += 1;
      if (!options.request.accepted(statusCode, text)) noteError(`HTTP ${statusCode}: ${text.replace(/\s+/g, " ").slice(0, 200)}`);
    } catch (error) {
      noteError(`no answer: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      settled += 1;
    }
  };

  const t0 = performance.now() + 20;
  let next = 0;
  const ticker = setInterval(() => {
    if (options.quiet) return;
    const windowSorted = latencies.slice(latenciesReportedUpTo).sort((a, b) => a - b);
    latenciesReportedUpTo = latencies.length;
    const elapsed = Math.max(0, (performance.now() - t0) / 1000);
    progress(
      `${options.label}: ${elapsed.toFixed(0)} s, sent ${next}/${total}, answered ${answered}, errors ${errors}, ` +
        `in flight ${next - settled}, last second p99 ${formatMs(quantile(windowSorted, 0.99))}`,
    );
  }, 1000);

  await new Promise<void>((resolve) => {
    const pump = () => {
      const now = performance.now();
      // A late timer sends everything already due in one burst: the schedule is kept, the lag is recorded.
      while (next < total && t0 + next * intervalMs <= now) {
        const dueAt = t0 + next * intervalMs;
        maxSendLagMs = Math.max(maxSendLagMs, now - dueAt);
        pending.push(send(next, dueAt));
        next += 1;
      }
      if (next < total) setTimeout(pump, Math.max(0, t0 + next * intervalMs - performance.now()));
      else resolve();
    };
    setTimeout(pump, Math.max(0, t0 - performance.now()));
  });
  await Promise.all(pending);
  clearInterval(ticker);
  await pool.close();

  latencies.sort((a, b) => a - b);
  const spanSeconds = (lastAnswerAt - t0) / 1000;
  return {
    scheduled: total,
    answered,
    errors,
    errorSamples,
    achievedPerSecond: spanSeconds > 0 ? answered / spanSeconds : 0,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: latencies.length > 0 ? latencies[latencies.length - 1]! : Number.NaN,
    maxSendLagMs,
  };
}

export function formatMs(ms: number): string {
  return Number.isNaN(ms) ? "-" : `${ms.toFixed(1)} ms`;
}
