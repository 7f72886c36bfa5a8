import type { Config } from "../config.ts";
import { arsenalpayChannel } from "./arsenalpay.ts";
import { bankXmlChannel } from "./bank-xml.ts";
import { cardChannel } from "./card.ts";
import { cashierChannel } from "./cashier.ts";
import type { ChannelDefinition, ChannelRoute, SettingsOf } from "./channel.ts";
import { osmpChannel } from "./osmp.ts";
import { qiwiBillChannel } from "./qiwi-bill.ts";
import { sms3116Channel } from "./sms3116.ts";
import { webmoneyChannel } from "./webmoney.ts";
import { yoomoneyChannel } from "./yoomoney.ts";

/**
 * The channel catalogue: every way money reaches payhub, one entry each (a file in this folder). A channel is added
 * here and nowhere else in the core: its adapter folder in adapters/ and its entry make it whole.
 */
export const CHANNELS = [
  osmpChannel,
  bankXmlChannel,
  webmoneyChannel,
  yoomoneyChannel,
  qiwiBillChannel,
  sms3116Channel,
  arsenalpayChannel,
  cardChannel,
  cashierChannel,
] as const;

/** Each catalogue entry's settings under its key: config.osmp, config.card, … */
export type ChannelSettings = { [Definition in (typeof CHANNELS)[number] as Definition["key"]]: SettingsOf<Definition> };

/** A channel's settings in a loaded configuration. */
export function channelSettings<Settings>(config: Config, channel: ChannelDefinition<string, Settings>): Settings {
  return (config as unknown as Record<string, Settings>)[channel.key]!;
}

/** The channel ids that need a clearing account in the ledger. */
export function clearingChannelIds(channels: readonly ChannelDefinition[]): string[] {
  return channels.flatMap((channel) => (channel.clearingAccounts === false ? [] : channel.channelIds));
}

/** Every channel the production hub posts for: each needs its clearing ledger account. */
export const ALL_CHANNELS = clearingChannelIds(CHANNELS);

/** The provider endpoints of the configured channels, each with the channel that declares it. */
export function channelRoutes(config: Config): { channel: ChannelDefinition; route: ChannelRoute }[] {
  return config.channels.flatMap((channel) => (channel.routes?.(channelSettings(config, channel), config.env) ?? []).map((route) => ({ channel, route })));
}

/** Per channel id: how long a pending payment may wait for its provider before the sweeper closes it as expired. */
export function pendingTtlsByChannel(config: Config): Record<string, number> {
  const ttls: Record<string, number> = {};
  for (const channel of config.channels) {
    if (channel.pendingExpiry?.by !== "sweeper") continue;
    const ttlMs = channel.pendingExpiry.ttlMs(channelSettings(config, channel));
    for (const id of channel.channelIds) ttls[id] = ttlMs;
  }
  return ttls;
}

/** The profiles of unsigned routes whose allowlist is empty: they refuse every request until one is configured. */
export function profilesWithoutSources(config: Config): string[] {
  return channelRoutes(config).flatMap(({ route }) => (route.signed ? [] : route.profiles.filter(({ settings }) => settings.allowedCidrs.length === 0).map(({ settings }) => settings.name)));
}
