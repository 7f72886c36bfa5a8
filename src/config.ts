import { isIP } from "node:net";
import { z } from "zod";
import { parseRubles } from "../lib/money.ts";
import { DEFAULT_SMS_COMMISSION, parseSmsCommissionConfig } from "../adapters/sms3116/index.ts";
import type { SmsCommissionTable } from "../adapters/sms3116/commission.ts";
import type { StaffAuthSettings } from "./staff/sessions.ts";

/**
 * The environment, parsed once at start-up. An invalid value stops the hub with a list that names every variable
 * to fix; secrets are never echoed back.
 */

export const OSMP_PROFILES = ["qiwi", "office-terminals", "vladik", "epos"] as const;
export type OsmpProfileName = (typeof OSMP_PROFILES)[number];
export const BANK_PROFILES = ["sberbank", "primorye"] as const;
export type BankProfileName = (typeof BANK_PROFILES)[number];

/** The environment prefix of a profile's variables: OSMP_OFFICE_TERMINALS_…, BANK_SBERBANK_…. */
const envPrefix = (family: string, name: string) => `${family}_${name.toUpperCase().replace(/-/g, "_")}`;

const rubles = (fallback: string) =>
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

/** QIWI's published source networks (PROTOCOLS.md §8): the qiwi profile's allowlist unless configured. */
export const QIWI_SOURCE_NETWORKS = "79.142.16.0/20,91.232.230.0/23,195.189.100.0/22,91.213.51.0/24";

const splitList = (text: string) => text.split(",").map((part) => part.trim()).filter((part) => part.length > 0);

const commaList = (fallback = "") => z.string().default(fallback).transform(splitList);

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

const milliseconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** The variables every channel profile has: allowlist, optional Basic credentials, limits, commission. */
function profileSchema(prefix: string, defaults: { allowedIps?: string; minSum: string; maxSum: string }) {
  return {
    [`${prefix}_ALLOWED_IPS`]: cidrList(defaults.allowedIps ?? ""),
    [`${prefix}_BASIC_USER`]: z.string().optional(),
    [`${prefix}_BASIC_PASSWORD`]: z.string().optional(),
    [`${prefix}_MIN_SUM`]: rubles(defaults.minSum),
    [`${prefix}_MAX_SUM`]: rubles(defaults.maxSum),
    [`${prefix}_COMMISSION_PERCENT`]: percent,
  };
}

const osmpProfileSchema = (name: OsmpProfileName) =>
  profileSchema(envPrefix("OSMP", name), { allowedIps: name === "qiwi" ? QIWI_SOURCE_NETWORKS : "", minSum: "1.00", maxSum: "15000.00" });

const bankProfileSchema = (name: BankProfileName) => ({
  ...profileSchema(envPrefix("BANK", name), { minSum: "1.00", maxSum: "100000.00" }),
  // Checked only when set: the shared-secret `hash` variant of the bank protocol.
  [`${envPrefix("BANK", name)}_HASH_SECRET`]: z.string().optional(),
});

/** Channels with one endpoint, each verified by its own signature scheme. */
const notificationChannelSchema = {
  ...profileSchema("WEBMONEY", { minSum: "1.00", maxSum: "100000.00" }),
  WEBMONEY_SECRET_KEY: z.string().optional(),
  WEBMONEY_PURSES: commaList(""),
  ...profileSchema("YOOMONEY", { minSum: "1.00", maxSum: "100000.00" }),
  YOOMONEY_NOTIFICATION_SECRET: z.string().optional(),
  ...profileSchema("QIWI_BILL", { allowedIps: QIWI_SOURCE_NETWORKS, minSum: "1.00", maxSum: "100000.00" }),
  QIWI_BILL_SECRET_KEY: z.string().optional(),
  QIWI_BILL_SITE_ID: z.string().optional(),
  // Where bills are issued (POST /api/qiwi-bills); another address only for a test double of QIWI.
  QIWI_BILL_API_URL: z.string().url().default("https://api.qiwi.com"),
  ...profileSchema("ARSENALPAY", { minSum: "1.00", maxSum: "100000.00" }),
  ARSENALPAY_CALLBACK_KEY: z.string().optional(),
  ARSENALPAY_WIDGET_KEY: z.string().optional(),
  ARSENALPAY_WIDGET_ID: z.string().optional(),
  ARSENALPAY_MERCHANT_ID: z.string().optional(),
  ARSENALPAY_API_URL: z.string().url().default("https://arsenalpay.ru"),
  ARSENALPAY_CLIENT_ID: z.string().optional(),
  ARSENALPAY_CLIENT_SECRET: z.string().optional(),
  // SMS to 3116: the operators' public limits are 10–5000 rubles per payment.
  ...profileSchema("SMS", { minSum: "10.00", maxSum: "5000.00" }),
  SMS_SERVICE_KEY: z.string().optional(),
  SMS_API_KEY: z.string().optional(),
  SMS_COMMISSION: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return DEFAULT_SMS_COMMISSION;
      const parsed = parseSmsCommissionConfig(text);
      if (!parsed.ok) {
        ctx.addIssue({ code: "custom", message: parsed.errors.join("; ") });
        return z.NEVER;
      }
      return parsed.table;
    }),
  // Card acquiring (PROTOCOLS.md §4): callbacks on GET /webhooks/card, orders registered by POST /api/card/orders.
  ...profileSchema("CARD", { minSum: "1.00", maxSum: "100000.00" }),
  CARD_CHECKSUM_KEY: z.string().optional(),
  CARD_API_URL: z.string().url().default("https://securepayments.sberbank.ru/payment/rest"),
  CARD_API_USERNAME: z.string().optional(),
  CARD_API_PASSWORD: z.string().optional(),
  CARD_RETURN_URL: z.string().url().optional(),
  CARD_POLL_INTERVAL_MS: milliseconds(5 * 60 * 1000),
  // Card money can take up to 3 banking days; a long weekend makes that 5 calendar days, plus a margin.
  CARD_ORDER_TTL_MS: milliseconds(6 * 24 * 60 * 60 * 1000),
};

const BaseEnv = z.object({
  // Unset: resolved by resolveEnvironment (production when DATABASE_URL is set, development otherwise).
  NODE_ENV: z.enum(["development", "production", "test"]).optional(),
  HUB_ROLE: z.enum(["all", "server", "worker"]).default("all"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  DATA_DIR: z.string().default(".data"),
  HUB_ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  HUB_DEMO_DATA: z.enum(["true", "false"]).optional(),
  TRUST_PROXY: trustProxy,
  // GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` when set.
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  QUEUE_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]+$/).default("payhub"),
  CREDIT_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
  CREDIT_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  CREDIT_BACKOFF_MS: milliseconds(1000),
  SWEEP_INTERVAL_MS: milliseconds(2000),
  SWEEP_AFTER_MS: milliseconds(10000),
  INTAKE_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(500),
  SMS_PENDING_TTL_MS: milliseconds(30 * 60 * 1000),
  STAFF_SESSION_TTL_MINUTES: z.coerce.number().int().min(5).max(7 * 24 * 60).default(12 * 60),
  STAFF_LOCKOUT_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  STAFF_LOCKOUT_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  STAFF_COOKIE_SECURE: z.enum(["true", "false"]).optional(),
  STAFF_DEMO_PASSWORD: z.string().min(10, "must be at least 10 characters").default("demo-password-2026"),
  CASHIER_MIN_SUM: rubles("1.00"),
  CASHIER_MAX_SUM: rubles("100000.00"),
  // Billing notifications (src/billing): every posting is POSTed, signed, to the billing system; unset URL: none sent.
  BILLING_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  BILLING_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  BILLING_TIMEOUT_MS: milliseconds(10_000),
  BILLING_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  BILLING_BACKOFF_MS: milliseconds(2000),
  BILLING_RELAY_INTERVAL_MS: milliseconds(2000),
});
const EnvSchema = BaseEnv.extend(
  Object.assign({}, ...OSMP_PROFILES.map(osmpProfileSchema), ...BANK_PROFILES.map(bankProfileSchema), notificationChannelSchema) as Record<
    string,
    z.ZodType
  >,
);

/** Every variable the hub reads; `.env.example` lists each with a comment (test/unit/config.test.ts checks both ways). */
export const ENV_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

export interface ProfileConfig<Name extends string = string> {
  name: Name;
  allowedCidrs: string[];
  basicAuth: { user: string; password: string } | undefined;
  minKopecks: bigint;
  maxKopecks: bigint;
  commissionBasisPoints: bigint;
}

export type OsmpProfileConfig = ProfileConfig<OsmpProfileName>;

export interface BankProfileConfig extends ProfileConfig<BankProfileName> {
  /** Secrets of the optional `hash` parameter; empty: the hash is not checked. */
  hashSecrets: string[];
  /** The bank's clock: REG_DATE is written in it (Sberbank Moscow, UTC+3; Primorye Vladivostok, UTC+10). */
  utcOffsetMinutes: number;
}

export type HubEnvironment = "development" | "production" | "test";

export interface Config {
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
  redisUrl: string | undefined;
  dataDir: string;
  adminToken: string;
  demoData: boolean;
  /** Express's "trust proxy" setting, in a form Express takes: false, a hop count, or proxy addresses/CIDRs. */
  trustProxy: TrustProxy;
  /** When set, GET /metrics (server and worker) answers only this bearer token. */
  metricsToken: string | undefined;
  logLevel: string;
  queuePrefix: string;
  credit: { concurrency: number; attempts: number; backoffMs: number };
  sweeper: { intervalMs: number; afterMs: number };
  /** Provider requests handled at once; beyond it they get their protocol's "temporary error, repeat later". */
  intakeMaxInFlight: number;
  osmp: Record<OsmpProfileName, OsmpProfileConfig>;
  bank: Record<BankProfileName, BankProfileConfig>;
  webmoney: ProfileConfig<"webmoney"> & { secrets: string[]; purses: string[] };
  yoomoney: ProfileConfig<"yoomoney"> & { secrets: string[] };
  qiwiBill: ProfileConfig<"qiwi-bill"> & { secrets: string[]; siteId: string; apiUrl: string };
  arsenalpay: ProfileConfig<"arsenalpay"> & {
    callbackKeys: string[];
    widgetKey: string | undefined;
    widgetId: string | undefined;
    merchantId: string | undefined;
    /** ArsenalPay's REST API for autopayments; apiClientId and apiClientSecret are both set or both undefined. */
    apiUrl: string;
    apiClientId: string | undefined;
    apiClientSecret: string | undefined;
  };
  sms: ProfileConfig<"sms3116"> & { serviceKeys: string[]; apiKeys: string[]; commission: SmsCommissionTable };
  /** Card acquiring: the callback's checksum keys, the acquirer's API (orders and status polling) and the poller. */
  card: ProfileConfig<"card"> & {
    checksumKeys: string[];
    apiUrl: string;
    apiUserName: string | undefined;
    apiPassword: string | undefined;
    returnUrl: string | undefined;
    pollIntervalMs: number;
    orderTtlMs: number;
  };
  /**
   * Per channel: a pending payment not confirmed within this time is closed as expired. Only channels whose provider
   * may stay silent are listed (an unconfirmed SMS); an ArsenalPay hold waits for ArsenalPay's payment or cancel, and
   * card orders are expired by the card poller (src/card/poll-orders.ts), which asks the acquirer first.
   */
  pendingTtlMsByChannel: Record<string, number>;
  staff: StaffAuthSettings & {
    /** The password of the demo staff created on an empty development database (never in production). */
    demoPassword: string;
  };
  /** Cash payments at the office desks. */
  cashier: { minKopecks: bigint; maxKopecks: bigint };
  billing: BillingConfig;
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
  constructor(public readonly problems: string[], why?: string) {
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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (as `KEY=` in an env file) means "not set", never an empty secret or an empty password.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== "")) as Record<string, string>;
  const parsed = EnvSchema.safeParse(given);
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

  const readProfile = <Name extends string>(prefix: string, name: Name): ProfileConfig<Name> => {
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
  };
  const osmp = Object.fromEntries(OSMP_PROFILES.map((name) => [name, readProfile(envPrefix("OSMP", name), name)])) as Record<OsmpProfileName, OsmpProfileConfig>;
  const bankOffsets: Record<BankProfileName, number> = { sberbank: 180, primorye: 600 };
  const bank = Object.fromEntries(
    BANK_PROFILES.map((name) => {
      const secret = values[`${envPrefix("BANK", name)}_HASH_SECRET`] as string | undefined;
      return [name, { ...readProfile(envPrefix("BANK", name), name), hashSecrets: secret ? [secret] : [], utcOffsetMinutes: bankOffsets[name] }];
    }),
  ) as Record<BankProfileName, BankProfileConfig>;
  const secretList = (name: string) => {
    const secret = values[name] as string | undefined;
    return secret ? [secret] : [];
  };
  const webmoney = { ...readProfile("WEBMONEY", "webmoney"), secrets: secretList("WEBMONEY_SECRET_KEY"), purses: values.WEBMONEY_PURSES as string[] };
  const yoomoney = { ...readProfile("YOOMONEY", "yoomoney"), secrets: secretList("YOOMONEY_NOTIFICATION_SECRET") };
  const qiwiBill = { ...readProfile("QIWI_BILL", "qiwi-bill"), secrets: secretList("QIWI_BILL_SECRET_KEY"), siteId: (values.QIWI_BILL_SITE_ID as string | undefined) ?? "", apiUrl: values.QIWI_BILL_API_URL as string };
  const arsenalpay = {
    ...readProfile("ARSENALPAY", "arsenalpay"),
    callbackKeys: secretList("ARSENALPAY_CALLBACK_KEY"),
    widgetKey: values.ARSENALPAY_WIDGET_KEY as string | undefined,
    widgetId: values.ARSENALPAY_WIDGET_ID as string | undefined,
    merchantId: values.ARSENALPAY_MERCHANT_ID as string | undefined,
    apiUrl: values.ARSENALPAY_API_URL as string,
    apiClientId: values.ARSENALPAY_CLIENT_ID as string | undefined,
    apiClientSecret: values.ARSENALPAY_CLIENT_SECRET as string | undefined,
  };
  if ((arsenalpay.apiClientId === undefined) !== (arsenalpay.apiClientSecret === undefined)) problems.push("ARSENALPAY_CLIENT_ID and ARSENALPAY_CLIENT_SECRET: set both or neither");
  const sms = {
    ...readProfile("SMS", "sms3116"),
    serviceKeys: secretList("SMS_SERVICE_KEY"),
    apiKeys: secretList("SMS_API_KEY"),
    commission: values.SMS_COMMISSION as SmsCommissionTable,
  };
  const card = {
    ...readProfile("CARD", "card"),
    checksumKeys: secretList("CARD_CHECKSUM_KEY"),
    apiUrl: values.CARD_API_URL as string,
    apiUserName: values.CARD_API_USERNAME as string | undefined,
    apiPassword: values.CARD_API_PASSWORD as string | undefined,
    returnUrl: values.CARD_RETURN_URL as string | undefined,
    pollIntervalMs: values.CARD_POLL_INTERVAL_MS as number,
    orderTtlMs: values.CARD_ORDER_TTL_MS as number,
  };
  if ((card.apiUserName === undefined) !== (card.apiPassword === undefined)) problems.push("CARD_API_USERNAME and CARD_API_PASSWORD: set both or neither");
  const billingUrl = values.BILLING_WEBHOOK_URL;
  const billingSecret = values.BILLING_WEBHOOK_SECRET;
  if (billingUrl !== undefined && billingSecret === undefined) problems.push("BILLING_WEBHOOK_SECRET: required when BILLING_WEBHOOK_URL is set (at least 16 characters)");
  if (values.CASHIER_MIN_SUM > values.CASHIER_MAX_SUM) problems.push("CASHIER_MIN_SUM: must not exceed CASHIER_MAX_SUM");
  if (problems.length > 0) throw new ConfigError(problems, why);

  const development = mode.env !== "production";
  return {
    env: mode.env,
    envReason: mode.reason,
    role: values.HUB_ROLE,
    port: values.PORT,
    workerMetricsPort: values.WORKER_METRICS_PORT,
    host: values.HOST,
    databaseUrl: values.DATABASE_URL,
    redisUrl: values.REDIS_URL,
    dataDir: values.DATA_DIR,
    // Production refused to start without its own token (productionRequirements).
    adminToken: values.HUB_ADMIN_TOKEN ?? DEVELOPMENT_ADMIN_TOKEN,
    // Demo subscribers on an empty database: by default everywhere but production, where fake accounts have no place.
    demoData: values.HUB_DEMO_DATA === undefined ? development : values.HUB_DEMO_DATA === "true",
    trustProxy: values.TRUST_PROXY,
    metricsToken: values.METRICS_TOKEN,
    logLevel: values.LOG_LEVEL,
    queuePrefix: values.QUEUE_PREFIX,
    credit: { concurrency: values.CREDIT_CONCURRENCY, attempts: values.CREDIT_ATTEMPTS, backoffMs: values.CREDIT_BACKOFF_MS },
    sweeper: { intervalMs: values.SWEEP_INTERVAL_MS, afterMs: values.SWEEP_AFTER_MS },
    intakeMaxInFlight: values.INTAKE_MAX_IN_FLIGHT,
    osmp,
    bank,
    webmoney,
    yoomoney,
    qiwiBill,
    arsenalpay,
    sms,
    card,
    pendingTtlMsByChannel: { sms3116: values.SMS_PENDING_TTL_MS },
    staff: {
      sessionTtlMinutes: values.STAFF_SESSION_TTL_MINUTES,
      lockoutAttempts: values.STAFF_LOCKOUT_ATTEMPTS,
      lockoutMinutes: values.STAFF_LOCKOUT_MINUTES,
      cookieSecure: values.STAFF_COOKIE_SECURE === undefined ? !development : values.STAFF_COOKIE_SECURE === "true",
      demoPassword: values.STAFF_DEMO_PASSWORD,
    },
    cashier: { minKopecks: values.CASHIER_MIN_SUM, maxKopecks: values.CASHIER_MAX_SUM },
    billing: {
      webhook: billingUrl !== undefined && billingSecret !== undefined ? { url: billingUrl, secret: billingSecret } : undefined,
      timeoutMs: values.BILLING_TIMEOUT_MS,
      attempts: values.BILLING_ATTEMPTS,
      backoffMs: values.BILLING_BACKOFF_MS,
      relayIntervalMs: values.BILLING_RELAY_INTERVAL_MS,
    },
  };
}
