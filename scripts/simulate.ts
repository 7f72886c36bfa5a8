/**
 * `npm run simulate -- <channel> [options]`: the provider simulator. Sends real, correctly signed protocol traffic to
 * a running hub, exactly as each provider sends it (the same shapes as test/support/osmp-client.ts, bank-client.ts and
 * the notification and SMS integration tests), and reads each answer in the provider's own terms.
 *
 * One line per request (channel, method, path, key fields, HTTP status, the provider-level result); with more than 10
 * payments a progress line every second instead, then a summary. Exit codes: 0 every answer was the protocol's
 * success, 1 some were not (refused, transport errors), 2 a bad call (usage printed).
 *
 * Secrets come from options or the hub's own environment variables (`set -a; . ./.env` works) and are never printed:
 * lines show the path without its query, so neither a bank `hash` nor an SMS `skey` reaches the terminal (nor a card
 * `checksum`).
 */
import { createHmac, randomInt, randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bankHash } from "../adapters/bank-xml/verify.ts";
import { expectedCardChecksum } from "../adapters/card/verify.ts";
import { expectedArsenalpaySign } from "../adapters/arsenalpay/verify.ts";
import { formatRubles, parseRubles } from "../lib/money.ts";
import { BANK_PROFILES } from "../src/channels/bank-xml.ts";
import { OSMP_PROFILES } from "../src/channels/osmp.ts";
import { expectedSignature } from "../adapters/qiwi-bill/verify.ts";
import { expectedSkey, expectedStatusSignature } from "../adapters/sms3116/verify.ts";
import { expectedLmiHash, expectedLmiHash2 } from "../adapters/webmoney/verify.ts";
import { expectedSha1Hash } from "../adapters/yoomoney/verify.ts";

export const USAGE = `usage: npm run simulate -- <channel> [options]
channels: osmp, bank, webmoney, yoomoney, qiwi-bill, sms, card, arsenalpay
common options: --url http://localhost:3000  --account 100080  --sum 100.00  --id <external id, default: random>
                --count N (default 1; N payments with consecutive ids)  --concurrency C (default 1)  --repeat R (send each request R times: shows idempotency)
osmp:      --profile qiwi|office-terminals|vladik|epos  --check (send check instead of pay)  --basic user:password
bank:      --profile sberbank|primorye  --check  --secret <hash secret>
webmoney:  --secret (default env WEBMONEY_SECRET_KEY)  --purse (default first of env WEBMONEY_PURSES)  --prerequest  --test-mode
           --token (env HUB_ADMIN_TOKEN, else the development token): each payment first gets its invoice (LMI_PAYMENT_NO) from
           the hub's POST /api/webmoney/invoices, as the site does; --id is LMI_SYS_TRANS_NO
yoomoney:  --secret (env YOOMONEY_NOTIFICATION_SECRET)  --test-notification  --codepro  --unaccepted
qiwi-bill: --secret (env QIWI_BILL_SECRET_KEY)  --site (env QIWI_BILL_SITE_ID)  --status PAID|REJECTED|EXPIRED
           (--id is the billId: one payhub issued with POST /api/qiwi-bills is credited to its account; any other goes to suspense)
sms:       --service-key (env SMS_SERVICE_KEY)  --api-key (env SMS_API_KEY)  --operator mts  --confirm success|failure|none (default success: after the incoming SMS, send the status callback for it)
card:      --order <orderNumber> (required: the hub's, e.g. from POST /api/card/orders)  --key (env CARD_CHECKSUM_KEY)  --md-order <acquirer's order id, default: random>
           --operation deposited|approved|declinedByTimeout|reversed|refunded (default deposited)  --status 1|0 (default 1)  --amount <rubles, sent in kopecks; default: none sent>
arsenalpay: --key (env ARSENALPAY_CALLBACK_KEY)  --merchant (env ARSENALPAY_MERCHANT_ID, else 166301)
           --function check|payment|hold|cancel|refund|reverse (default payment; --id is the RRN)  --json (sends FORMAT=json)
notes: osmp --basic defaults to env OSMP_<PROFILE>_BASIC_USER/_PASSWORD; bank --secret to env BANK_<PROFILE>_HASH_SECRET
       (no hash when neither is set) and bank takes --basic too; webmoney --prerequest sends the pre-request first and
       the notification only when it answers YES. card sends the acquirer's callback about one order the hub registered:
       --account, --sum, --id, --count and --concurrency are not its options (the order carries them). Prefer the
       environment for secrets: npm echoes its command line (npm run -s does not). Exit 0 when every answer was the
       protocol's success, 1 otherwise, 2 on a bad call.`;

const CHANNELS = ["osmp", "bank", "webmoney", "yoomoney", "qiwi-bill", "sms", "card", "arsenalpay"] as const;
type ChannelName = (typeof CHANNELS)[number];
const QIWI_STATUSES = ["PAID", "REJECTED", "EXPIRED"] as const;
const SMS_CONFIRMS = ["success", "failure", "none"] as const;
const CARD_OPERATIONS = ["deposited", "approved", "declinedByTimeout", "reversed", "refunded"] as const;
const CARD_STATUSES = ["1", "0"] as const;
const ARSENALPAY_FUNCTIONS = ["check", "payment", "hold", "cancel", "refund", "reverse"] as const;

const COMMON_OPTIONS = ["url", "account", "sum", "id", "count", "concurrency", "repeat", "help"];
const CHANNEL_OPTIONS: Record<ChannelName, string[]> = {
  osmp: ["profile", "check", "basic"],
  bank: ["profile", "check", "secret", "basic"],
  webmoney: ["secret", "purse", "prerequest", "test-mode", "token"],
  yoomoney: ["secret", "test-notification", "codepro", "unaccepted"],
  "qiwi-bill": ["secret", "site", "status"],
  sms: ["service-key", "api-key", "operator", "confirm"],
  card: ["order", "md-order", "operation", "status", "amount", "key"],
  arsenalpay: ["key", "merchant", "function", "json"],
};
/** Common options a channel does not take: a card callback is about one order, whose account and sum the hub holds. */
const NOT_COMMON_FOR: Partial<Record<ChannelName, string[]>> = {
  card: ["account", "sum", "id", "count", "concurrency"],
};

const OPTIONS = {
  url: { type: "string" },
  account: { type: "string" },
  sum: { type: "string" },
  id: { type: "string" },
  count: { type: "string" },
  concurrency: { type: "string" },
  repeat: { type: "string" },
  help: { type: "boolean", short: "h" },
  profile: { type: "string" },
  check: { type: "boolean" },
  basic: { type: "string" },
  secret: { type: "string" },
  purse: { type: "string" },
  token: { type: "string" },
  prerequest: { type: "boolean" },
  "test-mode": { type: "boolean" },
  "test-notification": { type: "boolean" },
  codepro: { type: "boolean" },
  unaccepted: { type: "boolean" },
  site: { type: "string" },
  status: { type: "string" },
  "service-key": { type: "string" },
  "api-key": { type: "string" },
  operator: { type: "string" },
  confirm: { type: "string" },
  order: { type: "string" },
  "md-order": { type: "string" },
  operation: { type: "string" },
  amount: { type: "string" },
  key: { type: "string" },
  merchant: { type: "string" },
  function: { type: "string" },
  json: { type: "boolean" },
} as const;

type Env = Record<string, string | undefined>;
type Out = (line: string) => void;

/** A request exactly as it goes on the wire, plus the key fields its line shows. */
interface WireRequest {
  method: "GET" | "POST";
  path: string;
  /** Query string without "?": never printed (it may carry a hash or skey). */
  query?: string;
  headers: Record<string, string>;
  body?: string;
  /** What this request is ("pay", "check", "notification", …) and its key fields, in the protocol's names. */
  what: string;
  keys: Record<string, string>;
  /** Sent once whatever --repeat says: a step of payhub's own (an invoice the site asks for), not the provider's. */
  once?: boolean;
}

interface Answer {
  status: number;
  body: string;
}

type Outcome = "ok" | "refused" | "error";

/** The provider's reading of an answer. `reference` must be the same on every repeat (idempotency). */
interface Judged {
  outcome: Outcome;
  result: string;
  reference?: string | undefined;
}

type Judge = (answer: Answer) => Judged;
type Exchange = (request: WireRequest, judge: Judge) => Promise<Judged[]>;
/** One payment of a channel: its requests in order, each sent through `exchange` (which repeats it). */
type Flow = (id: string, exchange: Exchange) => Promise<void>;

class UsageError extends Error {}

const REQUEST_TIMEOUT_MS = 65_000;
const SHOWN_FAILURES_WHEN_QUIET = 10;
const PAYER_PHONE = "79141234567";

/** The simulator without the process around it: returns the exit code. */
export async function runSimulator(argv: string[], env: Env, out: Out): Promise<number> {
  let settings: Settings;
  try {
    const parsed = parseCall(argv.filter((arg, index) => !(index === 0 && arg === "--")), env);
    if (parsed === "help") {
      out(USAGE);
      return 0;
    }
    settings = parsed;
  } catch (error) {
    if (error instanceof UsageError || (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      out(`simulate: ${error.message}`);
      out(USAGE);
      return 2;
    }
    throw error;
  }
  return simulate(settings, out);
}

interface Settings {
  channel: ChannelName;
  url: string;
  account: string;
  sum: string;
  ids: (index: number) => string;
  count: number;
  concurrency: number;
  repeat: number;
  flow: Flow;
}

function parseCall(argv: string[], env: Env): Settings | "help" {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) return "help";
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? "name a channel" : "name exactly one channel");
  const channel = positionals[0] as ChannelName;
  // Not echoed: a misplaced argument may be a secret.
  if (!CHANNELS.includes(channel)) throw new UsageError(`unknown channel: the first argument must be one of ${CHANNELS.join(", ")}`);
  const notCommon = NOT_COMMON_FOR[channel] ?? [];
  const allowed = new Set([...COMMON_OPTIONS.filter((name) => !notCommon.includes(name)), ...CHANNEL_OPTIONS[channel]]);
  for (const name of Object.keys(values)) {
    if (!allowed.has(name)) throw new UsageError(`--${name} is not an option of ${channel}`);
  }
  const given = values as Record<string, string | boolean | undefined>;
  const text = (name: string): string | undefined => {
    const value = given[name];
    return typeof value === "string" ? value : undefined;
  };
  const flag = (name: string): boolean => given[name] === true;
  // An empty variable (KEY= in an env file) means "not set", as the hub reads it.
  const fromEnv = (name: string): string | undefined => (env[name] ? env[name] : undefined);
  const positive = (name: string, fallback: number): number => {
    const value = text(name);
    if (value === undefined) return fallback;
    if (!/^[1-9][0-9]{0,6}$/.test(value)) throw new UsageError(`--${name} must be a whole number from 1 to 9999999`);
    return Number(value);
  };

  const url = (text("url") ?? "http://localhost:3000").replace(/\/+$/, "");
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new UsageError("--url is not a URL (e.g. http://localhost:3000)");
  }
  if (parsedUrl.protocol !== "http:" && parsedUrl.protocol !== "https:") throw new UsageError("--url must be an http:// or https:// URL");

  const account = text("account") ?? "100080";
  const sum = text("sum") ?? "100.00";
  const count = positive("count", 1);
  const concurrency = positive("concurrency", 1);
  const repeat = positive("repeat", 1);
  const firstId = text("id") ?? String(randomInt(100_000_000_000, 900_000_000_000));
  if (firstId === "") throw new UsageError("--id must not be empty");
  const ids = consecutiveIds(firstId);
  const choice = <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
    const value = text(name) ?? fallback;
    if (!choices.includes(value as T)) throw new UsageError(`--${name} must be one of ${choices.join(", ")}`);
    return value as T;
  };
  const required = (option: string, variable: string, what: string): string => {
    const value = text(option) ?? fromEnv(variable);
    if (value === undefined || value === "") throw new UsageError(`${channel} needs ${what}: give --${option} or set ${variable}`);
    return value;
  };
  const basicAuth = (prefix: string): string | undefined => {
    const option = text("basic");
    if (option !== undefined) {
      if (!option.includes(":")) throw new UsageError("--basic must be user:password");
      return `Basic ${Buffer.from(option, "utf8").toString("base64")}`;
    }
    const user = fromEnv(`${prefix}_BASIC_USER`);
    const password = fromEnv(`${prefix}_BASIC_PASSWORD`);
    return user !== undefined && password !== undefined ? `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}` : undefined;
  };
  const envPrefix = (family: string, profile: string) => `${family}_${profile.toUpperCase().replace(/-/g, "_")}`;

  let flow: Flow;
  switch (channel) {
    case "osmp": {
      const profile = choice("profile", OSMP_PROFILES, "qiwi");
      flow = osmpFlow({ profile, check: flag("check"), authorization: basicAuth(envPrefix("OSMP", profile)), account, sum });
      break;
    }
    case "bank": {
      const profile = choice("profile", BANK_PROFILES, "sberbank");
      const prefix = envPrefix("BANK", profile);
      flow = bankFlow({ profile, check: flag("check"), secret: text("secret") ?? fromEnv(`${prefix}_HASH_SECRET`), authorization: basicAuth(prefix), account, sum });
      break;
    }
    case "webmoney": {
      const secret = required("secret", "WEBMONEY_SECRET_KEY", "the merchant's secret key");
      const purse = text("purse") ?? fromEnv("WEBMONEY_PURSES")?.split(",").map((part) => part.trim()).find((part) => part !== "");
      if (!purse) throw new UsageError("webmoney needs the hub's purse: give --purse or set WEBMONEY_PURSES");
      // Not echoed anywhere: the token travels only in the invoice request's header.
      const token = text("token") ?? fromEnv("HUB_ADMIN_TOKEN") ?? "payhub-development-admin-token";
      flow = webmoneyFlow({ secret, purse, token, prerequest: flag("prerequest"), testMode: flag("test-mode"), account, sum });
      break;
    }
    case "yoomoney": {
      const secret = required("secret", "YOOMONEY_NOTIFICATION_SECRET", "the notification secret");
      flow = yoomoneyFlow({ secret, testNotification: flag("test-notification"), codepro: flag("codepro"), unaccepted: flag("unaccepted"), account, sum });
      break;
    }
    case "qiwi-bill": {
      const secret = required("secret", "QIWI_BILL_SECRET_KEY", "the secret key");
      const siteId = required("site", "QIWI_BILL_SITE_ID", "the siteId");
      flow = qiwiBillFlow({ secret, siteId, status: choice("status", QIWI_STATUSES, "PAID"), account, sum });
      break;
    }
    case "sms": {
      const confirm = choice("confirm", SMS_CONFIRMS, "success");
      const serviceKey = required("service-key", "SMS_SERVICE_KEY", "the service key");
      const apiKey = confirm === "none" ? "" : required("api-key", "SMS_API_KEY", "the API key for the status callback");
      const operator = text("operator") ?? "mts";
      if (!/^[\p{L}\p{N}_.\-]{1,32}$/u.test(operator)) throw new UsageError("--operator must be an operator name such as mts, beeline, megafon, tele2");
      flow = smsFlow({ serviceKey, apiKey, operator, confirm, account, sum });
      break;
    }
    case "card": {
      const orderNumber = text("order");
      if (orderNumber === undefined || orderNumber === "") throw new UsageError("card needs the hub's orderNumber of the order: give --order (POST /api/card/orders answers it)");
      const mdOrder = text("md-order") ?? randomUUID();
      if (mdOrder === "") throw new UsageError("--md-order must not be empty");
      const operation = choice("operation", CARD_OPERATIONS, "deposited");
      const status = choice("status", CARD_STATUSES, "1");
      const key = required("key", "CARD_CHECKSUM_KEY", "the checksum key");
      const amountText = text("amount");
      let amountKopecks: string | undefined;
      if (amountText !== undefined) {
        const amount = parseRubles(amountText);
        if (!amount.ok) throw new UsageError(`--amount must be rubles such as 500.00: ${amount.reason}`);
        amountKopecks = amount.kopecks.toString();
      }
      flow = cardFlow({ key, orderNumber, mdOrder, operation, status, amountKopecks });
      break;
    }
    case "arsenalpay": {
      const key = required("key", "ARSENALPAY_CALLBACK_KEY", "the callback key");
      const merchant = text("merchant") ?? fromEnv("ARSENALPAY_MERCHANT_ID") ?? "166301";
      if (merchant === "") throw new UsageError("--merchant must not be empty");
      flow = arsenalpayFlow({ key, merchant, fn: choice("function", ARSENALPAY_FUNCTIONS, "payment"), json: flag("json"), account, sum });
      break;
    }
  }
  return { channel, url, account, sum, ids, count, concurrency, repeat, flow };
}

/** N payments with consecutive ids: 1001, 1002, …; "bill-7" → "bill-8"; an id without trailing digits gets "-1", "-2". */
function consecutiveIds(first: string): (index: number) => string {
  const match = /^(.*?)([0-9]+)$/.exec(first);
  if (!match) return (index) => (index === 0 ? first : `${first}-${index}`);
  const [, prefix = "", digits = "0"] = match;
  const start = BigInt(digits);
  return (index) => prefix + (start + BigInt(index)).toString().padStart(digits.length, "0");
}

// --- the channels -------------------------------------------------------------------------------------------------

/** Wall-clock fields on a provider's clock (UTC plus its offset), zero-padded. */
function clockAt(offsetMinutes: number, now = new Date()) {
  const shifted = new Date(now.getTime() + offsetMinutes * 60_000);
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  return {
    year: pad(shifted.getUTCFullYear(), 4),
    month: pad(shifted.getUTCMonth() + 1),
    day: pad(shifted.getUTCDate()),
    hour: pad(shifted.getUTCHours()),
    minute: pad(shifted.getUTCMinutes()),
    second: pad(shifted.getUTCSeconds()),
    offset: `${offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`,
  };
}
const MOSCOW = 180;
const VLADIVOSTOK = 600;

/** An answer's text on one line, shortened. */
const flat = (text: string, max = 110) => {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
};
const quoted = (text: string, max = 110) => JSON.stringify(flat(text, max));

/** An answer that is not the protocol's at all (a proxy's HTML error page, a 5xx) counts as an error, not a refusal. */
const unreadable = (answer: Answer): Judged => ({ outcome: "error", result: `unreadable answer ${quoted(answer.body, 80)}` });
const refusedUnless = (success: boolean): Outcome => (success ? "ok" : "refused");

/** One field of a JSON answer; undefined when the answer is not JSON at all (then it is `unreadable`). */
function jsonField(answer: Answer, name: string): { value: unknown } | undefined {
  try {
    return { value: (JSON.parse(answer.body) as Record<string, unknown>)[name] };
  } catch {
    return undefined;
  }
}

function xmlElements(body: string): Record<string, string> {
  return Object.fromEntries([...body.matchAll(/<([A-Za-z_]+)>([^<]*)<\/\1>/g)].map((match) => [match[1]!, xmlText(match[2]!)]));
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** An element's text with its character references resolved ("&#34;1e3&#34;" is "1e3" in quotes). */
function xmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (!name.startsWith("#")) return XML_ENTITIES[name] ?? whole;
    const code = name.startsWith("#x") ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

function osmpFlow(options: { profile: string; check: boolean; authorization: string | undefined; account: string; sum: string }): Flow {
  return async (id, exchange) => {
    // The network's local time: QIWI's clock is Moscow, the local networks' Vladivostok.
    const at = clockAt(options.profile === "qiwi" ? MOSCOW : VLADIVOSTOK);
    const params: Record<string, string> = options.check
      ? { command: "check", txn_id: id, account: options.account, sum: options.sum }
      : { command: "pay", txn_id: id, account: options.account, sum: options.sum, txn_date: `${at.year}${at.month}${at.day}${at.hour}${at.minute}${at.second}` };
    const headers: Record<string, string> = {};
    if (options.authorization) headers.authorization = options.authorization;
    const request: WireRequest = {
      method: "GET",
      path: `/webhooks/osmp/${options.profile}`,
      query: new URLSearchParams(params).toString(),
      headers,
      what: params.command!,
      keys: { txn_id: id, account: options.account, sum: options.sum },
    };
    await exchange(request, (answer) => {
      const element = xmlElements(answer.body);
      if (element.result === undefined) return unreadable(answer);
      const shown = [`result=${element.result}`];
      if (element.prv_txn !== undefined) shown.push(`prv_txn=${element.prv_txn}`);
      if (element.fio !== undefined) shown.push(`fio=${quoted(element.fio)}`);
      if (element.balance !== undefined) shown.push(`balance=${element.balance}`);
      if (element.comment !== undefined) shown.push(`comment=${quoted(element.comment)}`);
      const success = answer.status === 200 && element.result === "0" && (options.check || element.prv_txn !== undefined);
      return { outcome: refusedUnless(success), result: shown.join(" "), reference: options.check ? undefined : element.prv_txn && `prv_txn ${element.prv_txn}` };
    });
  };
}

function bankFlow(options: { profile: string; check: boolean; secret: string | undefined; authorization: string | undefined; account: string; sum: string }): Flow {
  const sentKopecks = parseRubles(options.sum);
  return async (id, exchange) => {
    const at = clockAt(options.profile === "sberbank" ? MOSCOW : VLADIVOSTOK);
    const params: Record<string, string> = options.check
      ? { ACTION: "check", ACCOUNT: options.account }
      : { ACTION: "payment", ACCOUNT: options.account, AMOUNT: options.sum, PAY_ID: id, PAY_DATE: `${at.day}.${at.month}.${at.year}_${at.hour}:${at.minute}:${at.second}` };
    const signed = options.secret === undefined ? params : { ...params, hash: bankHash(params, options.secret) };
    const headers: Record<string, string> = {};
    if (options.authorization) headers.authorization = options.authorization;
    const request: WireRequest = {
      method: "GET",
      path: `/webhooks/bank/${options.profile}`,
      query: new URLSearchParams(signed).toString(),
      headers,
      what: params.ACTION!,
      keys: options.check ? { ACCOUNT: options.account } : { PAY_ID: id, ACCOUNT: options.account, AMOUNT: options.sum },
    };
    await exchange(request, (answer) => {
      const element = xmlElements(answer.body);
      if (element.CODE === undefined) return unreadable(answer);
      const shown = [`CODE=${element.CODE}`];
      for (const name of ["EXT_ID", "SUM", "AMOUNT", "REG_DATE", "BALANCE", "REC_SUM"]) if (element[name] !== undefined) shown.push(`${name}=${element[name]}`);
      if (element.FIO !== undefined) shown.push(`FIO=${quoted(element.FIO)}`);
      if (element.CODE !== "0" && element.MESSAGE !== undefined) shown.push(`MESSAGE=${quoted(element.MESSAGE)}`);
      let success = answer.status === 200 && element.CODE === "0";
      if (!options.check && answer.status === 200 && element.CODE === "8") {
        // A repeated PAY_ID answers CODE 8 with the original registration: the bank's "already paid", a success when
        // it is this very payment (same amount; the account is not in the answer).
        const original = parseRubles(element.AMOUNT ?? "");
        success = sentKopecks.ok && original.ok && original.kopecks === sentKopecks.kopecks && element.EXT_ID !== undefined;
        shown.push(success ? "(duplicate of the same payment)" : "(duplicate of ANOTHER payment)");
      }
      return { outcome: refusedUnless(success), result: shown.join(" "), reference: options.check || !element.EXT_ID ? undefined : `EXT_ID ${element.EXT_ID}` };
    });
  };
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const JSON_HEADERS = { "content-type": "application/json" };

function webmoneyFlow(options: { secret: string; purse: string; token: string; prerequest: boolean; testMode: boolean; account: string; sum: string }): Flow {
  // A payer's purse of the same currency as the hub's (R… pays R…).
  const payerPurse = `${/^[A-Za-z]/.test(options.purse) ? options.purse[0] : "R"}366393600555`;
  const payerWm = "404521188333";
  const mode = options.testMode ? "1" : "0";
  const keys = (id: string) => ({ LMI_SYS_TRANS_NO: id, ACCOUNT: options.account, LMI_PAYMENT_AMOUNT: options.sum });
  const bodyJudge = (expected: string): Judge => (answer) => ({
    outcome: answer.status >= 500 ? "error" : refusedUnless(answer.status === 200 && answer.body === expected),
    result: quoted(answer.body),
  });
  return async (id, exchange) => {
    // The site asks payhub for the invoice first: WebMoney's notification is credited to the account payhub issued
    // its LMI_PAYMENT_NO for, and the pre-request confirms only that.
    const [invoice] = await exchange(
      {
        method: "POST",
        path: "/api/webmoney/invoices",
        headers: { ...JSON_HEADERS, authorization: `Bearer ${options.token}` },
        body: JSON.stringify({ account: options.account, amount: options.sum }),
        what: "invoice (the site asks payhub)",
        keys: { account: options.account, amount: options.sum },
        once: true,
      },
      (answer) => {
        const field = jsonField(answer, "paymentNo");
        if (!field) return unreadable(answer);
        const paymentNo = field.value;
        if (answer.status === 201 && typeof paymentNo === "string") return { outcome: "ok", result: `LMI_PAYMENT_NO=${paymentNo}`, reference: paymentNo };
        return { outcome: answer.status >= 500 ? "error" : "refused", result: flat(answer.body) };
      },
    );
    const paymentNo = invoice?.outcome === "ok" ? invoice.reference : undefined;
    if (paymentNo === undefined) return;
    if (options.prerequest) {
      const prerequest = {
        LMI_PREREQUEST: "1",
        LMI_PAYEE_PURSE: options.purse,
        LMI_PAYMENT_AMOUNT: options.sum,
        LMI_PAYMENT_NO: paymentNo,
        LMI_MODE: mode,
        LMI_PAYER_WM: payerWm,
        LMI_PAYER_PURSE: payerPurse,
        ACCOUNT: options.account,
      };
      const answers = await exchange(
        { method: "POST", path: "/webhooks/webmoney", headers: FORM, body: new URLSearchParams(prerequest).toString(), what: "pre-request", keys: { LMI_PAYMENT_NO: paymentNo, ACCOUNT: options.account, LMI_PAYMENT_AMOUNT: options.sum } },
        bodyJudge("YES"),
      );
      // WebMoney pays only after a YES.
      if (!answers.some((judged) => judged.outcome === "ok")) return;
    }
    const at = clockAt(MOSCOW);
    const signed = {
      LMI_PAYEE_PURSE: options.purse,
      LMI_PAYMENT_AMOUNT: options.sum,
      LMI_PAYMENT_NO: paymentNo,
      LMI_MODE: mode,
      LMI_SYS_INVS_NO: id,
      LMI_SYS_TRANS_NO: id,
      LMI_SYS_TRANS_DATE: `${at.year}${at.month}${at.day} ${at.hour}:${at.minute}:${at.second}`,
      LMI_PAYER_PURSE: payerPurse,
      LMI_PAYER_WM: payerWm,
    };
    const fields = { ...signed, ACCOUNT: options.account, LMI_HASH: expectedLmiHash(signed, options.secret, "sha256"), LMI_HASH2: expectedLmiHash2(signed, options.secret) };
    await exchange(
      { method: "POST", path: "/webhooks/webmoney", headers: FORM, body: new URLSearchParams(fields).toString(), what: "notification", keys: keys(id) },
      bodyJudge("OK"),
    );
  };
}

function yoomoneyFlow(options: { secret: string; testNotification: boolean; codepro: boolean; unaccepted: boolean; account: string; sum: string }): Flow {
  // The payer's side of a wallet transfer: the amount plus YooMoney's 0.5 % (rounded up to the kopeck).
  const amount = parseRubles(options.sum);
  const withdrawAmount = amount.ok ? formatRubles(amount.kopecks + (amount.kopecks * 5n + 999n) / 1000n) : options.sum;
  return async (id, exchange) => {
    const at = clockAt(MOSCOW);
    const signed = {
      notification_type: "p2p-incoming",
      operation_id: id,
      amount: options.sum,
      currency: "643",
      datetime: `${at.year}-${at.month}-${at.day}T${at.hour}:${at.minute}:${at.second}.000${at.offset}`,
      sender: "41001000040",
      codepro: String(options.codepro),
      label: options.account,
    };
    const fields = {
      ...signed,
      withdraw_amount: withdrawAmount,
      test_notification: String(options.testNotification),
      unaccepted: String(options.unaccepted),
      sha1_hash: expectedSha1Hash(signed, options.secret),
    };
    await exchange(
      { method: "POST", path: "/webhooks/yoomoney", headers: FORM, body: new URLSearchParams(fields).toString(), what: "notification", keys: { operation_id: id, label: options.account, amount: options.sum } },
      (answer) => ({ outcome: answer.status >= 500 ? "error" : refusedUnless(answer.status === 200), result: quoted(answer.body) }),
    );
  };
}

function qiwiBillFlow(options: { secret: string; siteId: string; status: string; account: string; sum: string }): Flow {
  return async (id, exchange) => {
    const at = clockAt(MOSCOW);
    const bill = {
      bill: {
        siteId: options.siteId,
        billId: id,
        amount: { value: options.sum, currency: "RUB" },
        status: { value: options.status, changedDateTime: `${at.year}-${at.month}-${at.day}T${at.hour}:${at.minute}:${at.second}${at.offset}` },
        customer: { account: options.account },
      },
      version: "1",
    };
    const fields = { currency: "RUB", value: options.sum, billId: id, siteId: options.siteId, status: options.status };
    // A sum that is no amount cannot be formatted to two decimals; it is still signed (as received) so the hub's
    // answer to it can be seen.
    const signature =
      expectedSignature(fields, options.secret) ??
      createHmac("sha256", options.secret).update([fields.currency, fields.value, fields.billId, fields.siteId, fields.status].join("|"), "utf8").digest("hex");
    await exchange(
      {
        method: "POST",
        path: "/webhooks/qiwi-bill",
        headers: { ...JSON_HEADERS, "X-Api-Signature-SHA256": signature },
        body: JSON.stringify(bill),
        what: `notification ${options.status}`,
        keys: { billId: id, account: options.account, value: options.sum },
      },
      (answer) => {
        const error = jsonField(answer, "error");
        if (!error) return unreadable(answer);
        return { outcome: answer.status >= 500 ? "error" : refusedUnless(answer.status === 200 && error.value === "0"), result: flat(answer.body) };
      },
    );
  };
}

/** The reply SMS of an opened payment ends "… = 113,30 руб. Для подтверждения …": the total the phone is debited. */
const SMS_TOTAL = /= ([0-9]+)(?:,([0-9]{2}))? руб\./;

function smsFlow(options: { serviceKey: string; apiKey: string; operator: string; confirm: "success" | "failure" | "none"; account: string; sum: string }): Flow {
  return async (smsid, exchange) => {
    const query = new URLSearchParams({ skey: expectedSkey(options.serviceKey), smsid, num: "3116", operator: options.operator, user_id: PAYER_PHONE, msg: `aliance ${options.account} ${options.sum}` });
    let totalKopecks: bigint | undefined;
    const answers = await exchange(
      { method: "GET", path: "/webhooks/sms/incoming", query: query.toString(), headers: {}, what: "incoming", keys: { smsid, account: options.account, sum: options.sum } },
      (answer) => {
        const separator = answer.body.indexOf("\n\n");
        if (answer.status !== 200 || separator === -1) {
          return { outcome: answer.status >= 500 ? "error" : "refused", result: quoted(answer.body) };
        }
        const text = answer.body.slice(separator + 2);
        const firstLine = text.split("\n")[0] ?? "";
        const total = SMS_TOTAL.exec(text);
        if (total) totalKopecks = BigInt(total[1]!) * 100n + BigInt(total[2] ?? "0");
        return { outcome: refusedUnless(total !== null), result: `reply ${quoted(firstLine, 140)}`, reference: `reply ${quoted(text, 400)}` };
      },
    );
    // Only an opened payment is confirmed: the subscriber answered the reply SMS and the operator debited the phone.
    if (options.confirm === "none" || totalKopecks === undefined || !answers.some((judged) => judged.outcome === "ok")) return;
    const at = clockAt(VLADIVOSTOK);
    const paymentId = `agg-${smsid}`;
    const body = {
      request: "payment_status",
      payment_id: paymentId,
      merchant_payment_id: smsid,
      status: options.confirm,
      amount: Number(totalKopecks),
      date_created: `${at.year}-${at.month}-${at.day} ${at.hour}:${at.minute}:${at.second}`,
      signature: expectedStatusSignature(paymentId, options.apiKey),
    };
    await exchange(
      { method: "POST", path: "/webhooks/sms/status", headers: JSON_HEADERS, body: JSON.stringify(body), what: `status ${options.confirm}`, keys: { merchant_payment_id: smsid, amount: String(totalKopecks) } },
      (answer) => {
        const result = jsonField(answer, "result");
        if (!result) return unreadable(answer);
        return { outcome: answer.status >= 500 ? "error" : refusedUnless(answer.status === 200 && result.value === "ok"), result: flat(answer.body) };
      },
    );
  };
}

function cardFlow(options: { key: string; orderNumber: string; mdOrder: string; operation: string; status: string; amountKopecks: string | undefined }): Flow {
  // One order's callback, the same on every repeat: the flow's id is not used (the order is named by --order).
  return async (_id, exchange) => {
    const params: Record<string, string> = { mdOrder: options.mdOrder, orderNumber: options.orderNumber, operation: options.operation, status: options.status };
    if (options.amountKopecks !== undefined) params.amount = options.amountKopecks;
    const query = new URLSearchParams({ ...params, checksum: expectedCardChecksum(params, options.key)! });
    const keys: Record<string, string> = { orderNumber: options.orderNumber, mdOrder: options.mdOrder, status: options.status };
    if (options.amountKopecks !== undefined) keys.amount = options.amountKopecks;
    await exchange(
      { method: "GET", path: "/webhooks/card", query: query.toString(), headers: {}, what: `callback ${options.operation}`, keys },
      // The acquirer reads only the HTTP status: 200 is "handled", anything else makes it repeat the callback.
      (answer) => ({ outcome: answer.status >= 500 ? "error" : refusedUnless(answer.status === 200), result: quoted(answer.body) }),
    );
  };
}

function arsenalpayFlow(options: { key: string; merchant: string; fn: string; json: boolean; account: string; sum: string }): Flow {
  // check answers YES (NO for an unknown account), every other function OK (ERR when refused).
  const expected = options.fn === "check" ? "YES" : "OK";
  return async (rrn, exchange) => {
    const at = clockAt(MOSCOW);
    const signed = { ID: options.merchant, FUNCTION: options.fn, RRN: rrn, PAYER: "427600******1234", AMOUNT: options.sum, ACCOUNT: options.account, STATUS: options.fn };
    const params: Record<string, string> = {
      ...signed,
      DATETIME: `${at.year}-${at.month}-${at.day}T${at.hour}:${at.minute}:${at.second}${at.offset}`,
      SIGN: expectedArsenalpaySign(signed, options.key),
    };
    if (options.json) params.FORMAT = "json";
    await exchange(
      { method: "POST", path: "/webhooks/arsenalpay", headers: FORM, body: new URLSearchParams(params).toString(), what: options.fn, keys: { RRN: rrn, ACCOUNT: options.account, AMOUNT: options.sum } },
      (answer) => {
        if (answer.status >= 500) return { outcome: "error", result: quoted(answer.body) };
        let word: unknown = answer.body;
        if (options.json && answer.status === 200) {
          const response = jsonField(answer, "response");
          if (!response) return unreadable(answer);
          word = response.value;
        }
        return { outcome: refusedUnless(answer.status === 200 && word === expected), result: options.json ? flat(answer.body) : quoted(answer.body) };
      },
    );
  };
}

// --- sending, counting, printing ----------------------------------------------------------------------------------

interface Tally {
  sent: number;
  ok: number;
  refused: number;
  errors: number;
  paymentsDone: number;
}

async function simulate(settings: Settings, out: Out): Promise<number> {
  const tally: Tally = { sent: 0, ok: 0, refused: 0, errors: 0, paymentsDone: 0 };
  const quiet = settings.count > 10;
  let failuresShown = 0;
  const started = performance.now();
  const rate = () => tally.sent / Math.max((performance.now() - started) / 1000, 0.001);

  const print = (line: string, outcome: Outcome) => {
    if (!quiet) return out(line);
    if (outcome === "ok") return;
    failuresShown += 1;
    if (failuresShown <= SHOWN_FAILURES_WHEN_QUIET) out(line);
    else if (failuresShown === SHOWN_FAILURES_WHEN_QUIET + 1) out(`(further refusals and errors are only counted)`);
  };

  const exchange: Exchange = async (request, judge) => {
    const judged: Judged[] = [];
    let reference: string | undefined;
    const times = request.once ? 1 : settings.repeat;
    for (let attempt = 1; attempt <= times; attempt += 1) {
      let verdict: Judged;
      let status = "---";
      try {
        const answer = await send(settings.url, request);
        status = String(answer.status);
        verdict = judge(answer);
      } catch (error) {
        verdict = { outcome: "error", result: describeError(error) };
      }
      let note = "";
      if (verdict.reference !== undefined) {
        if (reference === undefined) reference = verdict.reference;
        else if (verdict.reference === reference) note = ` (same ${verdict.reference.split(" ")[0]})`;
        else {
          note = ` (IDEMPOTENCY BROKEN: the first answer had ${reference.slice(0, 60)})`;
          verdict = { ...verdict, outcome: "error" };
        }
      }
      tally.sent += 1;
      tally[verdict.outcome === "ok" ? "ok" : verdict.outcome === "refused" ? "refused" : "errors"] += 1;
      judged.push(verdict);
      const keys = Object.entries(request.keys).map(([name, value]) => `${name}=${value}`).join(" ");
      const repeatMark = times > 1 ? ` #${attempt}` : "";
      const label = verdict.outcome === "ok" ? "ok" : verdict.outcome === "refused" ? "REFUSED" : "ERROR";
      print(`${settings.channel} ${request.method} ${request.path} ${request.what}${repeatMark} ${keys} -> HTTP ${status} ${verdict.result}${note} [${label}]`, verdict.outcome);
    }
    return judged;
  };

  const progress = quiet
    ? setInterval(() => {
        out(`progress: ${tally.paymentsDone}/${settings.count} payments, ${tally.sent} requests: ${tally.ok} OK, ${tally.refused} refused, ${tally.errors} errors, ${rate().toFixed(1)} requests/s`);
      }, 1000)
    : undefined;
  progress?.unref();
  try {
    let next = 0;
    const worker = async () => {
      while (next < settings.count) {
        const index = next;
        next += 1;
        await settings.flow(settings.ids(index), exchange);
        tally.paymentsDone += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(settings.concurrency, settings.count) }, worker));
  } finally {
    if (progress) clearInterval(progress);
  }
  const seconds = (performance.now() - started) / 1000;
  out(
    `summary: ${settings.channel}, ${settings.count} payment${settings.count === 1 ? "" : "s"}` +
      `${settings.repeat > 1 ? ` x ${settings.repeat}` : ""}: sent ${tally.sent}, answered OK ${tally.ok}, refused ${tally.refused}, errors ${tally.errors}` +
      ` in ${seconds.toFixed(2)} s (${rate().toFixed(1)} requests/s)`,
  );
  return tally.ok === tally.sent && tally.sent > 0 ? 0 : 1;
}

async function send(baseUrl: string, request: WireRequest): Promise<Answer> {
  const url = `${baseUrl}${request.path}${request.query ? `?${request.query}` : ""}`;
  const init: RequestInit = { method: request.method, headers: request.headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
  if (request.body !== undefined) init.body = request.body;
  const response = await fetch(url, init);
  return { status: response.status, body: await response.text() };
}

/** A transport failure in a few words; fetch hides the reason (ECONNREFUSED, …) in `cause`. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `no answer: ${String(error)}`;
  if (error.name === "TimeoutError") return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const reason = typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : error.message;
  return `no answer: ${reason}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Output piped into a reader that stopped (`| head`): stop quietly, as command-line tools do.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await runSimulator(process.argv.slice(2), process.env, (line) => console.log(line));
}
