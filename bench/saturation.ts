import autocannon from "autocannon";
import { accountFor, FORM_HEADERS, isAcceptedAnswer, PAY_PATH, payBody, progress } from "./osmp-wire.ts";

export interface SaturationOptions {
  baseUrl: string;
  connections: number;
  durationSeconds: number;
  firstTxnId: number;
}

export interface SaturationResult {
  /** Wall-clock start, to compare with the database's credited_at. */
  startedAtMs: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  answered: number;
  /** Non-200 answers, answers whose <result> is not 0, socket errors and timeouts. */
  errors: number;
  errorSamples: string[];
}

/** Closed-loop saturation with autocannon: every connection sends its next pay as soon as the previous one answered. */
export async function runSaturation(options: SaturationOptions): Promise<SaturationResult> {
  let sequence = 0;
  let answered = 0;
  let rejected = 0;
  const errorSamples: string[] = [];
  const startedAtMs = Date.now();
  const instance = autocannon({
    url: options.baseUrl,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
    requests: [
      {
        method: "POST",
        path: PAY_PATH,
        headers: FORM_HEADERS,
        // Called for every request, so each pay carries its own txn_id (a repeated one would be a cheap duplicate).
        setupRequest: (request) => {
          const body = payBody(options.firstTxnId + sequence, accountFor(sequence));
          sequence += 1;
          return { ...request, body };
        },
        onResponse: (status, body) => {
          answered += 1;
          if (isAcceptedAnswer(status, body)) return;
          rejected += 1;
          if (errorSamples.length < 3) errorSamples.push(`HTTP ${status}: ${body.replace(/\s+/g, " ").slice(0, 200)}`);
        },
      },
    ],
  });
  let second = 0;
  instance.on("tick", ({ counter }: { counter: number }) => {
    second += 1;
    progress(`phase B: ${second} s, ${counter} answers in the last second, ${answered} answered, ${rejected} rejected`);
  });
  const result = await instance;
  return {
    startedAtMs,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    answered,
    errors: rejected + result.errors,
    errorSamples,
  };
}
