import { OFFICE_TIME_ZONE } from "../calendar/office-day.ts";
import type { ChannelDefinition } from "../channels/channel.ts";

/**
 * When a channel's silence is news: a channel that sends no payment for longer than its usual gap, during the hours it
 * normally works, has probably lost its integration (a provider's outage, a changed source address, a broken
 * signature). Each catalogue entry declares its default (`silence`), and CHANNEL_SILENCE overrides them per channel id
 * or family (`osmp:*`). /metrics exports what the alert PayhubChannelSilent (ops/prometheus-alerts.yml) compares.
 */

/** Working hours in the offices' local time: from `from`:00 to `to`:00; `to` < `from` crosses midnight (22-06), 00-24 is all day. */
export interface WorkingHours {
  from: number;
  to: number;
}

/** One channel's rule: silent for longer than `thresholdSeconds` inside its working hours is alerted. */
export interface SilenceRule {
  thresholdSeconds: number;
  hours: WorkingHours;
}

/** Per channel id, its rule; a channel turned `off` (or without a default) is absent: nothing is exported for it. */
export type ChannelSilence = Readonly<Record<string, SilenceRule>>;

const MIN_THRESHOLD_SECONDS = 5 * 60;
const MAX_THRESHOLD_SECONDS = 7 * 24 * 3600;

/** "1h", "90m", "1h30m" → seconds; a reason otherwise. */
function parseDuration(text: string): { ok: true; seconds: number } | { ok: false; reason: string } {
  const match = /^(?:(\d{1,3})h)?(?:(\d{1,5})m)?$/.exec(text);
  if (!match || (match[1] === undefined && match[2] === undefined)) {
    return { ok: false, reason: `"${text}" is not a duration: write hours and/or minutes, e.g. 1h, 90m, 1h30m` };
  }
  const seconds = Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60;
  if (seconds < MIN_THRESHOLD_SECONDS || seconds > MAX_THRESHOLD_SECONDS) return { ok: false, reason: `"${text}" must be from 5m to 168h` };
  return { ok: true, seconds };
}

/** "08-23" → { from: 8, to: 23 }; "00-24" all day; "22-06" across midnight. */
function parseHours(text: string): { ok: true; hours: WorkingHours } | { ok: false; reason: string } {
  const match = /^(\d{2})-(\d{2})$/.exec(text);
  const from = Number(match?.[1]);
  const to = Number(match?.[2]);
  if (!match || from > 23 || to > 24 || to === 0 || from === to) {
    return { ok: false, reason: `"${text}" are not working hours: write HH-HH in Vladivostok time, from 00-23 to 01-24 and not equal (08-23; 00-24 all day; 22-06 across midnight)` };
  }
  return { ok: true, hours: { from, to } };
}

/** A rule in CHANNEL_SILENCE's syntax: `off`, or `<duration>[@HH-HH]` (hours omitted: `defaultHours`, or all day). */
export function parseSilenceRule(text: string, defaultHours?: WorkingHours): { ok: true; rule: SilenceRule | "off" } | { ok: false; reason: string } {
  const value = text.trim();
  if (value === "off") return { ok: true, rule: "off" };
  const [durationText, hoursText, ...extra] = value.split("@");
  if (extra.length > 0) return { ok: false, reason: `"${value}" has more than one @` };
  const duration = parseDuration(durationText!.trim());
  if (!duration.ok) return duration;
  if (hoursText === undefined) return { ok: true, rule: { thresholdSeconds: duration.seconds, hours: defaultHours ?? { from: 0, to: 24 } } };
  const hours = parseHours(hoursText.trim());
  if (!hours.ok) return hours;
  return { ok: true, rule: { thresholdSeconds: duration.seconds, hours: hours.hours } };
}

/**
 * The rule of every channel id of `channels`: its entry's default (`silence`), overridden by CHANNEL_SILENCE's entries
 * (`<channel id>=<rule>` or `<family>:*=<rule>`, comma-separated; an exact id wins over its family). Every mistake is
 * added to `problems`, prefixed with the variable's name, for the start-up's ConfigError.
 */
export function readChannelSilence(text: string | undefined, channels: readonly ChannelDefinition[], problems: string[]): ChannelSilence {
  const defaults = new Map<string, SilenceRule>();
  for (const channel of channels) {
    if (channel.silence === undefined) continue;
    const parsed = parseSilenceRule(channel.silence);
    // The catalogue's own default is the code's mistake, not the operator's.
    if (!parsed.ok) throw new Error(`channel ${channel.key} declares silence "${channel.silence}": ${parsed.reason}`);
    if (parsed.rule !== "off") for (const id of channel.channelIds) defaults.set(id, parsed.rule);
  }
  const ids = channels.flatMap((channel) => channel.channelIds);
  const exact = new Map<string, string>();
  const families = new Map<string, string>();
  for (const entry of (text ?? "").split(",").map((part) => part.trim()).filter((part) => part.length > 0)) {
    const at = entry.indexOf("=");
    const key = at < 0 ? "" : entry.slice(0, at).trim();
    const value = at < 0 ? "" : entry.slice(at + 1).trim();
    if (key === "" || value === "") {
      problems.push(`CHANNEL_SILENCE: "${entry}" is not <channel>=<rule>: write e.g. osmp:qiwi=1h@00-24, sms3116=6h@08-23, osmp:*=2h, card=off`);
      continue;
    }
    const family = key.endsWith(":*") ? key.slice(0, -1) : undefined;
    if (family !== undefined ? !ids.some((id) => id.startsWith(family)) : !ids.includes(key)) {
      problems.push(`CHANNEL_SILENCE: "${key}" names no channel; the channels are ${ids.join(", ")} (or a family such as osmp:*)`);
      continue;
    }
    const target = family !== undefined ? families : exact;
    if (target.has(key)) {
      problems.push(`CHANNEL_SILENCE: "${key}" is given twice`);
      continue;
    }
    target.set(key, value);
  }
  const rules: Record<string, SilenceRule> = {};
  for (const id of ids) {
    const family = [...families.keys()].find((key) => id.startsWith(key.slice(0, -1)));
    const text = exact.get(id) ?? (family === undefined ? undefined : families.get(family));
    if (text === undefined) {
      const fallback = defaults.get(id);
      if (fallback) rules[id] = fallback;
      continue;
    }
    const parsed = parseSilenceRule(text, defaults.get(id)?.hours);
    if (!parsed.ok) {
      const problem = `CHANNEL_SILENCE: ${exact.has(id) ? id : family}=${text}: ${parsed.reason}; or off`;
      if (!problems.includes(problem)) problems.push(problem);
    } else if (parsed.rule !== "off") rules[id] = parsed.rule;
  }
  return rules;
}

const localClock = new Map<string, Intl.DateTimeFormat>();

/** Seconds since local midnight of `now` in `timeZone`. */
function secondsOfLocalDay(now: Date, timeZone: string): number {
  let format = localClock.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", { timeZone, hourCycle: "h23", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    localClock.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(now).map((part) => [part.type, part.value]));
  return Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second) + (now.getTime() % 1000) / 1000;
}

/**
 * Whether `now` is inside the working hours (local time of `timeZone`, Vladivostok by default), and when the period of
 * work that counts began: the current one's start while inside (0 for a channel working all day: always open), the
 * next one's start outside. Silence is counted from the later of the last payment and that start, so a channel that
 * works 08-23 is not reported at 08:00 for the night it rested. Local days are taken as 24 hours (Vladivostok keeps
 * no daylight saving time).
 */
export function workingPeriod(hours: WorkingHours, now: Date, timeZone = OFFICE_TIME_ZONE): { inside: boolean; startSeconds: number } {
  if (hours.from === 0 && hours.to === 24) return { inside: true, startSeconds: 0 };
  const clock = secondsOfLocalDay(now, timeZone);
  const midnight = now.getTime() / 1000 - clock;
  const from = hours.from * 3600;
  const to = hours.to * 3600;
  if (hours.from < hours.to) {
    if (clock >= from && clock < to) return { inside: true, startSeconds: midnight + from };
    return { inside: false, startSeconds: midnight + from + (clock >= to ? 86_400 : 0) };
  }
  // Across midnight (22-06): inside from `from` to midnight and from midnight to `to`.
  if (clock >= from) return { inside: true, startSeconds: midnight + from };
  if (clock < to) return { inside: true, startSeconds: midnight - 86_400 + from };
  return { inside: false, startSeconds: midnight + from };
}

/** "08-23" as written in CHANNEL_SILENCE. */
export const formatHours = (hours: WorkingHours) => `${String(hours.from).padStart(2, "0")}-${String(hours.to).padStart(2, "0")}`;
