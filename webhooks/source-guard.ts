import { BlockList, isIP } from "node:net";
import { secretsEqual } from "../adapters/contract/index.ts";

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
    const [address, bits, ...extra] = cidr.split("/");
    const family = isIP(address ?? "");
    if (family === 0) throw new Error(`"${cidr}" is not an IP address or CIDR`);
    const type = family === 4 ? "ipv4" : "ipv6";
    // Decimal digits only: Number("") is 0 and Number("0x10") is 16, so "10.1.0.0/" would otherwise allow everyone.
    if (extra.length > 0 || (bits !== undefined && !/^[0-9]{1,3}$/.test(bits))) throw new Error(`"${cidr}" has a bad prefix length`);
    const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
    if (prefix > (family === 4 ? 32 : 128)) throw new Error(`"${cidr}" has a bad prefix length`);
    list.addSubnet(address!, prefix, type);
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
