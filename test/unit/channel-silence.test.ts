import { describe, expect, it } from "vitest";
import { CHANNELS } from "../../src/channels/index.ts";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { workingPeriod, type WorkingHours } from "../../src/metrics/channel-silence.ts";
import { HubMetrics } from "../../src/metrics/metrics.ts";
import type { Db } from "../../src/db.ts";
import type { HubQueues } from "../../src/metrics/queue-health.ts";

// The channels' silence: CHANNEL_SILENCE over the catalogue's defaults, the working hours in Vladivostok time, and the
// gauges PayhubChannelSilent reads.

const HOUR = 3600;

function refusal(value: string): string {
  try {
    loadConfig({ CHANNEL_SILENCE: value });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`CHANNEL_SILENCE=${value} was accepted`);
}

describe("CHANNEL_SILENCE", () => {
  it("when it is unset, then every catalogue channel has its default: terminals and banks 1 h all day, cards 2 h 07-24, the cash desk 2 h 09-19, wallets 6 h 08-23, SMS 12 h 08-23", () => {
    const silence = loadConfig({}).channelSilence;
    const rule = (thresholdHours: number, from: number, to: number) => ({ thresholdSeconds: thresholdHours * HOUR, hours: { from, to } });
    expect(silence).toEqual({
      "osmp:qiwi": rule(1, 0, 24),
      "osmp:office-terminals": rule(1, 0, 24),
      "osmp:vladik": rule(1, 0, 24),
      "osmp:epos": rule(1, 0, 24),
      "bank:sberbank": rule(1, 0, 24),
      "bank:primorye": rule(1, 0, 24),
      card: rule(2, 7, 24),
      arsenalpay: rule(2, 7, 24),
      cashier: rule(2, 9, 19),
      yoomoney: rule(6, 8, 23),
      webmoney: rule(6, 8, 23),
      "qiwi-bill": rule(6, 8, 23),
      sms3116: rule(12, 8, 23),
    });
    // A channel added to the catalogue without a default would go unwatched: every entry declares one.
    expect(CHANNELS.filter((channel) => channel.silence === undefined).map((channel) => channel.key)).toEqual([]);
  });

  it("when entries are given, then they override the defaults: an exact id over its family, hours kept when only a duration is given, off drops the channel", () => {
    const silence = loadConfig({ CHANNEL_SILENCE: " osmp:*=2h , osmp:qiwi=30m@06-22,sms3116=6h@08-23,card=off,bank:primorye=1h30m, cashier=3h@22-06" }).channelSilence;
    expect(silence["osmp:qiwi"]).toEqual({ thresholdSeconds: 30 * 60, hours: { from: 6, to: 22 } });
    expect(silence["osmp:vladik"]).toEqual({ thresholdSeconds: 2 * HOUR, hours: { from: 0, to: 24 } });
    expect(silence.sms3116).toEqual({ thresholdSeconds: 6 * HOUR, hours: { from: 8, to: 23 } });
    expect(silence.card).toBeUndefined();
    expect(silence["bank:primorye"]).toEqual({ thresholdSeconds: 90 * 60, hours: { from: 0, to: 24 } });
    expect(silence["bank:sberbank"]).toEqual({ thresholdSeconds: HOUR, hours: { from: 0, to: 24 } });
    expect(silence.cashier).toEqual({ thresholdSeconds: 3 * HOUR, hours: { from: 22, to: 6 } });
    expect(silence.arsenalpay).toEqual({ thresholdSeconds: 2 * HOUR, hours: { from: 7, to: 24 } });
    expect(loadConfig({ CHANNEL_SILENCE: "osmp:*=off" }).channelSilence["osmp:epos"]).toBeUndefined();
  });

  it.each([
    ["osmp:qiwi", /"osmp:qiwi" is not <channel>=<rule>/],
    ["osmp:qiwi=", /"osmp:qiwi=" is not <channel>=<rule>/],
    ["visa=1h", /"visa" names no channel; the channels are osmp:qiwi, .*sms3116/],
    ["visa:*=1h", /"visa:\*" names no channel/],
    ["osmp:qiwi=1x", /osmp:qiwi=1x: "1x" is not a duration/],
    ["osmp:qiwi=2m", /"2m" must be from 5m to 168h/],
    ["osmp:qiwi=200h", /"200h" must be from 5m to 168h/],
    ["osmp:qiwi=1h@8-23", /"8-23" are not working hours: write HH-HH/],
    ["osmp:qiwi=1h@09-09", /"09-09" are not working hours/],
    ["osmp:qiwi=1h@00-25", /"00-25" are not working hours/],
    ["osmp:qiwi=1h@24-06", /"24-06" are not working hours/],
    ["osmp:qiwi=1h@08-23@09-10", /has more than one @/],
    ["osmp:qiwi=on", /"on" is not a duration/],
    ["osmp:qiwi=1h,osmp:qiwi=2h", /"osmp:qiwi" is given twice/],
  ])("when it is %s, then the hub refuses to start and names the entry", (value, problem) => {
    const message = refusal(value);
    expect(message).toMatch(/CHANNEL_SILENCE: /);
    expect(message).toMatch(problem);
  });

  it("when several entries are wrong, then each is named", () => {
    const message = refusal("osmp:*=1x,sms3116=1h@99-00,card=2h");
    expect(message).toMatch(/CHANNEL_SILENCE: osmp:\*=1x/);
    expect(message).toMatch(/CHANNEL_SILENCE: sms3116=1h@99-00/);
    // The family's mistake is named once, not once per channel of the family.
    expect(message.match(/osmp:\*=1x/g)).toHaveLength(1);
  });
});

describe("working hours", () => {
  /** A moment written in Vladivostok time (UTC+10). */
  const vladivostok = (time: string, day = "2026-03-10") => new Date(`${day}T${time}+10:00`);
  const at = (hours: WorkingHours, time: string, day?: string) => {
    const period = workingPeriod(hours, vladivostok(time, day));
    return { inside: period.inside, start: new Date(period.startSeconds * 1000).toISOString() };
  };
  const iso = (time: string, day = "2026-03-10") => vladivostok(time, day).toISOString();

  it("when the hours are 08-23, then 08:00 to 23:00 Vladivostok time is inside, counted from 08:00; outside, the next 08:00", () => {
    const hours = { from: 8, to: 23 };
    expect(at(hours, "07:59:59")).toEqual({ inside: false, start: iso("08:00:00") });
    expect(at(hours, "08:00:00")).toEqual({ inside: true, start: iso("08:00:00") });
    expect(at(hours, "14:30:00")).toEqual({ inside: true, start: iso("08:00:00") });
    expect(at(hours, "22:59:59")).toEqual({ inside: true, start: iso("08:00:00") });
    expect(at(hours, "23:00:00")).toEqual({ inside: false, start: iso("08:00:00", "2026-03-11") });
    // 08:00 in Vladivostok is 22:00 UTC of the day before: the zone decides, not the server's clock.
    expect(workingPeriod(hours, new Date("2026-03-09T22:00:00Z")).inside).toBe(true);
    expect(workingPeriod(hours, new Date("2026-03-10T08:00:00Z")).inside).toBe(true);
    expect(workingPeriod(hours, new Date("2026-03-10T13:00:00Z")).inside).toBe(false);
  });

  it("when the hours are 07-24, then they end at midnight", () => {
    expect(at({ from: 7, to: 24 }, "23:59:59")).toEqual({ inside: true, start: iso("07:00:00") });
    expect(at({ from: 7, to: 24 }, "00:00:00", "2026-03-11")).toEqual({ inside: false, start: iso("07:00:00", "2026-03-11") });
  });

  it("when the hours are 00-24, then every moment is inside, counted from ever", () => {
    for (const time of ["00:00:00", "03:17:00", "23:59:59"]) expect(workingPeriod({ from: 0, to: 24 }, vladivostok(time))).toEqual({ inside: true, startSeconds: 0 });
  });

  it("when the hours cross midnight (22-06), then the night is inside, counted from the evening it began", () => {
    const hours = { from: 22, to: 6 };
    expect(at(hours, "21:59:59")).toEqual({ inside: false, start: iso("22:00:00") });
    expect(at(hours, "22:00:00")).toEqual({ inside: true, start: iso("22:00:00") });
    expect(at(hours, "23:30:00")).toEqual({ inside: true, start: iso("22:00:00") });
    expect(at(hours, "03:00:00", "2026-03-11")).toEqual({ inside: true, start: iso("22:00:00", "2026-03-10") });
    expect(at(hours, "05:59:59", "2026-03-11")).toEqual({ inside: true, start: iso("22:00:00", "2026-03-10") });
    expect(at(hours, "06:00:00", "2026-03-11")).toEqual({ inside: false, start: iso("22:00:00", "2026-03-11") });
  });

  it("when it is from 00 (00-06), then midnight opens it", () => {
    expect(at({ from: 0, to: 6 }, "00:00:00")).toEqual({ inside: true, start: iso("00:00:00") });
    expect(at({ from: 0, to: 6 }, "06:00:00")).toEqual({ inside: false, start: iso("00:00:00", "2026-03-11") });
  });
});

describe("the silence gauges", () => {
  // No database or Redis: the figures read at scrape are left out, the silence gauges are computed in the process.
  const noDb = { $queryRaw: () => Promise.reject(new Error("no database")) } as unknown as Db;
  const noQueue = { getJobCounts: () => Promise.reject(new Error("no redis")) };
  const noQueues = { credit: noQueue, billing: noQueue } as unknown as HubQueues;
  const value = (text: string, series: string) => {
    const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it("when payments come, then only new ones move the channel's last payment: pays accepted and first confirms, not checks, duplicates, repeats or refusals", async () => {
    let now = new Date("2026-03-10T10:00:00+10:00");
    const started = now.getTime() / 1000;
    const metrics = new HubMetrics({
      channelSilence: { "osmp:qiwi": { thresholdSeconds: HOUR, hours: { from: 0, to: 24 } }, sms3116: { thresholdSeconds: 12 * HOUR, hours: { from: 8, to: 23 } } },
      now: () => now,
    });
    const last = async (channel: string) => value(await metrics.render(noDb, noQueues), `payhub_channel_last_payment_timestamp_seconds{channel="${channel}"}`);
    expect(await last("osmp:qiwi")).toBe(started);
    expect(await last("sms3116")).toBe(started);
    expect(await last("card")).toBeUndefined();

    const event = { channel: "osmp:qiwi", command: "pay", seconds: 0.01 };
    now = new Date(now.getTime() + 60_000);
    for (const outcome of ["checked", "duplicate", "accountNotFound", "temporaryFailure"]) metrics.onIntakeOutcome({ ...event, outcome });
    metrics.onIntakeOutcome({ channel: "sms3116", command: "open", outcome: "opened", repeat: false, seconds: 0.01 });
    metrics.onIntakeOutcome({ channel: "sms3116", command: "confirm", outcome: "confirmed", repeat: true, seconds: 0.01 });
    expect(await last("osmp:qiwi")).toBe(started);
    expect(await last("sms3116")).toBe(started);

    metrics.onIntakeOutcome({ ...event, outcome: "accepted" });
    metrics.onIntakeOutcome({ channel: "sms3116", command: "confirm", outcome: "confirmed", repeat: false, seconds: 0.01 });
    expect(await last("osmp:qiwi")).toBe(started + 60);
    expect(await last("sms3116")).toBe(started + 60);

    const text = await metrics.render(noDb, noQueues);
    expect(value(text, 'payhub_channel_silence_threshold_seconds{channel="sms3116"}')).toBe(12 * HOUR);
    expect(value(text, 'payhub_channel_working_hours{channel="sms3116"}')).toBe(1);
    expect(value(text, 'payhub_channel_working_period_start_timestamp_seconds{channel="sms3116"}')).toBe(new Date("2026-03-10T08:00:00+10:00").getTime() / 1000);
    expect(value(text, 'payhub_channel_working_period_start_timestamp_seconds{channel="osmp:qiwi"}')).toBe(0);
    now = new Date("2026-03-10T23:30:00+10:00");
    expect(value(await metrics.render(noDb, noQueues), 'payhub_channel_working_hours{channel="sms3116"}')).toBe(0);
  });
});
