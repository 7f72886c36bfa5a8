/**
 * Each channel's registry profile (REGISTRIES.md's table): the file format it sends, its time zone, and whether a
 * transfer pays for it. Channels without a file (wallets: their registries come from their APIs) and the cash desks
 * (the Z-report is the hub's own) have none.
 */
export interface RegistryProfile {
  /** A name of src/registries/formats (REGISTRY_FORMATS). */
  format: string;
  /** The provider's time zone offset from UTC in hours: the registry day and the hub's payments of that day. */
  utcOffsetHours: number;
  /** A bank transfer pays for it (settlement check); wallets keep the money in the wallet. */
  settles: boolean;
}

/** Moscow (UTC+3 all year since 2014): the providers' operating day unless a profile says otherwise. */
export const MOSCOW_OFFSET_HOURS = 3;

const FILE_PROFILES: Record<string, RegistryProfile> = {
  "osmp:qiwi": { format: "qiwi-tab", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: true },
  "osmp:office-terminals": { format: "qiwi-tab", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: true },
  "osmp:vladik": { format: "qiwi-tab", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: true },
  "osmp:epos": { format: "qiwi-tab", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: true },
  "bank:sberbank": { format: "bank-semicolon", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: true },
  "bank:primorye": { format: "bank-semicolon", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: true },
  card: { format: "card-csv", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: true },
  "qiwi-bill": { format: "qiwi-kassa", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: true },
  arsenalpay: { format: "arsenalpay-csv", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: true },
  sms3116: { format: "sms-csv", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: true },
};

/** Channels whose registry is built from the provider's API, not imported as a file. */
export const API_REGISTRY_CHANNELS = new Set(["yoomoney", "webmoney"]);

/** The profile of an API-built registry: no file format; wallets keep the money, so no transfer settles it. */
export const API_PROFILES: Record<string, RegistryProfile> = {
  yoomoney: { format: "api", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: false },
  webmoney: { format: "api", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: false },
  "qiwi-bill": { format: "api", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: true },
  arsenalpay: { format: "api", utcOffsetHours: MOSCOW_OFFSET_HOURS, settles: true },
};

/** A channel's file registry profile (undefined for channels without registry files). */
export function registryProfile(channel: string): RegistryProfile | undefined {
  return FILE_PROFILES[channel];
}

export const FILE_REGISTRY_CHANNELS = Object.keys(FILE_PROFILES);

/** The UTC instants that bound a provider's day D (YYYY-MM-DD) in its time zone: [from, to). */
export function dayBounds(day: string, utcOffsetHours: number): { from: Date; to: Date } {
  const midnightUtc = Date.parse(`${day}T00:00:00Z`);
  const from = new Date(midnightUtc - utcOffsetHours * 3_600_000);
  return { from, to: new Date(from.getTime() + 24 * 3_600_000) };
}
