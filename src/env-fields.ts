import { isIP } from "node:net";
import { z } from "zod";
import { parseRubles } from "../lib/money.ts";

/**
 * The kinds of environment variable the hub reads, as zod fields, and the variables every channel profile has: the
 * core's schema (src/config.ts) and each channel's slice of it (src/channels) are written with these.
 */

/** Rubles with up to two kopeck digits ("1.00"), read into kopecks by the one strict parser. */
export const rubles = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const parsed = parseRubles(text);
      if (!parsed.ok) {
        ctx.addIssue({ code: "custom", message: parsed.reason });
        return z.NEVER;
      }
      return parsed.kopecks;
    });

const percent = z
  .string()
  .default("0")
  .transform((text, ctx) => {
    // Percent with up to two decimals ("2.5"), kept as basis points so no float reaches money.
    const parsed = parseRubles(text, { allowZero: true });
    if (!parsed.ok || parsed.kopecks > 10000n) {
      ctx.addIssue({ code: "custom", message: "must be a percent from 0 to 100 with at most two decimals" });
      return z.NEVER;
    }
    return parsed.kopecks;
  });

export const splitList = (text: string) => text.split(",").map((part) => part.trim()).filter((part) => part.length > 0);

export const commaList = (fallback = "") => z.string().default(fallback).transform(splitList);

export const milliseconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** One entry of an address list: a bare address ("79.142.16.5", "::1") or a CIDR ("91.232.230.0/23"). */
export type ParsedCidr = { ok: true; address: string; prefix: number; family: "ipv4" | "ipv6" } | { ok: false; reason: string };

export function parseCidr(cidr: string): ParsedCidr {
  const [address, bits, ...extra] = cidr.split("/");
  const family = isIP(address ?? "");
  if (family === 0) return { ok: false, reason: `"${cidr}" is not an IP address or CIDR` };
  const longest = family === 4 ? 32 : 128;
  // Decimal digits only: Number("") is 0 and Number("0x10") is 16, so "10.1.0.0/" would otherwise allow everyone.
  if (extra.length > 0 || (bits !== undefined && !/^[0-9]{1,3}$/.test(bits)) || Number(bits ?? longest) > longest) {
    return { ok: false, reason: `"${cidr}" has a bad prefix length` };
  }
  return { ok: true, address: address!, prefix: Number(bits ?? longest), family: family === 4 ? "ipv4" : "ipv6" };
}

/** A comma-separated list of addresses and CIDRs (a source allowlist); every entry that is neither is named. */
const cidrList = (fallback = "") =>
  commaList(fallback).superRefine((cidrs, ctx) => {
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr);
      if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.reason });
    }
  });

/** The environment prefix of a profile's variables: OSMP_OFFICE_TERMINALS_…, BANK_SBERBANK_…. */
export const envPrefix = (family: string, name: string) => `${family}_${name.toUpperCase().replace(/-/g, "_")}`;

/** The variables every channel profile has: allowlist, optional Basic credentials, limits, commission. */
export function profileVariables(prefix: string, defaults: { allowedIps?: string; minSum: string; maxSum: string }): Record<string, z.ZodType> {
  return {
    [`${prefix}_ALLOWED_IPS`]: cidrList(defaults.allowedIps ?? ""),
    [`${prefix}_BASIC_USER`]: z.string().optional(),
    [`${prefix}_BASIC_PASSWORD`]: z.string().optional(),
    [`${prefix}_MIN_SUM`]: rubles(defaults.minSum),
    [`${prefix}_MAX_SUM`]: rubles(defaults.maxSum),
    [`${prefix}_COMMISSION_PERCENT`]: percent,
  };
}

/** The environment as parsed, by variable name. */
export type ParsedEnvironment = Readonly<Record<string, unknown>>;

export interface ProfileConfig<Name extends string = string> {
  name: Name;
  allowedCidrs: string[];
  basicAuth: { user: string; password: string } | undefined;
  minKopecks: bigint;
  maxKopecks: bigint;
  commissionBasisPoints: bigint;
}

/** A profile's settings from its variables (see profileVariables); what does not fit together is added to `problems`. */
export function readProfile<Name extends string>(values: ParsedEnvironment, problems: string[], prefix: string, name: Name): ProfileConfig<Name> {
  const user = values[`${prefix}_BASIC_USER`] as string | undefined;
  const password = values[`${prefix}_BASIC_PASSWORD`] as string | undefined;
  if ((user === undefined) !== (password === undefined)) {
    problems.push(`${prefix}_BASIC_USER and ${prefix}_BASIC_PASSWORD: set both or neither`);
  }
  const minKopecks = values[`${prefix}_MIN_SUM`] as bigint;
  const maxKopecks = values[`${prefix}_MAX_SUM`] as bigint;
  if (minKopecks > maxKopecks) problems.push(`${prefix}_MIN_SUM: must not exceed ${prefix}_MAX_SUM`);
  return {
    name,
    allowedCidrs: values[`${prefix}_ALLOWED_IPS`] as string[],
    basicAuth: user !== undefined && password !== undefined ? { user, password } : undefined,
    minKopecks,
    maxKopecks,
    commissionBasisPoints: values[`${prefix}_COMMISSION_PERCENT`] as bigint,
  };
}

/** A secret variable as the list of secrets a verifier accepts: empty when unset (an empty secret never verifies). */
export function secretList(values: ParsedEnvironment, name: string): string[] {
  const secret = values[name] as string | undefined;
  return secret ? [secret] : [];
}
