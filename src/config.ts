import { isIP } from "node:net";
import { z } from "zod";
import { CHANNELS, type ChannelSettings } from "./channels/index.ts";
import type { ChannelDefinition } from "./channels/channel.ts";
import { milliseconds, parseCidr, splitList } from "./env-fields.ts";
import { readChannelSilence, type ChannelSilence } from "./metrics/channel-silence.ts";
import type { RedisAddress, RedisTarget } from "./queue/connection.ts";
import { readRegistrySettings, REGISTRY_VARIABLES, type RegistrySettings } from "./registries/registry-settings.ts";
import type { StaffAuthSettings } from "./staff/sessions.ts";

/**
 * The environment, parsed once at start-up. An invalid value stops the hub with a list that names every variable
 * to fix; secrets are never echoed back. The core's variables are here; each channel's are in its catalogue entry
 * (src/channels), and this schema is assembled from them.
 */

/** The names Express's "trust proxy" also takes for well-known ranges. */
const TRUST_PROXY_NAMES = ["loopback", "linklocal", "uniquelocal"];

/**
 * Which proxies' X-Forwarded-For decides req.ip (and so every source allowlist): none (false), the nearest N hops,
 * or the listed proxy addresses. Never `true`: that believes whatever X-Forwarded-For any caller sends.
 */
export type TrustProxy = false | number | string[];

const trustProxy = z
  .string()
  .default("false")
  .transform((text, ctx): TrustProxy => {
    const value = text.trim();
    if (value.toLowerCase() === "false") return false;
    if (value.toLowerCase() === "true") {
      ctx.addIssue({
        code: "custom",
        message:
          "true is refused: it believes any X-Forwarded-For a caller sends, so anyone could pass a webhook allowlist; write the proxies' addresses (127.0.0.1 or 10.0.0.0/8, comma-separated) or their number in front of the hub (1)",
      });
      return z.NEVER;
    }
    if (/^[0-9]+$/.test(value)) {
      const hops = Number(value);
      if (hops >= 1 && Number.isSafeInteger(hops)) return hops;
      ctx.addIssue({ code: "custom", message: "a hop count must be a positive integer; write false to trust no proxy" });
      return z.NEVER;
    }
    const entries = splitList(value);
    const wrong: string[] = [];
    const everyone: string[] = [];
    for (const entry of entries) {
      if (TRUST_PROXY_NAMES.includes(entry)) continue;
      const parsed = parseCidr(entry);
      if (!parsed.ok) wrong.push(`"${entry}"`);
      else if (parsed.prefix === 0) everyone.push(`"${entry}"`);
    }
    if (everyone.length > 0) {
      ctx.addIssue({ code: "custom", message: `${everyone.join(", ")}: a /0 network trusts every address, as true would; list the proxies' own addresses` });
      return z.NEVER;
    }
    if (wrong.length > 0 || entries.length === 0) {
      ctx.addIssue({
        code: "custom",
        message: `${wrong.join(", ") || "an empty list"}: write false, a hop count, or proxy addresses/CIDRs (or ${TRUST_PROXY_NAMES.join(", ")}), comma-separated`,
      });
      return z.NEVER;
    }
    return entries;
  });

/** One sentinel of REDIS_SENTINELS: a host name, an IPv4 address or a bracketed IPv6 address, and a port. */
function parseSentinel(entry: string): RedisAddress | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/.exec(entry);
  if (!match) return undefined;
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (port < 1 || port > 65535 || (match[1] !== undefined && isIP(host) !== 6)) return undefined;
  return { host, port };
}

const sentinelList = z.string().transform((text, ctx): RedisAddress[] => {
  const entries = splitList(text);
  const wrong = entries.filter((entry) => parseSentinel(entry) === undefined);
  if (wrong.length > 0 || entries.length === 0) {
    ctx.addIssue({
      code: "custom",
      message: `${wrong.map((entry) => `"${entry}"`).join(", ") || "an empty list"}: write the sentinels as host:port, comma-separated (10.0.0.1:26379,10.0.0.2:26379; IPv6 as [fd00::1]:26379)`,
    });
    return z.NEVER;
  }
  return entries.map((entry) => parseSentinel(entry)!);
});

const BaseEnv = z.object({
  // Unset: resolved by resolveEnvironment (production when DATABASE_URL is set, development otherwise).
  NODE_ENV: z.enum(["development", "production", "test"]).optional(),
  HUB_ROLE: z.enum(["all", "server", "worker"]).default("all"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  // Redis through Sentinel instead of REDIS_URL: the sentinels (host:port, comma-separated) and the master group name.
  REDIS_SENTINELS: sentinelList.optional(),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, "must be the master group name the sentinels monitor (letters, digits, . _ -), e.g. mymaster")
    .optional(),
  // The Redis servers' password (a URL's own wins) and the sentinels' own.
  REDIS_PASSWORD: z.string().optional(),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  DATA_DIR: z.string().default(".data"),
  HUB_ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  HUB_DEMO_DATA: z.enum(["true", "false"]).optional(),
  TRUST_PROXY: trustProxy,
  // GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` when set.
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  // Per channel: how long without a payment in its working hours is alerted (src/metrics/channel-silence.ts).
  CHANNEL_SILENCE: z.string().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Unset: readable lines in development and on a terminal, JSON otherwise (defaultLogFormat in src/log.ts).
  LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
  // A hash-tagged prefix ({payhub}) keeps each queue's keys in one Redis Cluster slot, as BullMQ needs there.
  QUEUE_PREFIX: z
    .string()
    .regex(/^(?:[a-zA-Z0-9_-]+|\{[a-zA-Z0-9_-]+\})$/, "letters, digits, _ and - (payhub), or the same in braces for Redis Cluster ({payhub})")
    .default("payhub"),
  // 128: what the credit group commit takes at once (2 statements of 64 payments, src/crediting/credit-worker.ts), so
  // the worker keeps up with the server at saturation instead of crediting in smaller batches (issue 11).
  CREDIT_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(128),
  CREDIT_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  CREDIT_BACKOFF_MS: milliseconds(1000),
  SWEEP_INTERVAL_MS: milliseconds(2000),
  SWEEP_AFTER_MS: milliseconds(10000),
  INTAKE_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(500),
  STAFF_SESSION_TTL_MINUTES: z.coerce.number().int().min(5).max(7 * 24 * 60).default(12 * 60),
  STAFF_LOCKOUT_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  STAFF_LOCKOUT_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  STAFF_COOKIE_SECURE: z.enum(["true", "false"]).optional(),
  STAFF_DEMO_PASSWORD: z.string().min(10, "must be at least 10 characters").default("demo-password-2026"),
  // Billing notifications (src/billing): every posting is POSTed, signed, to the billing system; unset URL: none sent.
  BILLING_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  BILLING_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  BILLING_TIMEOUT_MS: milliseconds(10_000),
  BILLING_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  BILLING_BACKOFF_MS: milliseconds(2000),
  BILLING_RELAY_INTERVAL_MS: milliseconds(2000),
  // Provider registries (src/registries/registry-settings.ts): the worker's API fetches and when each registry is due.
  ...REGISTRY_VARIABLES,
});

/**
 * The hub's one environment schema: the core's variables and every channel's slice. A variable two slices (or a
 * slice and the core) both claim is a mistake in the catalogue, refused at once.
 */
function environmentSchema(channels: readonly ChannelDefinition[]) {
  const variables: Record<string, z.ZodType> = {};
  for (const channel of channels) {
    for (const [name, field] of Object.entries(channel.environment.variables)) {
      if (name in variables || name in BaseEnv.shape) throw new Error(`channel ${channel.key} declares ${name}, which another part of the configuration declares too`);
      variables[name] = field;
    }
  }
  return BaseEnv.extend(variables);
}

const EnvSchema = environmentSchema(CHANNELS);

/** Every variable the hub reads; `.env.example` lists each with a comment (test/unit/config.test.ts checks both ways). */
export const ENV_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

export type HubEnvironment = "development" | "production" | "test";

/** The configuration every module reads: the core's settings here, each channel's under its catalogue key (config.osmp, config.card, …). */
export interface Config extends ChannelSettings {
  /**
   * The rules in force, resolved (see resolveEnvironment): the development conveniences (the development admin
   * token, demo staff, demo subscribers by default, loopback on webhook allowlists, a cookie without Secure) exist
   * only outside production.
   */
  env: HubEnvironment;
  /** Why `env` was chosen, for the start-up log line. */
  envReason: string;
  role: "all" | "server" | "worker";
  port: number;
  /** A worker-only process serves GET /metrics (and /health/live) on this port; the other roles serve it on `port`. */
  workerMetricsPort: number;
  host: string;
  /** Unset means "find or start a local PostgreSQL" (src/infra/local-services.ts). */
  databaseUrl: string | undefined;
  /** REDIS_URL as given; unset with REDIS_SENTINELS too means "find or start a local Redis". */
  redisUrl: string | undefined;
  /**
   * The configured Redis (REDIS_URL or REDIS_SENTINELS, with REDIS_PASSWORD and REDIS_SENTINEL_PASSWORD) that every
   * connection of the hub uses; undefined when neither is set (the local Redis, with `redisPassword` if given).
   */
  redis: RedisTarget | undefined;
  /** REDIS_PASSWORD: the Redis servers' password. Never logged. */
  redisPassword: string | undefined;
  dataDir: string;
  adminToken: string;
  demoData: boolean;
  /** Express's "trust proxy" setting, in a form Express takes: false, a hop count, or proxy addresses/CIDRs. */
  trustProxy: TrustProxy;
  /** When set, GET /metrics (server and worker) answers only this bearer token. */
  metricsToken: string | undefined;
  /** Per channel id: how long without a payment, in which hours, PayhubChannelSilent tolerates (catalogue defaults, CHANNEL_SILENCE). */
  channelSilence: ChannelSilence;
  logLevel: string;
  /** LOG_FORMAT as given; unset, main.ts picks by the rules and the terminal. */
  logFormat: "json" | "pretty" | undefined;
  queuePrefix: string;
  credit: { concurrency: number; attempts: number; backoffMs: number };
  sweeper: { intervalMs: number; afterMs: number };
  /** Provider requests handled at once; beyond it they get their protocol's "temporary error, repeat later". */
  intakeMaxInFlight: number;
  /** The channels this hub serves: the catalogue (src/channels), in a test perhaps with a channel more. */
  channels: readonly ChannelDefinition[];
  staff: StaffAuthSettings & {
    /** The password of the demo staff created on an empty development database (never in production). */
    demoPassword: string;
  };
  billing: BillingConfig;
  /** Provider registries: the API fetches (REGISTRY_API_*, YOOMONEY_API_TOKEN, ARSENALPAY_STATUS_KEY) and the due hours (REGISTRY_DUE*). */
  registries: RegistrySettings;
}

/** Billing notifications: where postings are sent, signed with `secret`; no webhook: nothing is sent, rows wait. */
export interface BillingConfig {
  webhook: { url: string; secret: string } | undefined;
  timeoutMs: number;
  /** Attempts of one notification's job before it is marked failed (BullMQ, exponential backoff from backoffMs). */
  attempts: number;
  backoffMs: number;
  /** How often the relay hands unsent notifications to the queue. */
  relayIntervalMs: number;
}

/** A development token so that the README's commands run unedited; production refuses to start without its own. */
export const DEVELOPMENT_ADMIN_TOKEN = "payhub-development-admin-token";

export class ConfigError extends Error {
  /** `why`: a line after the problems saying why the rules that found them apply. */
  constructor(
    public readonly problems: string[],
    public readonly why?: string,
  ) {
    super(`payhub configuration is invalid:\n${problems.map((line) => `  - ${line}`).join("\n")}\n${why ? `${why}\n` : ""}See .env.example.`);
    this.name = "ConfigError";
  }
}

/** Why production rules apply to a hub given DATABASE_URL but no NODE_ENV. */
export const INFERRED_PRODUCTION_REASON =
  "DATABASE_URL is set and NODE_ENV is not: production rules apply; set NODE_ENV=development to run a development hub on that database";

/**
 * The rules a hub runs under. NODE_ENV, when given, is used as is. Unset, the database decides: no DATABASE_URL
 * means payhub's own local defaults (`npm start` on a laptop), so development; a DATABASE_URL means a deployment,
 * and a deployment that forgot NODE_ENV gets production rules rather than the development conveniences.
 */
export function resolveEnvironment(nodeEnv: HubEnvironment | undefined, databaseUrl: string | undefined): { env: HubEnvironment; reason: string } {
  if (nodeEnv !== undefined) return { env: nodeEnv, reason: `NODE_ENV=${nodeEnv}` };
  if (databaseUrl !== undefined) return { env: "production", reason: INFERRED_PRODUCTION_REASON };
  return { env: "development", reason: "NODE_ENV and DATABASE_URL are not set: development rules apply on the local PostgreSQL and Redis" };
}

/** What production needs that development supplies itself, read from the given variables. */
function productionRequirements(given: Record<string, string | undefined>): string[] {
  const token = given.HUB_ADMIN_TOKEN;
  if (token === undefined) return ["HUB_ADMIN_TOKEN: required in production (a random string of at least 16 characters)"];
  if (token === DEVELOPMENT_ADMIN_TOKEN) return ["HUB_ADMIN_TOKEN: the published development token is refused in production (a random string of at least 16 characters)"];
  return [];
}

/**
 * The Redis every connection uses: REDIS_URL or the Sentinel group, never both; the passwords go along (they are never
 * named in a problem). Undefined: neither is set, the local Redis is used.
 */
function redisTargetOf(values: z.infer<typeof BaseEnv>, problems: string[]): RedisTarget | undefined {
  const { REDIS_URL: url, REDIS_SENTINELS: sentinels, REDIS_SENTINEL_NAME: name, REDIS_PASSWORD: password, REDIS_SENTINEL_PASSWORD: sentinelPassword } = values;
  if (sentinels === undefined) {
    if (name !== undefined) problems.push("REDIS_SENTINEL_NAME: set only with REDIS_SENTINELS (the sentinels to ask for that master)");
    if (sentinelPassword !== undefined) problems.push("REDIS_SENTINEL_PASSWORD: set only with REDIS_SENTINELS");
    return url === undefined ? undefined : { url, password };
  }
  if (url !== undefined) problems.push("REDIS_URL and REDIS_SENTINELS: set one or the other (with Sentinel the sentinels name the master; leave REDIS_URL unset)");
  if (name === undefined) problems.push("REDIS_SENTINEL_NAME: required when REDIS_SENTINELS is set (the master group name the sentinels monitor, e.g. mymaster)");
  if (url !== undefined || name === undefined) return undefined;
  return { sentinels, name, password, sentinelPassword };
}

/**
 * Reads the configuration from the environment. `extraChannels`: channels served beyond the catalogue, for a test that
 * mounts one (the adapters/_template exercise); production serves the catalogue alone.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { extraChannels?: readonly ChannelDefinition[] } = {}): Config {
  const channels: readonly ChannelDefinition[] = options.extraChannels?.length ? [...CHANNELS, ...options.extraChannels] : CHANNELS;
  const schema = channels === CHANNELS ? EnvSchema : environmentSchema(channels);
  // An empty variable (as `KEY=` in an env file) means "not set", never an empty secret or an empty password.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== "")) as Record<string, string>;
  const parsed = schema.safeParse(given);
  // Resolved from the given values, so that a start-up refused for another variable names production's needs too.
  const nodeEnv = BaseEnv.shape.NODE_ENV.safeParse(given.NODE_ENV).data;
  const mode = resolveEnvironment(nodeEnv, given.DATABASE_URL);
  const productionNeeds = mode.env === "production" ? productionRequirements(given) : [];
  // Production that was not asked for by name says why it applies.
  const why = productionNeeds.length > 0 && nodeEnv === undefined ? mode.reason : undefined;
  if (!parsed.success) {
    throw new ConfigError([...parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`), ...productionNeeds], why);
  }
  const values = parsed.data as Record<string, unknown> & z.infer<typeof BaseEnv>;
  const problems: string[] = [...productionNeeds];

  const channelSettings = Object.fromEntries(channels.map((channel) => [channel.key, channel.environment.read(values, problems)]));
  const channelSilence = readChannelSilence(values.CHANNEL_SILENCE, channels, problems);
  const billingUrl = values.BILLING_WEBHOOK_URL;
  const billingSecret = values.BILLING_WEBHOOK_SECRET;
  if (billingUrl !== undefined && billingSecret === undefined) problems.push("BILLING_WEBHOOK_SECRET: required when BILLING_WEBHOOK_URL is set (at least 16 characters)");
  const redis = redisTargetOf(values, problems);
  const registries = readRegistrySettings(values, problems);
  if (problems.length > 0) throw new ConfigError(problems, why);

  const development = mode.env !== "production";
  const core: Omit<Config, keyof ChannelSettings> = {
    env: mode.env,
    envReason: mode.reason,
    role: values.HUB_ROLE,
    port: values.PORT,
    workerMetricsPort: values.WORKER_METRICS_PORT,
    host: values.HOST,
    databaseUrl: values.DATABASE_URL,
    redisUrl: values.REDIS_URL,
    redis,
    redisPassword: values.REDIS_PASSWORD,
    dataDir: values.DATA_DIR,
    // Production refused to start without its own token (productionRequirements).
    adminToken: values.HUB_ADMIN_TOKEN ?? DEVELOPMENT_ADMIN_TOKEN,
    // Demo subscribers on an empty database: by default everywhere but production, where fake accounts have no place.
    demoData: values.HUB_DEMO_DATA === undefined ? development : values.HUB_DEMO_DATA === "true",
    trustProxy: values.TRUST_PROXY,
    metricsToken: values.METRICS_TOKEN,
    channelSilence,
    logLevel: values.LOG_LEVEL,
    logFormat: values.LOG_FORMAT,
    queuePrefix: values.QUEUE_PREFIX,
    credit: { concurrency: values.CREDIT_CONCURRENCY, attempts: values.CREDIT_ATTEMPTS, backoffMs: values.CREDIT_BACKOFF_MS },
    sweeper: { intervalMs: values.SWEEP_INTERVAL_MS, afterMs: values.SWEEP_AFTER_MS },
    intakeMaxInFlight: values.INTAKE_MAX_IN_FLIGHT,
    channels,
    staff: {
      sessionTtlMinutes: values.STAFF_SESSION_TTL_MINUTES,
      lockoutAttempts: values.STAFF_LOCKOUT_ATTEMPTS,
      lockoutMinutes: values.STAFF_LOCKOUT_MINUTES,
      cookieSecure: values.STAFF_COOKIE_SECURE === undefined ? !development : values.STAFF_COOKIE_SECURE === "true",
      demoPassword: values.STAFF_DEMO_PASSWORD,
    },
    billing: {
      webhook: billingUrl !== undefined && billingSecret !== undefined ? { url: billingUrl, secret: billingSecret } : undefined,
      timeoutMs: values.BILLING_TIMEOUT_MS,
      attempts: values.BILLING_ATTEMPTS,
      backoffMs: values.BILLING_BACKOFF_MS,
      relayIntervalMs: values.BILLING_RELAY_INTERVAL_MS,
    },
    registries,
  };
  // Each entry's settings are of its own type, read by its own slice: the catalogue's types say which key holds which.
  return { ...core, ...channelSettings } as Config;
}
