import { cardReversalKey } from "../../adapters/card/index.ts";
import { runEvery, type IntervalRunner } from "../infra/interval-runner.ts";
import type { ChannelProfile, Command, Outcome } from "../../adapters/contract/index.ts";
import type { Logger } from "../log.ts";
import { handleCommand, INTERNAL_ANSWER, type IntakeDeps } from "../payments/handle-command.ts";
import { INCIDENT_KINDS, recordIncident } from "../payments/intake-incidents.ts";
import { CardAcquirerError, CardOrderStatus, type CardAcquirerClient, type CardOrderState } from "./acquirer-client.ts";

/**
 * Card money can take up to 3 banking days, and a callback can be lost, fail verification, or say less than the
 * truth (a refund callback carries no refund id), so payhub asks the acquirer itself (getOrderStatusExtended.do) and
 * turns the answer into the Commands a callback would:
 *
 * - pending + 2 (deposited): confirm with the acquirer's amount → credited once
 * - pending + 6 (declined) or 3 (reversed before it was ever credited): close
 * - pending + 4 (refunded): confirm (the money was deposited), and the order is marked to be asked again once
 *   credited, when its refund is reversed
 * - pending + anything else, older than CARD_ORDER_TTL_MS: close as expired; younger: left for the next round
 * - credited: the acquirer's cumulative refunded amount is the one truth: payhub reverses up to it (3, reversed: the
 *   whole sum), idempotently, whatever callbacks said; a refund the acquirer reports without its amount reverses
 *   nothing and is an incident for an operator
 *
 * Every refund or reversal callback, valid or not, leads here (reconcile). An acquirer that cannot be reached decides
 * nothing: the order stays as it is (an order is never expired unasked) and is asked again in the next round.
 */

export interface CardPollerDeps {
  intake: IntakeDeps;
  client: CardAcquirerClient;
  /** The card channel's profile: its source names the channel the orders are recorded under. */
  profile: ChannelProfile;
  orderTtlMs: number;
  log: Logger;
  batchSize?: number;
}

export type PollResult = "notFound" | "unchanged" | "unavailable" | Command["kind"];

interface CardOrderRow {
  id: string;
  external_id: string;
  md_order: string | null;
  status: string;
  received_at: Date;
  amount_kopecks: string;
  reversed_kopecks: string;
  request: Record<string, unknown>;
}

const ORDER_COLUMNS = `
  p.id, p.external_id, p.request->>'mdOrder' AS md_order, p.status::text AS status, p.received_at, p.amount_kopecks, p.request,
  (SELECT COALESCE(SUM(r.amount_kopecks), 0) FROM payment_reversal r WHERE r.payment_id = p.id) AS reversed_kopecks`;

/** The acquirer's errorCode of a passing failure on its side ("Системная ошибка"): asked again, never flagged. */
const ACQUIRER_SYSTEM_ERROR = "7";

/** An outbox topic of its own marks an order to be asked again (a refund seen before its credit was done). */
export const CARD_RECONCILE_TOPIC = "card-reconcile";

export interface CardPoller {
  /**
   * Asks the acquirer about one order (pending or credited) and settles it: after a refund or reversal callback, and
   * after a callback that failed verification. The outcome is what was done, for the callback's answer.
   */
  pollOrder(orderNumber: string, requestId?: string): Promise<{ result: PollResult; outcome: Outcome }>;
  /** One round over the pending card payments and the orders marked to be asked again, oldest first; returns how many changed. */
  pollPending(): Promise<number>;
}

export function createCardPoller(deps: CardPollerDeps): CardPoller {
  const { pool } = deps.intake;
  const { source } = deps.profile;
  /** One poll per order at a time: a burst of callbacks (or forged ones) becomes at most one request to the acquirer. */
  const inFlight = new Map<string, Promise<{ result: PollResult; outcome: Outcome }>>();

  const mark = (paymentId: string) =>
    pool.query(
      `INSERT INTO outbox (topic, payment_id) VALUES ($1, $2::bigint)
       ON CONFLICT (topic, payment_id) DO UPDATE SET processed_at = NULL, created_at = now()`,
      [CARD_RECONCILE_TOPIC, paymentId],
    );
  const unmark = (paymentId: string) =>
    pool.query("UPDATE outbox SET processed_at = now() WHERE topic = $1 AND payment_id = $2::bigint AND processed_at IS NULL", [CARD_RECONCILE_TOPIC, paymentId]);

  async function flag(row: CardOrderRow, detail: string, requestId: string | undefined): Promise<Outcome> {
    await recordIncident(pool, { kind: INCIDENT_KINDS.reversalRefused, channel: source.channel, externalId: row.external_id, paymentId: BigInt(row.id), detail, request: row.request, requestId });
    deps.log.error({ orderNumber: row.external_id, requestId }, `card order needs an operator: ${detail}`);
    return { kind: "operationRefused", payment: { id: BigInt(row.id), externalId: row.external_id, accountNumber: "", amountKopecks: BigInt(row.amount_kopecks), receivedAt: row.received_at }, reason: detail };
  }

  async function settle(row: CardOrderRow, requestId: string | undefined): Promise<{ result: PollResult; outcome: Outcome }> {
    if (!row.md_order) return { result: "unchanged", outcome: await flag(row, "card payment without the acquirer's order id: its status cannot be asked", requestId) };
    let state: CardOrderState;
    try {
      state = await deps.client.getOrderStatus(row.md_order);
    } catch (error) {
      if (!(error instanceof CardAcquirerError)) throw error;
      deps.log.warn({ orderNumber: row.external_id, mdOrder: row.md_order, acquirer: { kind: error.kind, ...error.details } }, `card order status unknown: ${error.message}`);
      // Asked again in the next round, whatever the caller does.
      if (row.status !== "pending") {
        await mark(row.id);
        // The acquirer refusing to tell the state of an order payhub holds as money (order not found, access denied)
        // will not pass by itself: an operator hears of it, once. Its "system error" (errorCode 7) passes.
        if (error.kind === "refused" && error.details.errorCode !== ACQUIRER_SYSTEM_ERROR) await flag(row, `the acquirer refused to tell the order's state: ${error.message}`, requestId);
      }
      return { result: "unavailable", outcome: { kind: "temporaryFailure" } };
    }
    const step = stepFor(row, state, deps.orderTtlMs);
    if (step === undefined) {
      if (row.status === "credited") await unmark(row.id);
      return { result: "unchanged", outcome: { kind: "acknowledged" } };
    }
    if ("problem" in step) return { result: "unchanged", outcome: await flag(row, step.problem, requestId) };
    const { outcome } = await handleCommand(deps.intake, {
      source,
      profile: deps.profile,
      command: step.command,
      requestId: requestId ?? `card-poll-${row.external_id}`,
      answer: () => INTERNAL_ANSWER,
    });
    // A refund the acquirer holds for an order not credited yet: reversed once the credit is done (next rounds).
    const refundOutstanding = (state.refundedKopecks ?? 0n) > 0n || state.orderStatus === CardOrderStatus.refunded;
    if ((step.command.kind === "confirm" && refundOutstanding) || outcome.kind === "temporaryFailure") {
      await mark(row.id);
    } else if (step.command.kind === "reverse") {
      await unmark(row.id);
    }
    return { result: step.command.kind, outcome };
  }

  async function pollOrderNow(orderNumber: string, requestId: string | undefined): Promise<{ result: PollResult; outcome: Outcome }> {
    const { rows } = await pool.query<CardOrderRow>(`SELECT ${ORDER_COLUMNS} FROM inbound_payment p WHERE p.channel = $1 AND p.external_id = $2`, [source.channel, orderNumber]);
    const row = rows[0];
    if (!row) return { result: "notFound", outcome: { kind: "paymentNotFound" } };
    if (row.status !== "pending" && row.status !== "credited" && row.status !== "accepted") return { result: "unchanged", outcome: { kind: "acknowledged" } };
    return settle(row, requestId);
  }

  return {
    pollOrder(orderNumber, requestId) {
      const running = inFlight.get(orderNumber);
      if (running) return running;
      const poll = pollOrderNow(orderNumber, requestId).finally(() => inFlight.delete(orderNumber));
      inFlight.set(orderNumber, poll);
      return poll;
    },
    async pollPending() {
      const { rows } = await pool.query<CardOrderRow>(
        `SELECT ${ORDER_COLUMNS} FROM inbound_payment p
         WHERE p.channel = $1 AND (p.status = 'pending' OR (p.status = 'credited' AND EXISTS (
           SELECT 1 FROM outbox o WHERE o.topic = $3 AND o.payment_id = p.id AND o.processed_at IS NULL)))
         ORDER BY p.received_at LIMIT $2`,
        [source.channel, deps.batchSize ?? 500, CARD_RECONCILE_TOPIC],
      );
      let changed = 0;
      let failed = 0;
      for (const row of rows) {
        // One order's failure (a database error, an answer the client could not read) must not stall the round.
        try {
          const { result } = await settle(row, undefined);
          if (result !== "unchanged" && result !== "unavailable" && result !== "notFound") changed += 1;
        } catch (error) {
          failed += 1;
          deps.log.error({ err: error, orderNumber: row.external_id }, "card order poll failed; the round goes on, the order is asked again next round");
        }
      }
      if (changed > 0 || failed > 0) deps.log.info({ polled: rows.length, changed, failed }, "card orders settled by polling");
      return changed;
    },
  };
}

type OrderStep = { command: Command } | { problem: string };

/** The acquirer's state of an order as the Command a callback would have been; undefined: nothing to do now. */
export function stepFor(row: Pick<CardOrderRow, "external_id" | "status" | "received_at" | "amount_kopecks" | "reversed_kopecks">, state: CardOrderState, orderTtlMs: number): OrderStep | undefined {
  const ids = { externalId: row.external_id, accountNumber: undefined };
  const reference = row.external_id;
  // Money (credited, or accepted with its credit seconds away: a reversal credits it first, in its own transaction).
  if (row.status === "credited" || row.status === "accepted") {
    const amount = BigInt(row.amount_kopecks);
    // The acquirer's own total of what went back: the whole sum once reversed, its refunded amount otherwise.
    const total = state.orderStatus === CardOrderStatus.reversed ? amount : state.refundedKopecks;
    if (total === undefined) {
      return state.orderStatus === CardOrderStatus.refunded ? { problem: "the acquirer reports the order refunded without the refunded amount: nothing reversed" } : undefined;
    }
    if (total <= BigInt(row.reversed_kopecks)) return undefined;
    const reason = state.orderStatus === CardOrderStatus.reversed ? "reverse" : "refund";
    return { command: { kind: "reverse", reference, reversalKey: cardReversalKey(total), amountKopecks: undefined, cumulativeKopecks: total, reason, ...ids } };
  }
  switch (state.orderStatus) {
    case CardOrderStatus.deposited:
    case CardOrderStatus.refunded:
      return { command: { kind: "confirm", reference, amountKopecks: state.amountKopecks, ...ids } };
    case CardOrderStatus.declined:
      return { command: { kind: "close", reference, reason: "the acquirer reports the order declined (orderStatus 6)", ...ids } };
    case CardOrderStatus.reversed:
      return { command: { kind: "close", reference, reason: "the acquirer reports the order reversed before it was credited (orderStatus 3)", ...ids } };
    default:
      if (Date.now() - row.received_at.getTime() > orderTtlMs) {
        return { command: { kind: "close", reference, reason: `expired: not paid within ${Math.round(orderTtlMs / 1000)} s (acquirer's orderStatus ${state.orderStatus})`, ...ids } };
      }
      return undefined;
  }
}

/** Runs a poll round every intervalMs until stopped; one round at a time. */
export function startCardPoller(poller: CardPoller, intervalMs: number, log: Logger): IntervalRunner {
  return runEvery(intervalMs, () => poller.pollPending(), (error) => log.error({ err: error }, "card poll failed; will try again"));
}
