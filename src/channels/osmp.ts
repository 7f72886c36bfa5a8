import { osmpAdapter } from "../../adapters/osmp/index.ts";
import { envPrefix, profileVariables, readProfile, type ProfileConfig } from "../env-fields.ts";
import { channelProfile, defineChannel } from "./channel.ts";

/** OSMP check/pay (PROTOCOLS.md §1): the terminal networks, one engine for every profile. */
export const OSMP_PROFILES = ["qiwi", "office-terminals", "vladik", "epos"] as const;
export type OsmpProfileName = (typeof OSMP_PROFILES)[number];
export type OsmpProfileConfig = ProfileConfig<OsmpProfileName>;

/** QIWI's published source networks (PROTOCOLS.md §8): the qiwi profile's allowlist, and QIWI bills', unless configured. */
export const QIWI_SOURCE_NETWORKS = "79.142.16.0/20,91.232.230.0/23,195.189.100.0/22,91.213.51.0/24";

/** The OSMP channel id of a profile: the namespace of its txn_ids. */
export const osmpChannelId = (profile: string) => `osmp:${profile}`;

const prefix = (name: OsmpProfileName) => envPrefix("OSMP", name);

export const osmpChannel = defineChannel({
  key: "osmp",
  channelIds: OSMP_PROFILES.map(osmpChannelId),
  // No payment for this long in these hours (Vladivostok) is alerted (CHANNEL_SILENCE overrides it): terminals take cash day and night.
  silence: "1h@00-24",
  environment: {
    variables: Object.assign(
      {},
      ...OSMP_PROFILES.map((name) => profileVariables(prefix(name), { allowedIps: name === "qiwi" ? QIWI_SOURCE_NETWORKS : "", minSum: "1.00", maxSum: "15000.00" })),
    ),
    read: (values, problems) =>
      Object.fromEntries(OSMP_PROFILES.map((name) => [name, readProfile(values, problems, prefix(name), name)])) as Record<OsmpProfileName, OsmpProfileConfig>,
  },
  // GET,POST /webhooks/osmp/:profile. No signature in the protocol: the network is trusted by its source address.
  routes: (settings) => [
    {
      path: "/webhooks/osmp",
      byProfile: true,
      methods: ["GET", "POST"],
      body: "urlencoded",
      adapter: osmpAdapter,
      signed: false,
      profiles: Object.values(settings).map((profile) => ({
        settings: profile,
        profile: channelProfile({ channel: osmpChannelId(profile.name), protocol: "osmp", profile: profile.name }, profile),
      })),
    },
  ],
});
