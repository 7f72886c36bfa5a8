import type { Config } from "../config.ts";
import type { SqlPool } from "../db.ts";
import { runEvery, type IntervalRunner } from "../infra/interval-runner.ts";
import type { Logger } from "../log.ts";
import { AUTOMATION_ACTOR, type ActionContext } from "../staff/actor.ts";
import { fetchArsenalpayRegistry, arsenalpayRrnsOfDay } from "./api/arsenalpay.ts";
import { RegistryFetchError, type FetchedRegistry } from "./api/common.ts";
import { fetchQiwiBillsRegistry, issuedBillsOfDay } from "./api/qiwi-bills.ts";
import { fetchYoomoneyRegistry } from "./api/yoomoney.ts";
import { importParsedRegistry, type ImportAnswer } from "./import-registry.ts";
import { API_PROFILES } from "./profiles.ts";
import { daysWithoutRegistry, fetchedChannels, type ApiCredentials } from "./registry-missing.ts";
import type { ApiFetchChannel } from "./registry-settings.ts";

/**
 * The worker's registry fetcher (REGISTRIES.md §4): every REGISTRY_FETCH_INTERVAL_MS it looks, for each provider
 * whose registry comes from its API (YooMoney's operation history, QIWI bill statuses, ArsenalPay's status by RRN;
 * REGISTRY_API_CHANNELS, each with its credentials), for the days of the last week that are over at the provider
 * (from D+1 at REGISTRY_API_HOUR, Moscow), on or after the first day payhub has payments of the channel, and that have
 * no registry yet; it builds each day's registry from the API and records it with the same matching as a file
 * (importParsedRegistry, source "api", by the automation actor `registry-fetcher`).
 *
 * A day is fetched only once it is over, and once recorded it is never fetched again: an API registry is not
 * replaced (a second one for the same day would be conflicting_import, as for files). Several workers may run it at
 * once: each (channel, day) is fetched under a PostgreSQL advisory lock (another worker holding it: skipped this
 * round), the day is looked up again under the lock, and importParsedRegistry's own lock and its already_imported
 * answer make a repeat harmless. A failed fetch is logged and tried again next round.
 */

/** One provider API the worker builds a day's registry from. */
export interface ApiRegistrySource {
  channel: ApiFetchChannel;
  fetch(day: string): Promise<FetchedRegistry>;
}

export interface RegistryFetcherDeps {
  pool: SqlPool;
  log: Logger;
  sources: readonly ApiRegistrySource[];
  /** REGISTRY_API_HOUR. */
  apiHour: number;
}

export type FetchOutcome =
  /** Fetched and recorded: the registry's id and what the matching found. */
  | { channel: string; day: string; outcome: "recorded"; registryId: number; lines: number; classes: ImportAnswer["classes"] }
  /** Another worker holds the day's lock, or recorded it meanwhile. */
  | { channel: string; day: string; outcome: "busy" | "already_recorded" }
  /** importParsedRegistry refused it (already_imported: the same answers recorded meanwhile; conflicting_import: another registry). */
  | { channel: string; day: string; outcome: "rejected"; reason: string; message: string }
  | { channel: string; day: string; outcome: "failed"; message: string };

/** Who records API registries in the audit log and the registry's `imported_by`. */
export const REGISTRY_FETCHER_CONTEXT: ActionContext = {
  actor: { ...AUTOMATION_ACTOR, login: "registry-fetcher", fullName: "registry fetcher (worker)", via: "automation" },
  ip: "worker",
  requestId: undefined,
};

/** Which API registries this configuration can fetch: those REGISTRY_API_CHANNELS names whose credentials are set. */
export function apiCredentials(config: Config): ApiCredentials {
  return {
    yoomoney: config.registries.yoomoneyApiToken !== undefined,
    "qiwi-bill": config.qiwiBill.secrets[0] !== undefined,
    arsenalpay: config.arsenalpay.merchantId !== undefined && config.registries.arsenalpayStatusKey !== undefined,
  };
}

/** The configured sources, each reading the day's registry from its provider (and the hub's records it asks about). */
export function apiRegistrySources(config: Config, pool: SqlPool): ApiRegistrySource[] {
  const settings = config.registries;
  return fetchedChannels(settings, apiCredentials(config)).map((channel): ApiRegistrySource => {
    switch (channel) {
      case "yoomoney":
        return { channel, fetch: (day) => fetchYoomoneyRegistry({ token: settings.yoomoneyApiToken!, baseUrl: settings.yoomoneyApiUrl }, day) };
      case "qiwi-bill":
        return {
          channel,
          fetch: async (day) => fetchQiwiBillsRegistry({ secretKey: config.qiwiBill.secrets[0]!, baseUrl: config.qiwiBill.apiUrl }, day, await issuedBillsOfDay(pool, day)),
        };
      case "arsenalpay":
        return {
          channel,
          fetch: async (day) =>
            fetchArsenalpayRegistry({ baseUrl: config.arsenalpay.apiUrl, merchantId: config.arsenalpay.merchantId!, secret: settings.arsenalpayStatusKey! }, day, await arsenalpayRrnsOfDay(pool, day)),
        };
    }
  });
}

/** Two-key advisory lock of one (channel, day) fetch: its own key space, apart from the import's lock. */
const TRY_LOCK_SQL = "SELECT pg_try_advisory_lock(hashtext('payhub:registry-fetch'), hashtext($1)) AS locked";
const UNLOCK_SQL = "SELECT pg_advisory_unlock(hashtext('payhub:registry-fetch'), hashtext($1))";

async function fetchAndRecord(deps: RegistryFetcherDeps, source: ApiRegistrySource, day: string): Promise<FetchOutcome> {
  const base = { channel: source.channel, day };
  const key = `${source.channel}:${day}`;
  const client = await deps.pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>(TRY_LOCK_SQL, [key]);
    if (!rows[0]?.locked) return { ...base, outcome: "busy" };
    try {
      const recorded = await client.query(`SELECT 1 FROM registry WHERE channel = $1 AND day = $2::date AND withdrawn_at IS NULL LIMIT 1`, [source.channel, day]);
      if (recorded.rows.length > 0) return { ...base, outcome: "already_recorded" };
      const started = Date.now();
      let fetched: FetchedRegistry;
      try {
        fetched = await source.fetch(day);
      } catch (error) {
        if (!(error instanceof RegistryFetchError)) throw error;
        deps.log.warn({ channel: source.channel, day, kind: error.kind, ...error.details }, `registry not fetched: ${error.message}`);
        return { ...base, outcome: "failed", message: error.message };
      }
      const answer = await importParsedRegistry(deps.pool, REGISTRY_FETCHER_CONTEXT, {
        channel: source.channel,
        fileName: fetched.fileName,
        source: "api",
        sha256: fetched.sha256,
        profile: API_PROFILES[source.channel]!,
        registry: fetched.registry,
      });
      if (answer.status !== "accepted") {
        const reason = answer.reason ?? "rejected";
        // The same answers recorded meanwhile (another worker, before the lock was taken) is no error.
        const level = reason === "already_imported" ? "info" : "warn";
        deps.log[level]({ channel: source.channel, day, reason, problem: answer.message }, "API registry not recorded");
        return { ...base, outcome: "rejected", reason, message: answer.message ?? reason };
      }
      const open = Object.fromEntries(Object.entries(answer.classes).filter(([name, figure]) => name !== "matched" && figure.count > 0).map(([name, figure]) => [name, figure.count]));
      deps.log.info(
        { channel: source.channel, day, registryId: answer.id, lines: answer.lines.length, open, requests: fetched.requests, ms: Date.now() - started },
        "API registry fetched and recorded",
      );
      return { ...base, outcome: "recorded", registryId: answer.id!, lines: answer.lines.length, classes: answer.classes };
    } finally {
      await client.query(UNLOCK_SQL, [key]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/**
 * One round: for every source, each day of the last week that is over at the provider, expected (on or after the
 * channel's first payment) and without a registry, oldest first. For the tests (which pass `now`) and for the timer.
 */
export async function fetchRegistriesOnce(deps: RegistryFetcherDeps, now: Date): Promise<FetchOutcome[]> {
  if (deps.sources.length === 0) return [];
  const expectations = deps.sources.map((source) => ({ channel: source.channel, hour: deps.apiHour, everyDay: true }));
  const due = await daysWithoutRegistry(deps.pool, expectations, now);
  const outcomes: FetchOutcome[] = [];
  for (const source of deps.sources) {
    for (const day of due.get(source.channel) ?? []) {
      // One day's unexpected failure (the database, a bug) is logged and the others go on; the next round retries it.
      const outcome = await fetchAndRecord(deps, source, day).catch((error: unknown): FetchOutcome => {
        deps.log.warn({ err: error, channel: source.channel, day }, "registry not fetched: unexpected failure");
        return { channel: source.channel, day, outcome: "failed", message: error instanceof Error ? error.message : String(error) };
      });
      outcomes.push(outcome);
    }
  }
  return outcomes;
}

/** Starts the fetcher (worker roles) when some API registry is configured; undefined otherwise. */
export function startRegistryFetcher(config: Config, context: { pool: SqlPool; log: Logger }): IntervalRunner | undefined {
  const sources = apiRegistrySources(config, context.pool);
  if (sources.length === 0) {
    context.log.info("API registries are not fetched: no provider API configured for them (YOOMONEY_API_TOKEN, QIWI_BILL_SECRET_KEY, ARSENALPAY_STATUS_KEY)");
    return undefined;
  }
  const deps: RegistryFetcherDeps = { pool: context.pool, log: context.log, sources, apiHour: config.registries.apiHour };
  context.log.info({ channels: sources.map((source) => source.channel), apiHour: config.registries.apiHour, intervalMs: config.registries.fetchIntervalMs }, "registry fetcher started");
  return runEvery(
    config.registries.fetchIntervalMs,
    () => fetchRegistriesOnce(deps, new Date()),
    (error) => context.log.warn({ err: error }, "registry fetch round failed; the next round tries again"),
    { immediately: true },
  );
}
