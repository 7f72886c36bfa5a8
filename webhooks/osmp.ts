import type { Router } from "express";
import { osmpAdapter } from "../adapters/osmp/index.ts";
import type { Config } from "../src/config.ts";
import type { IntakeDeps } from "../src/payments/accept-payment.ts";
import { checkPayRoute, guardProfiles } from "./channel-route.ts";

/** The OSMP channel id of a profile: the namespace of its txn_ids. */
export const osmpChannel = (profile: string) => `osmp:${profile}`;

/** GET,POST /webhooks/osmp/:profile — every OSMP profile through the one engine. */
export function osmpRoutes(config: Config, deps: IntakeDeps): Router {
  const profiles = guardProfiles(config, Object.values(config.osmp), (profile, base) => ({
    ...base,
    source: { channel: osmpChannel(profile.name), protocol: "osmp", profile: profile.name },
  }));
  return checkPayRoute(osmpAdapter, profiles, deps);
}
