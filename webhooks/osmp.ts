import type { Router } from "express";
import { osmpAdapter } from "../adapters/osmp/index.ts";
import type { Config } from "../src/config.ts";
import type { IntakeDeps } from "../src/payments/accept-payment.ts";
import { checkPayRoute, type GuardedProfile } from "./channel-route.ts";
import { createIpAllowlist } from "./source-guard.ts";

/** The OSMP channel id of a profile: the namespace of its txn_ids. */
export const osmpChannel = (profile: string) => `osmp:${profile}`;

/** GET,POST /webhooks/osmp/:profile — every OSMP profile through the one engine. */
export function osmpRoutes(config: Config, deps: IntakeDeps): Router {
  const profiles = new Map<string, GuardedProfile>();
  for (const profile of Object.values(config.osmp)) {
    profiles.set(profile.name, {
      profile: {
        source: { channel: osmpChannel(profile.name), protocol: "osmp", profile: profile.name },
        minKopecks: profile.minKopecks,
        maxKopecks: profile.maxKopecks,
        commissionBasisPoints: profile.commissionBasisPoints,
      },
      allowlist: createIpAllowlist(profile.allowedCidrs, config.env !== "production"),
      basicAuth: profile.basicAuth,
    });
  }
  return checkPayRoute(osmpAdapter, profiles, deps);
}
