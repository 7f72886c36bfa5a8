import { z } from "zod";
import type { SqlPool } from "../../db.ts";
import { createProviderHttp, withProviderRetries, type Attempt } from "../../http/provider-retry.ts";
import { MAX_BILL_LIFETIME_MINUTES, QIWI_BILL_CHANNEL } from "../../qiwi-bills/issue-bill.ts";
import type { RegistryLine } from "../format.ts";
import { dayBounds, MOSCOW_OFFSET_HOURS } from "../profiles.ts";
import { answersSha256, bodyBytes, excerpt, mapLimit, moscowDateTime, RegistryFetchError, rublesFromJson, type FetchedRegistry } from "./common.ts";

/**
 * The QIWI bills registry of a day, built from QIWI's bills API.
 *
 * Why not QIWI's daily report: QIWI documents it (github.com/QIWI-API/payments-docs, "Reports") as a CSV sent after
 * 14:00 MSK on weekdays in a zip attached to an e-mail to the address given at registration; no API serves it, and
 * neither QIWI's bill payments API (bill-payments-docs: issue, status, cancel, refund) nor its payin API lists a day's
 * payments. That file is imported like any other (profile `qiwi-kassa`, POST /api/registries?channel=qiwi-bill).
 *
 * What the API does serve, and this uses: the status of one bill, `GET https://api.qiwi.com/partner/bill/v1/bills/
 * {billId}` with `Authorization: Bearer <secret key>` (QIWI recommends it after a PAID notification). It answers the
 * bill: `billId`, `amount.value` (the invoice amount, a JSON number in the documented example, a string in others),
 * `status.value` (WAITING, then finally PAID, REJECTED or EXPIRED), `status.changedDateTime` (when it changed),
 * `customer.account` (what payhub put there when issuing it), or an error body with `errorCode` and `description`.
 * payhub issues every bill itself (POST /api/qiwi-bills records it in payment_intent before asking QIWI), so the
 * day's registry is: each bill payhub issued that could have been paid that day, asked for its status; a PAID one
 * whose status changed within the day (Moscow) is a line. A bill issued within the last 45 days (QIWI's longest bill
 * lifetime, MAX_BILL_LIFETIME_MINUTES) before the day's end can be paid that day; a bill whose payment the hub
 * received before the day, or that an earlier registry carries, was paid before and is not asked again. A bill QIWI
 * does not know (404: it refused the PUT) is skipped. A bill paid at QIWI whose notification never came is so found
 * (missing_in_hub), and a hub payment QIWI does not show as PAID that day is missing_in_registry.
 *
 * The SHA-256 is over the answers that became lines, by billId (a PAID bill's answer no longer changes; those of
 * waiting bills do, and do not make the registry).
 */

/** How far back a bill can have been issued and still be paid on the day. */
export const QIWI_BILL_LOOKBACK_MS = MAX_BILL_LIFETIME_MINUTES * 60_000;
/** Status requests in flight at once. */
const CONCURRENCY = 4;

export interface QiwiBillsRegistryOptions {
  /** `QIWI_BILL_SECRET_KEY`: sent only in the Authorization header, never logged nor put in an error. */
  secretKey: string;
  /** `QIWI_BILL_API_URL`: https://api.qiwi.com. */
  baseUrl: string;
  timeoutMs?: number;
  attempts?: number;
  backoffMs?: number;
}

/** A bill payhub issued that may have been paid on the day. */
export interface IssuedBill {
  billId: string;
  /** The account payhub issued it for: the line's account when QIWI's answer names none. */
  account: string;
}

const Bill = z.object({
  billId: z.string().min(1),
  amount: z.object({ value: z.unknown() }),
  status: z.object({ value: z.string(), changedDateTime: z.string().optional(), datetime: z.string().optional() }),
  customer: z.object({ account: z.string().optional() }).partial().optional(),
});
const ErrorAnswer = z.object({ errorCode: z.string().optional(), description: z.string().optional() });

/** The bills to ask about for day D (see the module's comment): issued before D's end, within the lookback, not known paid before D. */
export async function issuedBillsOfDay(pool: SqlPool, day: string): Promise<IssuedBill[]> {
  const { from, to } = dayBounds(day, MOSCOW_OFFSET_HOURS);
  const { rows } = await pool.query<{ reference: string; account_number: string }>(
    `SELECT i.reference, i.account_number FROM payment_intent i
     WHERE i.channel = $1 AND i.created_at < $3 AND i.created_at >= $4
       AND NOT EXISTS (SELECT 1 FROM inbound_payment p WHERE p.channel = $1 AND p.external_id = i.reference AND p.received_at < $2)
       AND NOT EXISTS (SELECT 1 FROM registry_line l JOIN registry r ON r.id = l.registry_id
                       WHERE r.channel = $1 AND r.withdrawn_at IS NULL AND r.day < $5::date AND l.external_id = i.reference)
     ORDER BY i.reference`,
    [QIWI_BILL_CHANNEL, from, to, new Date(to.getTime() - QIWI_BILL_LOOKBACK_MS), day],
  );
  return rows.map((row) => ({ billId: row.reference, account: row.account_number }));
}

type BillStatus = { kind: "bill"; raw: Buffer; bill: z.infer<typeof Bill> } | { kind: "unknown" };

export async function fetchQiwiBillsRegistry(options: QiwiBillsRegistryOptions, day: string, bills: readonly IssuedBill[]): Promise<FetchedRegistry> {
  const http = createProviderHttp(options.baseUrl, options.timeoutMs ?? 10_000, { Authorization: `Bearer ${options.secretKey}`, Accept: "application/json" });
  const secrets = [options.secretKey];
  let requests = 0;

  async function status(billId: string): Promise<BillStatus> {
    const what = `the status of bill ${billId}`;
    const { value } = await withProviderRetries(
      { attempts: Math.max(1, options.attempts ?? 3), backoffMs: options.backoffMs ?? 300, timeoutMs: http.defaults.timeout },
      async (attempt): Promise<Attempt<BillStatus>> => {
        requests++;
        const response = await http.get(`/partner/bill/v1/bills/${encodeURIComponent(billId)}`, { responseType: "arraybuffer" });
        const raw = bodyBytes(response.data);
        const text = raw.toString("utf8");
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        if (response.status >= 500) return { ok: false, problem: { httpStatus: response.status, what: `HTTP ${response.status}` } };
        if (response.status === 404) return { ok: true, value: { kind: "unknown" } };
        if (response.status < 200 || response.status >= 300) {
          const error = ErrorAnswer.safeParse(parsed);
          const said = error.success ? [error.data.errorCode, error.data.description].filter((part) => part).join(": ") : "";
          throw new RegistryFetchError("refused", `QIWI refused ${what}: HTTP ${response.status}${said ? ` ${excerpt(said, secrets)}` : ""}`, { httpStatus: response.status, attempts: attempt });
        }
        const bill = Bill.safeParse(parsed);
        if (!bill.success || bill.data.billId !== billId) {
          const field = bill.success ? "billId" : bill.error.issues[0]?.path.join(".") || "body";
          throw new RegistryFetchError("unreadableAnswer", `QIWI's answer to ${what} (HTTP ${response.status}) has no valid ${field}`, { httpStatus: response.status, attempts: attempt });
        }
        return { ok: true, value: { kind: "bill", raw, bill: bill.data } };
      },
      (last, attempts) => new RegistryFetchError("unavailable", `QIWI is unavailable: ${what} failed after ${attempts} attempts, last: ${last.what}`, { ...(last.httpStatus === undefined ? {} : { httpStatus: last.httpStatus }), attempts }),
    );
    return value;
  }

  const answers = await mapLimit(bills, CONCURRENCY, async (issued) => ({ issued, answer: await status(issued.billId) }));
  const kept: { raw: Buffer; line: Omit<RegistryLine, "line">; at: number }[] = [];
  for (const { issued, answer } of answers) {
    if (answer.kind !== "bill" || answer.bill.status.value.toUpperCase() !== "PAID") continue;
    const changed = answer.bill.status.changedDateTime ?? answer.bill.status.datetime;
    const when = changed === undefined ? undefined : moscowDateTime(changed);
    if (!when) throw new RegistryFetchError("unreadableAnswer", `QIWI's answer for bill ${issued.billId}: PAID without a readable status.changedDateTime`);
    // Paid on another day: that day's registry (an earlier one carried it, or the next one will).
    if (when.date !== day) continue;
    const amount = rublesFromJson(answer.bill.amount.value);
    if (!amount.ok) throw new RegistryFetchError("unreadableAnswer", `QIWI's answer for bill ${issued.billId}: ${amount.reason}`);
    kept.push({
      raw: answer.raw,
      at: when.instant.getTime(),
      line: {
        externalId: issued.billId,
        account: (answer.bill.customer?.account ?? issued.account).trim(),
        amountKopecks: amount.kopecks,
        operation: "payment",
        date: when.date,
        time: when.time,
        references: { changedDateTime: changed! },
      },
    });
  }
  const hashed = [...kept].sort((a, b) => (a.line.externalId < b.line.externalId ? -1 : a.line.externalId > b.line.externalId ? 1 : 0));
  kept.sort((a, b) => a.at - b.at || (a.line.externalId < b.line.externalId ? -1 : 1));
  return {
    registry: { day, sequence: 1, lines: kept.map(({ line }, index) => ({ line: index + 1, ...line })), encoding: "utf-8" },
    sha256: answersSha256(hashed.map((entry) => entry.raw)),
    fileName: `qiwi bills status ${day}`,
    requests,
  };
}
