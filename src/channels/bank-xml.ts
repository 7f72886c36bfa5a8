import { z } from "zod";
import { bankAdapter } from "../../adapters/bank-xml/index.ts";
import { envPrefix, profileVariables, readProfile, secretList, type ProfileConfig } from "../env-fields.ts";
import { channelProfile, defineChannel } from "./channel.ts";

/** Bank check/payment XML (PROTOCOLS.md §2): Sberbank Online and Bank "Primorye", one engine. */
export const BANK_PROFILES = ["sberbank", "primorye"] as const;
export type BankProfileName = (typeof BANK_PROFILES)[number];

export interface BankProfileConfig extends ProfileConfig<BankProfileName> {
  /** Secrets of the optional `hash` parameter; empty: the hash is not checked. */
  hashSecrets: string[];
  /** The bank's clock: REG_DATE is written in it (Sberbank Moscow, UTC+3; Primorye Vladivostok, UTC+10). */
  utcOffsetMinutes: number;
}

const UTC_OFFSET_MINUTES: Record<BankProfileName, number> = { sberbank: 180, primorye: 600 };

/** The bank channel id of a profile: the namespace of its PAY_IDs. */
export const bankChannelId = (profile: string) => `bank:${profile}`;

const prefix = (name: BankProfileName) => envPrefix("BANK", name);

export const bankXmlChannel = defineChannel({
  key: "bank",
  channelIds: BANK_PROFILES.map(bankChannelId),
  // No payment for this long in these hours (Vladivostok) is alerted (CHANNEL_SILENCE overrides it): bank registries and online banking, all day.
  silence: "1h@00-24",
  environment: {
    variables: Object.assign(
      {},
      ...BANK_PROFILES.map((name) => ({
        ...profileVariables(prefix(name), { minSum: "1.00", maxSum: "100000.00" }),
        // Checked only when set: the shared-secret `hash` variant of the bank protocol.
        [`${prefix(name)}_HASH_SECRET`]: z.string().optional(),
      })),
    ),
    read: (values, problems) =>
      Object.fromEntries(
        BANK_PROFILES.map((name) => {
          const hashSecrets = secretList(values, `${prefix(name)}_HASH_SECRET`);
          return [name, { ...readProfile(values, problems, prefix(name), name), hashSecrets, utcOffsetMinutes: UTC_OFFSET_MINUTES[name] }];
        }),
      ) as Record<BankProfileName, BankProfileConfig>,
  },
  // GET /webhooks/bank/:profile (POST is read the same way). Unsigned but for the optional hash: guarded by address.
  routes: (settings) => [
    {
      path: "/webhooks/bank",
      byProfile: true,
      methods: ["GET", "POST"],
      body: "urlencoded",
      adapter: bankAdapter,
      signed: false,
      profiles: Object.values(settings).map((profile) => ({
        settings: profile,
        profile: {
          ...channelProfile({ channel: bankChannelId(profile.name), protocol: "bank", profile: profile.name }, profile),
          hashSecrets: profile.hashSecrets,
          utcOffsetMinutes: profile.utcOffsetMinutes,
        },
      })),
    },
  ],
});
