import { describe, expect, it } from "vitest";
import { basicCredentialsMatch, createIpAllowlist } from "../../webhooks/source-guard.ts";

// Who may call a channel's route: the provider's published source addresses, optionally HTTP Basic credentials.

const basic = (userAndPassword: string) => `Basic ${Buffer.from(userAndPassword, "utf8").toString("base64")}`;

describe("createIpAllowlist", () => {
  it("when a provider's IPv4 network is listed as a CIDR, then every address inside it is allowed and none outside", () => {
    const allowlist = createIpAllowlist(["91.232.230.0/23", "10.1.0.0/16"], false);
    expect(allowlist.allows("91.232.230.1")).toBe(true);
    expect(allowlist.allows("91.232.231.254")).toBe(true);
    expect(allowlist.allows("91.232.232.1")).toBe(false);
    expect(allowlist.allows("91.232.229.255")).toBe(false);
    expect(allowlist.allows("10.1.255.255")).toBe(true);
    expect(allowlist.allows("10.2.0.1")).toBe(false);
  });

  it("when a bare address is listed, then exactly that address is allowed", () => {
    const allowlist = createIpAllowlist(["79.142.16.5"], false);
    expect(allowlist.allows("79.142.16.5")).toBe(true);
    expect(allowlist.allows("79.142.16.6")).toBe(false);
  });

  it("when an IPv4 client arrives on a dual-stack socket as ::ffff:a.b.c.d, then it is judged by its IPv4 address", () => {
    const allowlist = createIpAllowlist(["10.1.0.0/16"], false);
    expect(allowlist.allows("::ffff:10.1.2.3")).toBe(true);
    expect(allowlist.allows("::ffff:10.9.2.3")).toBe(false);
  });

  it("when IPv6 networks and addresses are listed, then they are matched as IPv6", () => {
    const allowlist = createIpAllowlist(["2001:db8:1::/48", "2a02:6b8::feed"], false);
    expect(allowlist.allows("2001:db8:1:ffff::1")).toBe(true);
    expect(allowlist.allows("2001:db8:2::1")).toBe(false);
    expect(allowlist.allows("2a02:6b8::feed")).toBe(true);
    expect(allowlist.allows("2a02:6b8::feee")).toBe(false);
  });

  it("when loopback is not allowed (production), then 127.0.0.1, ::1 and ::ffff:127.0.0.1 are refused", () => {
    const allowlist = createIpAllowlist(["10.1.0.0/16"], false);
    expect(allowlist.allows("127.0.0.1")).toBe(false);
    expect(allowlist.allows("::1")).toBe(false);
    expect(allowlist.allows("::ffff:127.0.0.1")).toBe(false);
  });

  it("when loopback is allowed (development), then local callers pass even if the list excludes them", () => {
    const allowlist = createIpAllowlist(["10.1.0.0/16"], true);
    expect(allowlist.allows("127.0.0.1")).toBe(true);
    expect(allowlist.allows("127.8.9.10")).toBe(true);
    expect(allowlist.allows("::1")).toBe(true);
    expect(allowlist.allows("::ffff:127.0.0.1")).toBe(true);
    expect(allowlist.allows("10.2.0.1")).toBe(false);
  });

  it("when the list is empty and loopback is not allowed, then nobody is allowed", () => {
    const allowlist = createIpAllowlist([], false);
    for (const address of ["127.0.0.1", "10.0.0.1", "8.8.8.8", "::1", "2001:db8::1"]) expect(allowlist.allows(address)).toBe(false);
  });

  it("when the source address is missing or not an address, then it is refused", () => {
    const allowlist = createIpAllowlist(["0.0.0.0/0"], true);
    expect(allowlist.allows(undefined)).toBe(false);
    expect(allowlist.allows("")).toBe(false);
    expect(allowlist.allows("localhost")).toBe(false);
    expect(allowlist.allows("10.1.2.3, 127.0.0.1")).toBe(false);
  });

  it.each([
    ["10.1.0.0/33"],
    ["10.1.0.0/-1"],
    ["10.1.0.0/abc"],
    ["10.1.0.0/"],
    ["10.1.0.0/0x10"],
    ["10.1.0.0/16/8"],
    ["10.1.0.0/ 16"],
    ["2001:db8::/129"],
    ["10.1.0/16"],
    ["300.1.0.0/16"],
    ["vladik.example.ru"],
    [""],
  ])("when a configured CIDR is %j, then creating the allowlist throws and names it", (cidr) => {
    expect(() => createIpAllowlist([cidr], false)).toThrow(cidr === "" ? /is not an IP address/ : cidr);
  });
});

describe("basicCredentialsMatch", () => {
  const expected = { user: "epos", password: "s3cret:with:colons" };

  it("when the user and password are right, then they match", () => {
    expect(basicCredentialsMatch(basic("epos:s3cret:with:colons"), expected)).toBe(true);
    expect(basicCredentialsMatch(`basic ${Buffer.from("epos:s3cret:with:colons").toString("base64")}`, expected)).toBe(true);
  });

  it("when the user and password are non-ASCII and sent as UTF-8, then they match", () => {
    expect(basicCredentialsMatch(basic("касса:пароль"), { user: "касса", password: "пароль" })).toBe(true);
  });

  it.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["a wrong password", basic("epos:s3cret")],
    ["a wrong user", basic("Epos:s3cret:with:colons")],
    ["the password with a trailing space", basic("epos:s3cret:with:colons ")],
    ["no colon", basic("epos")],
    ["an empty user and password", basic(":")],
    ["a Bearer token", `Bearer ${Buffer.from("epos:s3cret:with:colons").toString("base64")}`],
    ["the credentials unencoded", "Basic epos:s3cret:with:colons"],
    ["the scheme alone", "Basic"],
  ])("when the request carries %s, then it does not match", (_what, header) => {
    expect(basicCredentialsMatch(header, expected)).toBe(false);
  });
});
