/** What the benchmark sends and how it reads the answer: OSMP `pay` to the qiwi profile, as a terminal network does. */

export const PAY_PATH = "/webhooks/osmp/qiwi";
export const PAY_CHANNEL = "osmp:qiwi";
export const FORM_HEADERS = { "content-type": "application/x-www-form-urlencoded" };

/**
 * Subscribers the bench creates through the hub's API before measuring. Payments rotate over a thousand of them, as
 * real traffic spreads over the subscriber base: a handful of accounts would measure row-lock waits on their balances.
 */
export const BENCH_ACCOUNTS: readonly string[] = Array.from({ length: 1000 }, (_, index) => String(200000 + index));
/** The bearer token the bench's hub is started with, for PUT /api/accounts. */
export const BENCH_ADMIN_TOKEN = "payhub-bench-admin-token";

export const PAY_SUM = "10.45";
export const PAY_KOPECKS = 1045;

/**
 * Every phase draws txn_ids from its own range of 10-digit numbers, so a phase's payments can be selected in SQL by
 * `external_id::bigint` without trusting two clocks to agree.
 */
export const TXN_ID_RANGES = {
  warmUp: 1_000_000_000,
  latency: 1_100_000_000,
  /** Phase E's steps, a million apart. */
  sweep: 1_200_000_000,
  /** Phase F's checks (a check records nothing; its txn_id only has to be well-formed). */
  check: 1_900_000_000,
  saturation: 2_000_000_000,
  bareCredit: 3_000_000_000,
  end: 4_000_000_000,
} as const;

export function accountFor(sequence: number): string {
  return BENCH_ACCOUNTS[sequence % BENCH_ACCOUNTS.length]!;
}

/** OSMP txn_date: YYYYMMDDHHMMSS in the network's local time. */
export function txnDate(date: Date): string {
  const two = (value: number) => String(value).padStart(2, "0");
  return (
    `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}` +
    `${two(date.getHours())}${two(date.getMinutes())}${two(date.getSeconds())}`
  );
}

/** A `check` of an account before a pay, as a terminal sends it while the subscriber types the number. */
export function checkBody(txnId: number, account: string): string {
  return `command=check&txn_id=${txnId}&account=${account}&sum=${PAY_SUM}`;
}

export function payBody(txnId: number, account: string, now: Date = new Date()): string {
  return `command=pay&txn_id=${txnId}&account=${account}&sum=${PAY_SUM}&txn_date=${txnDate(now)}`;
}

/** The answer's `<result>` code, or undefined when the body is not an OSMP answer. */
export function osmpResultOf(body: string): number | undefined {
  const match = /<result>(\d+)<\/result>/.exec(body);
  return match ? Number(match[1]) : undefined;
}

/** A pay is accepted only with HTTP 200 and result 0; anything else counts as an error. */
export function isAcceptedAnswer(status: number, body: string): boolean {
  return status === 200 && osmpResultOf(body) === 0;
}

/** The q-quantile (0..1) of ascending-sorted values, nearest-rank. */
export function quantile(sortedAscending: number[], q: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const rank = Math.min(sortedAscending.length, Math.max(1, Math.ceil(q * sortedAscending.length)));
  return sortedAscending[rank - 1]!;
}

export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
