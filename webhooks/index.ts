import type express from "express";
import { channelRoutes, channelSettings } from "../src/channels/index.ts";
import type { PaymentInquiry } from "../src/channels/channel.ts";
import type { Config } from "../src/config.ts";
import type { IntakeDeps } from "../src/payments/handle-command.ts";
import { channelRouter } from "./channel-route.ts";

/**
 * Mounts the route of every channel the hub serves (config.channels: the catalogue in src/channels) on its fixed path
 * under /webhooks. Nothing here names a channel: a route, its body parser, its adapter, its guard and the channel's
 * rules of intake come from the channel's entry.
 */
export function mountChannelRoutes(app: express.Express, config: Config, intake: IntakeDeps): void {
  // One provider API client per channel, shared by its routes (the card acquirer's status API, for reconciles).
  const inquiries = new Map<string, PaymentInquiry | undefined>();
  for (const { channel, route } of channelRoutes(config)) {
    if (!inquiries.has(channel.key)) inquiries.set(channel.key, channel.inquiry?.(channelSettings(config, channel), intake));
    app.use(route.path, channelRouter(route, config.env, intake, { inquiry: inquiries.get(channel.key), rules: channel.intakeRules }));
  }
}
