import { describe, expect, it } from "vitest";
import { templateChannel } from "../../src/channels/_template.ts";
import { ALL_CHANNELS, CHANNELS, channelRoutes, pendingTtlsByChannel } from "../../src/channels/index.ts";
import { ENV_VARIABLES, loadConfig } from "../../src/config.ts";

// The channel catalogue (src/channels) is the one place a channel is declared: its routes are the fixed routes of
// ARCHITECTURE.md, its ids and variables are declared once, and the _template channel is not part of it.

const routesOf = (env: Record<string, string> = {}) =>
  channelRoutes(loadConfig(env)).map(({ route }) => ({
    path: route.path,
    methods: [...route.methods],
    profiles: route.byProfile ? route.profiles.map(({ settings }) => settings.name) : undefined,
    protocol: route.adapter.protocol,
  }));

describe("the channel catalogue", () => {
  it("when the hub mounts the catalogue, then its routes are the fixed routes, with their methods, profiles and protocols", () => {
    expect(routesOf()).toEqual([
      { path: "/webhooks/osmp", methods: ["GET", "POST"], profiles: ["qiwi", "office-terminals", "vladik", "epos"], protocol: "osmp" },
      { path: "/webhooks/bank", methods: ["GET", "POST"], profiles: ["sberbank", "primorye"], protocol: "bank" },
      { path: "/webhooks/webmoney", methods: ["POST"], profiles: undefined, protocol: "webmoney" },
      { path: "/webhooks/yoomoney", methods: ["POST"], profiles: undefined, protocol: "yoomoney" },
      { path: "/webhooks/qiwi-bill", methods: ["POST"], profiles: undefined, protocol: "qiwi-bill" },
      { path: "/webhooks/sms/incoming", methods: ["GET"], profiles: undefined, protocol: "sms3116" },
      { path: "/webhooks/sms/status", methods: ["POST"], profiles: undefined, protocol: "sms3116" },
      { path: "/webhooks/arsenalpay", methods: ["GET", "POST"], profiles: undefined, protocol: "arsenalpay" },
      { path: "/webhooks/card", methods: ["GET"], profiles: undefined, protocol: "card" },
    ]);
  });

  it("when the entries are compared, then no key, channel id or variable is declared twice, and every channel but cash has a clearing account", () => {
    const keys = CHANNELS.map((channel) => channel.key);
    const ids = CHANNELS.flatMap((channel) => channel.channelIds);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ALL_CHANNELS).toEqual([
      "osmp:qiwi",
      "osmp:office-terminals",
      "osmp:vladik",
      "osmp:epos",
      "bank:sberbank",
      "bank:primorye",
      "webmoney",
      "yoomoney",
      "qiwi-bill",
      "sms3116",
      "arsenalpay",
      "card",
    ]);
    expect(ids).toContain("cashier");
    // Payer keys and pending expiry are declared for the entry's own ids.
    for (const channel of CHANNELS) {
      for (const id of Object.keys(channel.payerKeys ?? {})) expect(channel.channelIds, `${channel.key} payer key ${id}`).toContain(id);
    }
    const slices = CHANNELS.flatMap((channel) => Object.keys(channel.environment.variables));
    expect(new Set(slices).size).toBe(slices.length);
    for (const name of slices) expect(ENV_VARIABLES).toContain(name);
  });

  it("when a channel more declares a variable that is declared already, then the configuration is refused, naming the channel and the variable", () => {
    const twin = { ...templateChannel, key: "twin", environment: { ...templateChannel.environment, variables: { ...templateChannel.environment.variables, OSMP_QIWI_MIN_SUM: templateChannel.environment.variables.TEMPLATE_MIN_SUM! } } };
    expect(() => loadConfig({}, { extraChannels: [twin] })).toThrow(/channel twin declares OSMP_QIWI_MIN_SUM/);
  });

  it("when the production catalogue is loaded, then the _template channel is not in it: no route, no variable, no clearing account", () => {
    expect(CHANNELS).not.toContain(templateChannel);
    expect(loadConfig({}).channels).not.toContain(templateChannel);
    expect(routesOf({ TEMPLATE_SECRET: "a-template-secret" }).map((route) => route.path)).not.toContain("/webhooks/template");
    expect(ENV_VARIABLES.filter((name) => name.startsWith("TEMPLATE_"))).toEqual([]);
    expect(ALL_CHANNELS).not.toContain("template");
  });

  it("when the _template channel is added for a test, then its variables are read into its settings and its route is mounted beside the catalogue's", () => {
    const config = loadConfig({ TEMPLATE_SECRET: "a-template-secret", TEMPLATE_MAX_SUM: "500.00" }, { extraChannels: [templateChannel] });
    expect(config.channels.at(-1)).toBe(templateChannel);
    expect((config as unknown as Record<string, unknown>).template).toMatchObject({ name: "template", secrets: ["a-template-secret"], maxKopecks: 50000n });
    expect(channelRoutes(config).map(({ route }) => route.path)).toContain("/webhooks/template");
    expect(() => loadConfig({ TEMPLATE_MIN_SUM: "10.00", TEMPLATE_MAX_SUM: "5.00" }, { extraChannels: [templateChannel] })).toThrow(/TEMPLATE_MIN_SUM: must not exceed TEMPLATE_MAX_SUM/);
  });

  it("when pending payments wait for their provider, then only the SMS channel's are expired by the sweeper, after SMS_PENDING_TTL_MS", () => {
    expect(pendingTtlsByChannel(loadConfig({}))).toEqual({ sms3116: 30 * 60 * 1000 });
    expect(pendingTtlsByChannel(loadConfig({ SMS_PENDING_TTL_MS: "60000" }))).toEqual({ sms3116: 60000 });
    expect(Object.fromEntries(CHANNELS.filter((channel) => channel.pendingExpiry).map((channel) => [channel.key, channel.pendingExpiry!.by]))).toEqual({
      yoomoney: "provider",
      sms: "sweeper",
      arsenalpay: "provider",
      card: "worker",
    });
  });
});
