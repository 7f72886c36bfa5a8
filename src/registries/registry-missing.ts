import type { SqlClient } from "../db.ts";
import { dayBounds, FILE_REGISTRY_CHANNELS, MOSCOW_OFFSET_HOURS } from "./profiles.ts";
import type { ApiFetchChannel, RegistrySettings } from "./registry-settings.ts";

/**
 * `registry_missing` (REGISTRIES.md §5): a day whose registry has not arrived by the channel's hour. Which days are
 * expected, and which of them have no accepted registry yet, is one computation shared by the gauge
 * (payhub_registry_missing, read at scrape) and the worker's fetcher (which fetches exactly the API days that would
 * otherwise be missing).
 *
 * The rules, per channel:
 * - The days looked at are the last WINDOW_DAYS days before today (Moscow), the registry day being the provider's
 *   operating day in Moscow time.
 * - Day D is due from D+1 at the channel's hour (Moscow): REGISTRY_DUE's for the channel, else REGISTRY_DUE_HOUR; for
 *   the fetcher, REGISTRY_API_HOUR (the day must be over at the provider before its history is read).
 * - A registry built from an API is expected every day from the first day payhub has payments of the channel: the
 *   fetcher records a registry also for a day without payments, so a gap means the fetch has not succeeded. A
 *   channel whose registry is a file is expected for the days payhub took payments of it: a provider that accepted
 *   nothing that day may send nothing, and such a day could never be cleared.
 * - A day counts once an accepted registry of that channel and day exists (any sequence, file or API; a withdrawn one
 *   does not count).
 * Payments are those that are money (accepted, credited, failed), by the day of `received_at` in Moscow time, as the
 * matching counts them (missing_in_registry).
 */

/** How many days back registry_missing looks, and the fetcher catches up. */
export const WINDOW_DAYS = 7;

export interface RegistryExpectation {
  channel: string;
  /** Moscow hour of the next day from which the day's registry is due. */
  hour: number;
  /** Expected every day from the first payment (API registries), or only on days with payments (files). */
  everyDay: boolean;
}

/** The channels whose registry the worker fetches: asked for (REGISTRY_API_CHANNELS) and with credentials. */
export interface ApiCredentials {
  yoomoney: boolean;
  "qiwi-bill": boolean;
  arsenalpay: boolean;
}

export function fetchedChannels(settings: RegistrySettings, credentials: ApiCredentials): ApiFetchChannel[] {
  return settings.apiChannels.filter((channel) => credentials[channel]);
}

/**
 * Who must send a registry, by when: every file channel (REGISTRIES.md's table) and every API channel the worker
 * fetches, minus those REGISTRY_DUE turns off. A channel payhub never had a payment of is never due (no day counts).
 */
export function registryExpectations(settings: RegistrySettings, fetched: readonly string[]): RegistryExpectation[] {
  const channels = [...new Set([...FILE_REGISTRY_CHANNELS, ...fetched])];
  return channels.flatMap((channel) => {
    const due = settings.due[channel];
    if (due === "off") return [];
    return [{ channel, hour: due ?? settings.dueHour, everyDay: fetched.includes(channel) }];
  });
}

const DAY_MS = 24 * 3_600_000;

/** The Moscow day (YYYY-MM-DD) of an instant. */
export function moscowDay(instant: Date): string {
  return new Date(instant.getTime() + MOSCOW_OFFSET_HOURS * 3_600_000).toISOString().slice(0, 10);
}

const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** When day D's registry is due: D+1 at `hour`, Moscow time. */
export function dueAt(day: string, hour: number): Date {
  return new Date(dayBounds(day, MOSCOW_OFFSET_HOURS).to.getTime() + hour * 3_600_000);
}

/** The window's days, oldest first: today − WINDOW_DAYS … yesterday (Moscow). */
export function windowDays(now: Date): string[] {
  const today = moscowDay(now);
  return Array.from({ length: WINDOW_DAYS }, (_, index) => addDays(today, index - WINDOW_DAYS));
}

const MONEY_STATES = "('accepted', 'credited', 'failed')";

/**
 * Per expected channel, the days of the window that are due by `now`, expected, and have no accepted registry:
 * three statements (days with payments in the window, channels with payments before it, registries of the window),
 * whatever the number of channels.
 */
export async function daysWithoutRegistry(sql: SqlClient, expectations: readonly RegistryExpectation[], now: Date): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(expectations.map((expectation) => [expectation.channel, []]));
  const days = windowDays(now);
  const dueDays = (hour: number) => days.filter((day) => dueAt(day, hour).getTime() <= now.getTime());
  const relevant = expectations.filter((expectation) => dueDays(expectation.hour).length > 0);
  if (relevant.length === 0) return result;
  const channels = relevant.map((expectation) => expectation.channel);
  const everyDay = relevant.filter((expectation) => expectation.everyDay).map((expectation) => expectation.channel);
  const from = dayBounds(days[0]!, MOSCOW_OFFSET_HOURS).from;
  const to = dayBounds(days.at(-1)!, MOSCOW_OFFSET_HOURS).to;

  const [withPayments, activeBefore, recorded] = await Promise.all([
    sql.query<{ channel: string; day: string }>(
      `SELECT channel, to_char((received_at AT TIME ZONE 'UTC') + interval '${MOSCOW_OFFSET_HOURS} hours', 'YYYY-MM-DD') AS day
       FROM inbound_payment WHERE status IN ${MONEY_STATES} AND received_at >= $1::timestamptz AND received_at < $2::timestamptz AND channel = ANY($3::text[])
       GROUP BY 1, 2`,
      [from, to, channels],
    ),
    everyDay.length === 0
      ? Promise.resolve({ rows: [] as { channel: string }[] })
      : sql.query<{ channel: string }>(
          `SELECT c AS channel FROM unnest($1::text[]) AS c
           WHERE EXISTS (SELECT 1 FROM inbound_payment p WHERE p.channel = c AND p.status IN ${MONEY_STATES} AND p.received_at < $2::timestamptz)`,
          [everyDay, from],
        ),
    sql.query<{ channel: string; day: string }>(
      `SELECT DISTINCT channel, to_char(day, 'YYYY-MM-DD') AS day FROM registry
       WHERE withdrawn_at IS NULL AND day >= $1::date AND day <= $2::date AND channel = ANY($3::text[])`,
      [days[0], days.at(-1), channels],
    ),
  ]);
  const key = (channel: string, day: string) => `${channel}|${day}`;
  const paid = new Set(withPayments.rows.map((row) => key(row.channel, row.day)));
  const active = new Set(activeBefore.rows.map((row) => row.channel));
  const have = new Set(recorded.rows.map((row) => key(row.channel, row.day)));
  for (const expectation of relevant) {
    const { channel } = expectation;
    const firstPaid = days.find((day) => paid.has(key(channel, day)));
    const expected = (day: string) =>
      expectation.everyDay ? active.has(channel) || (firstPaid !== undefined && day >= firstPaid) : paid.has(key(channel, day));
    result.set(
      channel,
      dueDays(expectation.hour).filter((day) => expected(day) && !have.has(key(channel, day))),
    );
  }
  return result;
}
