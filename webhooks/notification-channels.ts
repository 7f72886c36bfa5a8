import type { Router } from "express";
import { qiwiBillAdapter } from "../adapters/qiwi-bill/index.ts";
import { webmoneyAdapter } from "../adapters/webmoney/index.ts";
import { yoomoneyAdapter } from "../adapters/yoomoney/index.ts";
import type { Config } from "../src/config.ts";
import type { IntakeDeps } from "../src/payments/accept-payment.ts";
import { guardProfiles, notificationRoute } from "./channel-route.ts";

/** Channel ids of the single-endpoint channels: each is its own id namespace. */
export const NOTIFICATION_CHANNELS = ["webmoney", "yoomoney", "qiwi-bill"] as const;

const source = (name: string) => ({ channel: name, protocol: name, profile: name });

/**
 * POST /webhooks/webmoney, /webhooks/yoomoney, /webhooks/qiwi-bill. Every request is signed, so an empty allowlist
 * admits any address; a configured one is enforced as well.
 */
export function notificationRoutes(config: Config, deps: IntakeDeps): Record<(typeof NOTIFICATION_CHANNELS)[number], Router> {
  const webmoney = guardProfiles(config, [config.webmoney], (profile, base) => ({
    ...base,
    source: source("webmoney"),
    secrets: profile.secrets,
    purses: profile.purses,
    // LMI_MODE=1 is WebMoney's test mode: never money in production.
    testPaymentsCredit: config.env !== "production",
  }), true).get("webmoney")!;
  const yoomoney = guardProfiles(config, [config.yoomoney], (profile, base) => ({ ...base, source: source("yoomoney"), secrets: profile.secrets }), true).get("yoomoney")!;
  const qiwiBill = guardProfiles(config, [config.qiwiBill], (profile, base) => ({
    ...base,
    source: source("qiwi-bill"),
    secrets: profile.secrets,
    siteId: profile.siteId,
  }), true).get("qiwi-bill")!;
  return {
    webmoney: notificationRoute(webmoneyAdapter, webmoney, deps, "urlencoded"),
    yoomoney: notificationRoute(yoomoneyAdapter, yoomoney, deps, "urlencoded"),
    "qiwi-bill": notificationRoute(qiwiBillAdapter, qiwiBill, deps, "json"),
  };
}
