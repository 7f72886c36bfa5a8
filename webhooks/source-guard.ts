import { BlockList, isIP } from "node:net";
import { secretsEqual } from "../adapters/contract/index.ts";
import { parseCidr } from "../src/env-fields.ts";

/** A source-IP allowlist from CIDRs ("91.232.230.0/23", "::1/128", or a bare address). */
export interface IpAllowlist {
  allows(address: string | undefined): boolean;
}

/**
 * `anyWhenEmpty`: for channels whose every request carries a signature, an empty list means "any address" (the
 * signature is the guard); for unsigned channels an empty list lets no one in.
 */
export function createIpAllowlist(cidrs: string[], allowLoopback: boolean, anyWhenEmpty = false): IpAllowlist {
  if (anyWhenEmpty && cidrs.length === 0) return { allows: () => true };
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (!parsed.ok) throw new Error(parsed.reason);
    list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  if (allowLoopback) {
    list.addSubnet("127.0.0.0", 8, "ipv4");
    list.addAddress("::1", "ipv6");
  }
  return {
    allows(address) {
      if (!address) return false;
      // Node reports IPv4 clients of a dual-stack socket as IPv4-mapped IPv6 ("::ffff:10.0.0.1").
      const plain = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
      const family = isIP(plain);
      if (family === 0) return false;
      return list.check(plain, family === 4 ? "ipv4" : "ipv6");
    },
  };
}

/** Checks an HTTP Basic Authorization header against one user and password, in constant time. */
export function basicCredentialsMatch(header: string | undefined, expected: { user: string; password: string }): boolean {
  if (!header || !/^Basic /i.test(header)) return false;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return false;
  const userOk = secretsEqual(decoded.slice(0, colon), expected.user);
  const passwordOk = secretsEqual(decoded.slice(colon + 1), expected.password);
  return userOk && passwordOk;
}
