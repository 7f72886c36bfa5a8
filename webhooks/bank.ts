import type { Router } from "express";
import { bankAdapter } from "../adapters/bank-xml/index.ts";
import type { Config } from "../src/config.ts";
import type { IntakeDeps } from "../src/payments/accept-payment.ts";
import { checkPayRoute, guardProfiles } from "./channel-route.ts";

/** The bank channel id of a profile: the namespace of its PAY_IDs. */
export const bankChannel = (profile: string) => `bank:${profile}`;

/** GET /webhooks/bank/:profile — Sberbank Online and Bank "Primorye" through the one bank-XML engine. */
export function bankRoutes(config: Config, deps: IntakeDeps): Router {
  const profiles = guardProfiles(config, Object.values(config.bank), (profile, base) => ({
    ...base,
    source: { channel: bankChannel(profile.name), protocol: "bank", profile: profile.name },
    hashSecrets: profile.hashSecrets,
    utcOffsetMinutes: profile.utcOffsetMinutes,
  }));
  return checkPayRoute(bankAdapter, profiles, deps);
}
