import { createHash } from "node:crypto";
import type { SqlPool } from "../../db.ts";
import { createProviderHttp, withProviderRetries, type Attempt } from "../../http/provider-retry.ts";
import type { RegistryLine } from "../format.ts";
import { dayBounds, MOSCOW_OFFSET_HOURS } from "../profiles.ts";
import { answersSha256, bodyBytes, excerpt, mapLimit, moscowDateTime, RegistryFetchError, rublesFromJson, type FetchedRegistry } from "./common.ts";

/**
 * ArsenalPay's registry of a day from its status check by RRN (REGISTRIES.md §4: ArsenalPay publishes no registry
 * API; its daily registry is the merchant cabinet's export, imported as a file with the `arsenalpay-csv` profile).
 *
 * The status check, as ArsenalPay's own Java SDK makes it (github.com/ArsenalPay/Java-ArsenalPay-API-SDK,
 * InitPayMkStatusProducer, SecurityUtils, PaymentStatusResponse and its test answers): `POST
 * https://arsenalpay.ru/init_pay_mk/`, form fields `ID` (the merchant id), `FUNCTION=init_pay_mk_status`, `RRN`, and
 * `SIGN` = md5(md5(ID) + md5(FUNCTION) + md5(RRN) + md5(secret)), hex. The answer is XML, `<main>` with `rrn`,
 * `account`, `amount` (rubles, `52.40`), `phone`, `datetime` (`yyyy-MM-dd HH:mm:ss`) and `status`: `OK_PAY` (paid),
 * `OK_INIT` / `OK_ANSWER` (in progress), `NO_ANSWER` (not registered), `ERR_PAY` (refused); a refused request answers
 * `<status>ERROR</status>` or another `ERR_…` (e.g. `ERR_ACCESS`), with `stan` instead of the payment's fields.
 *
 * "Hub payments missing from it are re-checked by RRN before flagging": the API registry of day D asks the status of
 * every payment payhub took from ArsenalPay that day; an `OK_PAY` one is a line (its account, amount and time as
 * ArsenalPay says), the others are left out and so become missing_in_registry. It can confirm, or not, what payhub
 * has; only the cabinet's file can show a payment payhub never heard of (missing_in_hub). The SHA-256 is over the
 * `OK_PAY` answers by RRN. `datetime` has no offset: Moscow time, the providers' operating zone.
 */

export const STATUS_FUNCTION = "init_pay_mk_status";
const CONCURRENCY = 4;

export interface ArsenalpayStatusOptions {
  /** `ARSENALPAY_API_URL`: https://arsenalpay.ru. */
  baseUrl: string;
  /** `ARSENALPAY_MERCHANT_ID`. */
  merchantId: string;
  /** `ARSENALPAY_STATUS_KEY`: only its md5 goes into SIGN; never logged nor put in an error. */
  secret: string;
  timeoutMs?: number;
  attempts?: number;
  backoffMs?: number;
}

/** One status answer: the fields ArsenalPay sent (text as sent), and the answer's bytes. */
export interface ArsenalpayStatus {
  raw: Buffer;
  status: string;
  rrn?: string;
  account?: string;
  amount?: string;
  datetime?: string;
}

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

/** SIGN of a status request: md5 of the fields' md5s and the secret's md5, in the SDK's order. */
export function statusSign(merchantId: string, rrn: string, secret: string): string {
  return md5(md5(merchantId) + md5(STATUS_FUNCTION) + md5(rrn) + md5(secret));
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** The text of `<main>`'s direct fields; undefined when the answer is not such a document. */
export function readStatusXml(text: string): Record<string, string> | undefined {
  const main = /<main>([\s\S]*)<\/main>/.exec(text);
  if (!main) return undefined;
  const fields: Record<string, string> = {};
  for (const match of main[1]!.matchAll(/<([a-zA-Z_]+)>([^<]*)<\/\1>/g)) {
    fields[match[1]!.toLowerCase()] = match[2]!.replace(/&(amp|lt|gt|quot|apos);/g, (_all, name: string) => XML_ENTITIES[name]!).trim();
  }
  for (const match of main[1]!.matchAll(/<([a-zA-Z_]+)\s*\/>/g)) fields[match[1]!.toLowerCase()] ??= "";
  return fields;
}

/** ArsenalPay's answers that are a payment's status (anything else is a refusal of the request). */
const PAYMENT_STATES = new Set(["OK_PAY", "OK_INIT", "OK_ANSWER", "NO_ANSWER", "ERR_PAY"]);

export interface ArsenalpayStatusClient {
  status(rrn: string): Promise<ArsenalpayStatus>;
  /** Requests made so far, for the log. */
  readonly requests: number;
}

export function createArsenalpayStatusClient(options: ArsenalpayStatusOptions): ArsenalpayStatusClient {
  const http = createProviderHttp(options.baseUrl, options.timeoutMs ?? 10_000, { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/xml, text/xml" });
  const secrets = [options.secret];
  let requests = 0;
  return {
    get requests() {
      return requests;
    },
    async status(rrn) {
      const what = `the status of RRN ${rrn}`;
      const form = new URLSearchParams({ ID: options.merchantId, FUNCTION: STATUS_FUNCTION, RRN: rrn, SIGN: statusSign(options.merchantId, rrn, options.secret) }).toString();
      // A status question changes nothing at ArsenalPay: safe to repeat.
      const { value } = await withProviderRetries(
        { attempts: Math.max(1, options.attempts ?? 3), backoffMs: options.backoffMs ?? 300, timeoutMs: http.defaults.timeout },
        async (attempt): Promise<Attempt<ArsenalpayStatus>> => {
          requests++;
          const response = await http.post("/init_pay_mk/", form, { responseType: "arraybuffer" });
          const raw = bodyBytes(response.data);
          const text = raw.toString("utf8");
          if (response.status >= 500) return { ok: false, problem: { httpStatus: response.status, what: `HTTP ${response.status}` } };
          const fields = readStatusXml(text);
          if (response.status < 200 || response.status >= 300) {
            throw new RegistryFetchError("refused", `ArsenalPay refused ${what}: HTTP ${response.status}${fields?.status ? ` ${excerpt(fields.status, secrets)}` : ""}`, { httpStatus: response.status, attempts: attempt });
          }
          if (!fields?.status) {
            throw new RegistryFetchError("unreadableAnswer", `ArsenalPay's answer to ${what} (HTTP ${response.status}) is not a status: ${excerpt(text, secrets)}`, { httpStatus: response.status, attempts: attempt });
          }
          if (!PAYMENT_STATES.has(fields.status)) {
            throw new RegistryFetchError("refused", `ArsenalPay refused ${what}: ${excerpt(fields.status, secrets)} (ARSENALPAY_MERCHANT_ID and ARSENALPAY_STATUS_KEY?)`, { httpStatus: response.status, attempts: attempt });
          }
          return {
            ok: true,
            value: {
              raw,
              status: fields.status,
              ...(fields.rrn !== undefined ? { rrn: fields.rrn } : {}),
              ...(fields.account !== undefined ? { account: fields.account } : {}),
              ...(fields.amount !== undefined ? { amount: fields.amount } : {}),
              ...(fields.datetime !== undefined ? { datetime: fields.datetime } : {}),
            },
          };
        },
        (last, attempts) => new RegistryFetchError("unavailable", `ArsenalPay is unavailable: ${what} failed after ${attempts} attempts, last: ${last.what}`, { ...(last.httpStatus === undefined ? {} : { httpStatus: last.httpStatus }), attempts }),
      );
      return value;
    },
  };
}

/** The RRNs of ArsenalPay payments payhub took on day D (Moscow): the ones the registry is asked to confirm. */
export async function arsenalpayRrnsOfDay(pool: SqlPool, day: string): Promise<string[]> {
  const { from, to } = dayBounds(day, MOSCOW_OFFSET_HOURS);
  const { rows } = await pool.query<{ external_id: string }>(
    `SELECT external_id FROM inbound_payment
     WHERE channel = 'arsenalpay' AND status IN ('accepted', 'credited', 'failed') AND received_at >= $1 AND received_at < $2
     ORDER BY external_id`,
    [from, to],
  );
  return rows.map((row) => row.external_id);
}

export async function fetchArsenalpayRegistry(options: ArsenalpayStatusOptions, day: string, rrns: readonly string[]): Promise<FetchedRegistry> {
  const client = createArsenalpayStatusClient(options);
  const answers = await mapLimit(rrns, CONCURRENCY, async (rrn) => ({ rrn, answer: await client.status(rrn) }));
  const kept: { raw: Buffer; at: number; line: Omit<RegistryLine, "line"> }[] = [];
  for (const { rrn, answer } of answers) {
    if (answer.status !== "OK_PAY") continue;
    if (answer.rrn !== undefined && answer.rrn !== rrn) {
      throw new RegistryFetchError("unreadableAnswer", `ArsenalPay answered the status of RRN ${rrn} with RRN ${excerpt(answer.rrn)}`);
    }
    const when = answer.datetime === undefined ? undefined : moscowDateTime(answer.datetime);
    if (!when) throw new RegistryFetchError("unreadableAnswer", `ArsenalPay's status of RRN ${rrn}: datetime "${excerpt(answer.datetime ?? "")}" is not yyyy-MM-dd HH:mm:ss`);
    const amount = rublesFromJson(answer.amount);
    if (!amount.ok) throw new RegistryFetchError("unreadableAnswer", `ArsenalPay's status of RRN ${rrn}: ${amount.reason}`);
    kept.push({
      raw: answer.raw,
      at: when.instant.getTime(),
      line: { externalId: rrn, account: (answer.account ?? "").trim(), amountKopecks: amount.kopecks, operation: "payment", date: when.date, time: when.time, references: { status: answer.status } },
    });
  }
  const hashed = [...kept].sort((a, b) => (a.line.externalId < b.line.externalId ? -1 : a.line.externalId > b.line.externalId ? 1 : 0));
  kept.sort((a, b) => a.at - b.at || (a.line.externalId < b.line.externalId ? -1 : 1));
  return {
    registry: { day, sequence: 1, lines: kept.map(({ line }, index) => ({ line: index + 1, ...line })), encoding: "utf-8" },
    sha256: answersSha256(hashed.map((entry) => entry.raw)),
    fileName: `arsenalpay status ${day}`,
    requests: client.requests,
  };
}
