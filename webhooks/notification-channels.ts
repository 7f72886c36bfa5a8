import type { Router } from "express";
import { arsenalpayAdapter } from "../adapters/arsenalpay/index.ts";
import { qiwiBillAdapter } from "../adapters/qiwi-bill/index.ts";
import { smsIncomingAdapter, smsStatusAdapter } from "../adapters/sms3116/index.ts";
import { webmoneyAdapter } from "../adapters/webmoney/index.ts";
import { yoomoneyAdapter } from "../adapters/yoomoney/index.ts";
import type { Config } from "../src/config.ts";
import type { IntakeDeps } from "../src/payments/accept-payment.ts";
import { cardRoute } from "./card.ts";
import { guardProfiles, notificationRoute } from "./channel-route.ts";

/** Channel ids of the single-endpoint channels: each is its own id namespace. */
export const NOTIFICATION_CHANNELS = ["webmoney", "yoomoney", "qiwi-bill", "sms3116", "arsenalpay", "card"] as const;

const source = (name: string) => ({ channel: name, protocol: name, profile: name });

/**
 * POST /webhooks/webmoney, /webhooks/yoomoney, /webhooks/qiwi-bill, GET /webhooks/sms/incoming and
 * POST /webhooks/sms/status, GET /webhooks/card. Every request is signed, so an empty allowlist
 * admits any address; a configured one is enforced as well.
 */
export function notificationRoutes(config: Config, deps: IntakeDeps): Record<string, Router> {
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
  const arsenalpay = guardProfiles(config, [config.arsenalpay], (profile, base) => ({
    ...base,
    source: source("arsenalpay"),
    callbackKeys: profile.callbackKeys,
    merchantId: profile.merchantId,
  }), true).get("arsenalpay")!;
  const sms = guardProfiles(config, [config.sms], (profile, base) => ({
    ...base,
    source: source("sms3116"),
    serviceKeys: profile.serviceKeys,
    apiKeys: profile.apiKeys,
    commission: profile.commission,
  }), true).get("sms3116")!;
  return {
    "sms/incoming": notificationRoute(smsIncomingAdapter, sms, deps, "urlencoded", ["GET"]),
    arsenalpay: notificationRoute(arsenalpayAdapter, arsenalpay, deps, "urlencoded", ["GET", "POST"]),
    "sms/status": notificationRoute(smsStatusAdapter, sms, deps, "json"),
    webmoney: notificationRoute(webmoneyAdapter, webmoney, deps, "urlencoded"),
    yoomoney: notificationRoute(yoomoneyAdapter, yoomoney, deps, "urlencoded"),
    "qiwi-bill": notificationRoute(qiwiBillAdapter, qiwiBill, deps, "json"),
    card: cardRoute(config, deps),
  };
}
