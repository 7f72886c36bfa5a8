import { z } from "zod";
import { createProviderHttp, withProviderRetries, type Attempt } from "../../http/provider-retry.ts";
import type { RegistryLine } from "../format.ts";
import { dayBounds, MOSCOW_OFFSET_HOURS } from "../profiles.ts";
import { answersSha256, bodyBytes, excerpt, moscowDateTime, moscowRfc3339, RegistryFetchError, rublesFromJson, type FetchedRegistry } from "./common.ts";

/**
 * The YooMoney wallet's registry of a day (REGISTRIES.md §4): YooMoney sends no file, so payhub reads the wallet's
 * operation history for the day and builds the registry from it.
 *
 * From YooMoney's documentation (yoomoney.ru/docs/wallet/user-account/operation-history): the method is
 * `POST https://yoomoney.ru/api/operation-history`, form-encoded, authorized by `Authorization: Bearer <token>` of a
 * token with the `operation-history` right. `type` lists the operation types (`deposition`: money into the wallet);
 * `from` selects operations at or after a moment, `till` those strictly before one; `records` is the page size, 1 to
 * 100 (30 by default); `start_record` asks for the page that starts at that record (records count from 0), the value
 * the previous answer gave as `next_record`; an answer without `next_record` is the last page. Records come newest
 * first. Each operation has `operation_id` (the notification's id, so the hub's external id), `status` (`success`,
 * `refused`, `in_progress`), `datetime` (ISO 8601 with its offset), `direction` (`in` / `out`), `amount` (the sum
 * credited to the wallet, a JSON number), `label` (the payment's label: payhub puts the account there), `type`,
 * `title`. An error is answered as `error` with a code (`illegal_param_*`, or a technical error), a bad or
 * insufficient token with HTTP 401/403.
 *
 * Only `success` + `in` operations are lines; the wallet keeps the money, so the registry has no footer and no
 * settlement check. The request is made once the day is over (after REGISTRY_API_HOUR, Moscow), so its answer does
 * not change: fetched again it hashes the same (already_imported).
 */

export const YOOMONEY_PAGE_SIZE = 100;
/** A wallet receiving more than 100,000 deposits a day is not this hub's: more pages mean `next_record` never ends. */
const MAX_PAGES = 1000;

export interface YoomoneyRegistryOptions {
  /** `YOOMONEY_API_TOKEN`: sent only in the Authorization header, never logged nor put in an error. */
  token: string;
  /** `YOOMONEY_API_URL`: https://yoomoney.ru. */
  baseUrl: string;
  timeoutMs?: number;
  attempts?: number;
  backoffMs?: number;
}

const Operation = z.object({
  operation_id: z.union([z.string().min(1), z.number().int()]).transform(String),
  status: z.string(),
  datetime: z.string(),
  direction: z.string().optional(),
  amount: z.unknown(),
  label: z.string().optional(),
  type: z.string().optional(),
  title: z.string().optional(),
});
const Answer = z.object({
  error: z.string().optional(),
  next_record: z.union([z.string(), z.number().int()]).transform(String).optional(),
  operations: z.array(z.unknown()).optional(),
});

/** The page's answer: its operations and where the next page starts (undefined on the last). */
interface Page {
  raw: Buffer;
  operations: unknown[];
  nextRecord: string | undefined;
}

export async function fetchYoomoneyRegistry(options: YoomoneyRegistryOptions, day: string): Promise<FetchedRegistry> {
  const http = createProviderHttp(options.baseUrl, options.timeoutMs ?? 30_000, {
    Authorization: `Bearer ${options.token}`,
    "Content-Type": "application/x-www-form-urlencoded",
    Accept: "application/json",
  });
  const { from, to } = dayBounds(day, MOSCOW_OFFSET_HOURS);
  const secrets = [options.token];
  let requests = 0;

  async function page(startRecord: string | undefined): Promise<Page> {
    const form = new URLSearchParams({ type: "deposition", from: moscowRfc3339(from), till: moscowRfc3339(to), records: String(YOOMONEY_PAGE_SIZE) });
    if (startRecord !== undefined) form.set("start_record", startRecord);
    const what = `the operation history of ${day}${startRecord === undefined ? "" : ` from record ${startRecord}`}`;
    // Reading the history changes nothing at YooMoney: safe to repeat after a timeout or a 5xx.
    const { value } = await withProviderRetries(
      { attempts: Math.max(1, options.attempts ?? 3), backoffMs: options.backoffMs ?? 500, timeoutMs: http.defaults.timeout },
      async (attempt): Promise<Attempt<Page>> => {
        requests++;
        const response = await http.post("/api/operation-history", form.toString(), { responseType: "arraybuffer" });
        const raw = bodyBytes(response.data);
        const text = raw.toString("utf8");
        if (response.status >= 500) return { ok: false, problem: { httpStatus: response.status, what: `HTTP ${response.status}` } };
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const answer = Answer.safeParse(parsed);
        if (response.status < 200 || response.status >= 300 || (answer.success && answer.data.error !== undefined)) {
          const said = answer.success && answer.data.error !== undefined ? ` error ${excerpt(answer.data.error, secrets)}` : "";
          const header = response.headers["www-authenticate"];
          const why = typeof header === "string" && header !== "" ? ` (${excerpt(header, secrets)})` : "";
          throw new RegistryFetchError("refused", `YooMoney refused ${what}: HTTP ${response.status}${said}${why}`, { httpStatus: response.status, attempts: attempt });
        }
        if (!answer.success || answer.data.operations === undefined) {
          throw new RegistryFetchError("unreadableAnswer", `YooMoney's answer to ${what} (HTTP ${response.status}) has no list of operations: ${excerpt(text, secrets)}`, {
            httpStatus: response.status,
            attempts: attempt,
          });
        }
        return { ok: true, value: { raw, operations: answer.data.operations, nextRecord: answer.data.next_record } };
      },
      (last, attempts) => new RegistryFetchError("unavailable", `YooMoney is unavailable: ${what} failed after ${attempts} attempts, last: ${last.what}`, { ...(last.httpStatus === undefined ? {} : { httpStatus: last.httpStatus }), attempts }),
    );
    return value;
  }

  const answers: Buffer[] = [];
  const operations: unknown[] = [];
  let start: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages >= MAX_PAGES) throw new RegistryFetchError("unreadableAnswer", `YooMoney's operation history of ${day} did not end after ${MAX_PAGES} pages (next_record ${start})`);
    const answer = await page(start);
    answers.push(answer.raw);
    operations.push(...answer.operations);
    if (answer.nextRecord === undefined || answer.nextRecord === "" || answer.nextRecord === start) break;
    start = answer.nextRecord;
  }

  const lines = operationLines(operations, day);
  return {
    registry: { day, sequence: 1, lines, encoding: "utf-8" },
    sha256: answersSha256(answers),
    fileName: `yoomoney operation-history ${day}`,
    requests,
  };
}

/**
 * The registry's lines from the operations: successful incoming ones only, oldest first (then by id), numbered from
 * 1. A field payhub cannot read makes the whole fetch fail, naming the operation: a registry is taken whole or not at
 * all (REGISTRIES.md rule 2).
 */
export function operationLines(operations: readonly unknown[], day: string): RegistryLine[] {
  const kept: (Omit<RegistryLine, "line"> & { at: number })[] = [];
  const seen = new Set<string>();
  for (const [index, item] of operations.entries()) {
    const parsed = Operation.safeParse(item);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join(".") || "operation";
      throw new RegistryFetchError("unreadableAnswer", `YooMoney's operation history of ${day}: operation ${index + 1} has no valid ${field}`);
    }
    const operation = parsed.data;
    if (operation.status !== "success" || operation.direction !== "in") continue;
    // Pages are read while nothing changes (the day is over), so an operation is never on two pages; were it to
    // happen, the second copy would be a duplicate_line, and the history does not say so: it is dropped.
    if (seen.has(operation.operation_id)) continue;
    seen.add(operation.operation_id);
    const when = moscowDateTime(operation.datetime);
    if (!when) throw new RegistryFetchError("unreadableAnswer", `YooMoney's operation ${operation.operation_id}: datetime "${excerpt(operation.datetime)}" is not an ISO 8601 time`);
    const amount = rublesFromJson(operation.amount);
    if (!amount.ok) throw new RegistryFetchError("unreadableAnswer", `YooMoney's operation ${operation.operation_id}: ${amount.reason}`);
    kept.push({
      at: when.instant.getTime(),
      externalId: operation.operation_id,
      // The label carries the account (PROTOCOLS.md §7); a deposit without one names no account.
      account: (operation.label ?? "").trim(),
      amountKopecks: amount.kopecks,
      operation: "payment",
      date: when.date,
      time: when.time,
      references: { datetime: operation.datetime, ...(operation.type ? { type: operation.type } : {}) },
      ...(operation.title ? { payer: operation.title } : {}),
    });
  }
  kept.sort((a, b) => a.at - b.at || (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));
  return kept.map(({ at: _at, ...line }, index) => ({ line: index + 1, ...line }));
}
