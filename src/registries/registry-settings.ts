import { z } from "zod";
import { commaList, milliseconds, splitList, type ParsedEnvironment } from "../env-fields.ts";
import { FILE_REGISTRY_CHANNELS } from "./profiles.ts";

/**
 * The registries' variables (src/config.ts adds them to the hub's schema): when the worker fetches the API
 * registries, from which providers, with which credentials beyond the channels' own, and by when each channel's
 * registry is due before it counts as `registry_missing`.
 */

/** The channels whose registry the worker can build from the provider's API (src/registries/api). */
export const API_FETCH_CHANNELS = ["yoomoney", "qiwi-bill", "arsenalpay"] as const;
export type ApiFetchChannel = (typeof API_FETCH_CHANNELS)[number];

/** Every channel a registry is expected from: the file channels and the API ones. */
export const REGISTRY_CHANNELS: readonly string[] = [...new Set([...FILE_REGISTRY_CHANNELS, ...API_FETCH_CHANNELS])];

const hour = (fallback: number) => z.coerce.number().int().min(0, "an hour from 0 to 23 (Moscow time)").max(23, "an hour from 0 to 23 (Moscow time)").default(fallback);

export const REGISTRY_VARIABLES = {
  // How often the worker looks for API registries to fetch, in ms.
  REGISTRY_FETCH_INTERVAL_MS: milliseconds(10 * 60_000),
  // The Moscow hour after which yesterday's API registries are fetched (the day must be over at the provider).
  REGISTRY_API_HOUR: hour(6),
  // Which API registries the worker fetches (each also needs its credentials).
  REGISTRY_API_CHANNELS: commaList(API_FETCH_CHANNELS.join(",")),
  // The Moscow hour of the next day by which a day's registry is due; later, it counts as registry_missing.
  REGISTRY_DUE_HOUR: hour(12),
  // Per channel: <channel>=<hour>|off, comma-separated, over REGISTRY_DUE_HOUR.
  REGISTRY_DUE: z.string().optional(),
  // The YooMoney wallet's OAuth token with the operation-history right: the worker reads the day's deposits.
  YOOMONEY_API_TOKEN: z.string().optional(),
  YOOMONEY_API_URL: z.string().url().default("https://yoomoney.ru"),
  // The secret ArsenalPay signs its status check by RRN with (with ARSENALPAY_MERCHANT_ID).
  ARSENALPAY_STATUS_KEY: z.string().optional(),
} satisfies Record<string, z.ZodType>;

export interface RegistrySettings {
  /** REGISTRY_FETCH_INTERVAL_MS. */
  fetchIntervalMs: number;
  /** REGISTRY_API_HOUR: day D's API registry is fetched from D+1 at this hour, Moscow time. */
  apiHour: number;
  /** REGISTRY_API_CHANNELS. */
  apiChannels: ApiFetchChannel[];
  /** REGISTRY_DUE_HOUR. */
  dueHour: number;
  /** REGISTRY_DUE: per channel, its due hour, or off (no registry expected). */
  due: Readonly<Record<string, number | "off">>;
  /** YOOMONEY_API_TOKEN. Never logged. */
  yoomoneyApiToken: string | undefined;
  yoomoneyApiUrl: string;
  /** ARSENALPAY_STATUS_KEY. Never logged. */
  arsenalpayStatusKey: string | undefined;
}

/** REGISTRY_DUE: `bank:sberbank=10,osmp:qiwi=9,sms3116=off`; what is wrong is added to `problems`. */
export function parseRegistryDue(text: string | undefined, problems: string[]): Record<string, number | "off"> {
  const due: Record<string, number | "off"> = {};
  for (const entry of splitList(text ?? "")) {
    const match = /^([a-z0-9:-]+)\s*=\s*(off|[0-9]{1,2})$/.exec(entry);
    if (!match) {
      problems.push(`REGISTRY_DUE: "${entry}" is not <channel>=<hour>|off: write e.g. bank:sberbank=10,osmp:qiwi=9,sms3116=off`);
      continue;
    }
    const [, channel, value] = match as unknown as [string, string, string];
    if (!REGISTRY_CHANNELS.includes(channel)) {
      problems.push(`REGISTRY_DUE: "${channel}" sends no registry; the channels are ${REGISTRY_CHANNELS.join(", ")}`);
      continue;
    }
    if (channel in due) {
      problems.push(`REGISTRY_DUE: "${channel}" is given twice`);
      continue;
    }
    if (value !== "off" && Number(value) > 23) {
      problems.push(`REGISTRY_DUE: ${channel}=${value}: the hour is 0 to 23 (Moscow time)`);
      continue;
    }
    due[channel] = value === "off" ? "off" : Number(value);
  }
  return due;
}

export function readRegistrySettings(values: ParsedEnvironment, problems: string[]): RegistrySettings {
  const apiChannels: ApiFetchChannel[] = [];
  const names = values.REGISTRY_API_CHANNELS as string[];
  // An empty variable means unset (the default list): `none` turns every API registry off.
  for (const name of names.length === 1 && names[0] === "none" ? [] : names) {
    if ((API_FETCH_CHANNELS as readonly string[]).includes(name)) {
      if (!apiChannels.includes(name as ApiFetchChannel)) apiChannels.push(name as ApiFetchChannel);
    } else {
      problems.push(`REGISTRY_API_CHANNELS: "${name}" has no API registry; write some of ${API_FETCH_CHANNELS.join(", ")} (or none: REGISTRY_API_CHANNELS=none)`);
    }
  }
  return {
    fetchIntervalMs: values.REGISTRY_FETCH_INTERVAL_MS as number,
    apiHour: values.REGISTRY_API_HOUR as number,
    apiChannels,
    dueHour: values.REGISTRY_DUE_HOUR as number,
    due: parseRegistryDue(values.REGISTRY_DUE as string | undefined, problems),
    yoomoneyApiToken: values.YOOMONEY_API_TOKEN as string | undefined,
    yoomoneyApiUrl: values.YOOMONEY_API_URL as string,
    arsenalpayStatusKey: values.ARSENALPAY_STATUS_KEY as string | undefined,
  };
}
