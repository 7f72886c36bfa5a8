import { CARD_REVERSED_KEY } from "../../adapters/card/index.ts";
import type { ChannelProfile, Command } from "../../adapters/contract/index.ts";
import type { Logger } from "../log.ts";
import { handleCommand, type IntakeDeps } from "../payments/accept-payment.ts";
import { CardAcquirerError, CardOrderStatus, type CardAcquirerClient, type CardOrderState } from "./acquirer-client.ts";
import { CARD_CHANNEL, CARD_SOURCE, INTERNAL_ANSWER } from "./channel.ts";

/**
 * Card money can take up to 3 banking days, and a callback can be lost or fail verification, so payhub asks the
 * acquirer itself (getOrderStatusExtended.do) and turns the answer into the same Commands a callback would:
 *
 * - pending + 2 (deposited): confirm with the acquirer's amount → credited once
 * - pending + 6 (declined) or 3 (reversed before it was ever credited): close
 * - pending + 4 (refunded): confirm (the money was deposited); the refund is compensated by the acquirer's `refunded`
 *   callback, which is refused with 409 (and so repeated) until the credit is done, or by a later pollOrder
 * - pending + anything else, older than CARD_ORDER_TTL_MS: close as expired; younger: left for the next round
 * - credited + 3: reverse everything left (key "reversed", shared with the callback); credited + 4: reverse up to the
 *   acquirer's refunded total (only pollOrder, after a callback failed verification, looks at credited orders)
 *
 * An acquirer that cannot be reached decides nothing: the order stays as it is (an order is never expired unasked).
 */

export interface CardPollerDeps {
  intake: IntakeDeps;
  client: CardAcquirerClient;
  profile: ChannelProfile;
  orderTtlMs: number;
  log: Logger;
  batchSize?: number;
}

export type PollResult = "notFound" | "unchanged" | "unavailable" | Command["kind"];

interface CardOrderRow {
  external_id: string;
  md_order: string | null;
  status: string;
  received_at: Date;
  amount_kopecks: string;
  reversed_kopecks: string;
}

const ORDER_COLUMNS = `
  p.external_id, p.request->>'mdOrder' AS md_order, p.status::text AS status, p.received_at, p.amount_kopecks,
  (SELECT COALESCE(SUM(r.amount_kopecks), 0) FROM payment_reversal r WHERE r.payment_id = p.id) AS reversed_kopecks`;

export interface CardPoller {
  /** Asks the acquirer about one order (pending or credited) and settles it; used after a callback failed verification. */
  pollOrder(orderNumber: string): Promise<PollResult>;
  /** One round over the pending card payments, oldest first; returns how many changed. */
  pollPending(): Promise<number>;
}

export function createCardPoller(deps: CardPollerDeps): CardPoller {
  const { pool } = deps.intake;
  /** One poll per order at a time: a burst of forged callbacks becomes at most one request to the acquirer. */
  const inFlight = new Map<string, Promise<PollResult>>();

  async function settle(row: CardOrderRow): Promise<PollResult> {
    if (!row.md_order) {
      deps.log.error({ orderNumber: row.external_id }, "card payment without the acquirer's order id: cannot ask its status");
      return "unchanged";
    }
    let state: CardOrderState;
    try {
      state = await deps.client.getOrderStatus(row.md_order);
    } catch (error) {
      if (!(error instanceof CardAcquirerError)) throw error;
      deps.log.warn({ orderNumber: row.external_id, mdOrder: row.md_order, acquirer: { kind: error.kind, ...error.details } }, `card order status unknown: ${error.message}`);
      return "unavailable";
    }
    const command = commandFor(row, state, deps.orderTtlMs);
    if (!command) return "unchanged";
    await handleCommand(deps.intake, { source: CARD_SOURCE, profile: deps.profile, command, requestId: `card-poll-${row.external_id}`, answer: () => INTERNAL_ANSWER });
    return command.kind;
  }

  async function pollOrderNow(orderNumber: string): Promise<PollResult> {
    const { rows } = await pool.query<CardOrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM inbound_payment p WHERE p.channel = $1 AND p.external_id = $2 AND p.status IN ('pending', 'credited')`,
      [CARD_CHANNEL, orderNumber],
    );
    return rows[0] ? settle(rows[0]) : "notFound";
  }

  return {
    pollOrder(orderNumber) {
      const running = inFlight.get(orderNumber);
      if (running) return running;
      const poll = pollOrderNow(orderNumber).finally(() => inFlight.delete(orderNumber));
      inFlight.set(orderNumber, poll);
      return poll;
    },
    async pollPending() {
      const { rows } = await pool.query<CardOrderRow>(
        `SELECT ${ORDER_COLUMNS} FROM inbound_payment p WHERE p.channel = $1 AND p.status = 'pending' ORDER BY p.received_at LIMIT $2`,
        [CARD_CHANNEL, deps.batchSize ?? 500],
      );
      let changed = 0;
      for (const row of rows) {
        const result = await settle(row);
        if (result !== "unchanged" && result !== "unavailable" && result !== "notFound") changed += 1;
      }
      if (changed > 0) deps.log.info({ polled: rows.length, changed }, "card orders settled by polling");
      return changed;
    },
  };
}

/** The acquirer's state of an order as the Command a callback would have been; undefined: nothing to do yet. */
export function commandFor(row: CardOrderRow, state: CardOrderState, orderTtlMs: number): Command | undefined {
  const ids = { externalId: row.external_id, accountNumber: undefined };
  const reference = row.external_id;
  if (row.status === "credited") {
    const left = BigInt(row.amount_kopecks) - BigInt(row.reversed_kopecks);
    if (left <= 0n) return undefined;
    if (state.orderStatus === CardOrderStatus.reversed) {
      return { kind: "reverse", reference, reversalKey: CARD_REVERSED_KEY, amountKopecks: undefined, reason: "reverse", ...ids };
    }
    if (state.orderStatus === CardOrderStatus.refunded) {
      const target = state.refundedKopecks ?? BigInt(row.amount_kopecks);
      const missing = target - BigInt(row.reversed_kopecks);
      if (missing <= 0n) return undefined;
      return { kind: "reverse", reference, reversalKey: `refunded total ${target}`, amountKopecks: missing < left ? missing : left, reason: "refund", ...ids };
    }
    return undefined;
  }
  switch (state.orderStatus) {
    case CardOrderStatus.deposited:
    case CardOrderStatus.refunded:
      return { kind: "confirm", reference, amountKopecks: state.amountKopecks, ...ids };
    case CardOrderStatus.declined:
      return { kind: "close", reference, reason: "the acquirer reports the order declined (orderStatus 6)", ...ids };
    case CardOrderStatus.reversed:
      return { kind: "close", reference, reason: "the acquirer reports the order reversed before it was credited (orderStatus 3)", ...ids };
    default:
      if (Date.now() - row.received_at.getTime() > orderTtlMs) {
        return { kind: "close", reference, reason: `expired: not paid within ${Math.round(orderTtlMs / 1000)} s (acquirer's orderStatus ${state.orderStatus})`, ...ids };
      }
      return undefined;
  }
}

/** Runs a poll round every intervalMs until stopped; one round at a time. */
export function startCardPoller(poller: CardPoller, intervalMs: number, log: Logger): { stop: () => Promise<void> } {
  let busy: Promise<unknown> | undefined;
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped || busy) return;
    busy = poller
      .pollPending()
      .catch((error: unknown) => log.error({ err: error }, "card poll failed; will try again"))
      .finally(() => {
        busy = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await busy;
    },
  };
}
