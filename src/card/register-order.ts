import { randomBytes } from "node:crypto";
import { type Outcome } from "../../adapters/contract/index.ts";
import { formatRubles, percentOf } from "../../lib/money.ts";
import type { Db } from "../db.ts";
import type { Logger } from "../log.ts";
import { handleCommand, type IntakeDeps } from "../payments/accept-payment.ts";
import type { ChannelProfile } from "../../adapters/contract/index.ts";
import { CardAcquirerError, type CardAcquirerClient } from "./acquirer-client.ts";
import { CARD_SOURCE } from "../channels/card.ts";
import { INTERNAL_ANSWER } from "../payments/handle-command.ts";

/**
 * Registering a card order: payhub asks the acquirer for an order (register.do) and records it as a PENDING payment
 * of the card channel (external id = orderNumber, the acquirer's orderId kept as `mdOrder` in its request). Nothing
 * is money until the acquirer's signed `deposited` callback, or the status poller, confirms it.
 */

export interface RegisterCardOrderDeps {
  db: Db;
  intake: IntakeDeps;
  client: CardAcquirerClient;
  profile: ChannelProfile;
  returnUrl: string;
  log: Logger;
}

export type RegisterCardOrderResult =
  | { ok: true; orderNumber: string; orderId: string; formUrl: string; paymentId: bigint }
  | { ok: false; refusal: "accountNotFound" }
  | { ok: false; refusal: "accountInactive"; status: string }
  | { ok: false; refusal: "amountOutsideLimits"; minKopecks: bigint; maxKopecks: bigint }
  /** The acquirer refused the order or could not be reached (after its retries): nothing is recorded. */
  | { ok: false; refusal: "acquirerFailed"; kind: CardAcquirerError["kind"]; message: string }
  /** Registered at the acquirer but not recorded (database unreachable): the payer is not sent to pay. */
  | { ok: false; refusal: "notRecorded"; outcome: Outcome["kind"] };

/** `card-<24 hex>`: 96 random bits, 29 characters (the acquirer takes at most 32). */
export function newCardOrderNumber(): string {
  return `card-${randomBytes(12).toString("hex")}`;
}

/** Every expected outcome is a result, the acquirer's refusal or silence too; only the unexpected throws. */
export async function registerCardOrder(deps: RegisterCardOrderDeps, input: { account: string; amountKopecks: bigint }): Promise<RegisterCardOrderResult> {
  const account = await deps.db.subscriberAccount.findUnique({ where: { number: input.account }, select: { status: true } });
  if (!account) return { ok: false, refusal: "accountNotFound" };
  if (account.status !== "active") return { ok: false, refusal: "accountInactive", status: account.status };
  const { minKopecks, maxKopecks } = deps.profile;
  if (input.amountKopecks < minKopecks || input.amountKopecks > maxKopecks) return { ok: false, refusal: "amountOutsideLimits", minKopecks, maxKopecks };

  const orderNumber = newCardOrderNumber();
  const logged = { orderNumber, account: input.account, amount: formatRubles(input.amountKopecks) };
  let registered;
  try {
    registered = await deps.client.registerOrder({
      orderNumber,
      amountKopecks: input.amountKopecks,
      returnUrl: deps.returnUrl,
      description: `Пополнение лицевого счёта ${input.account}`,
    });
  } catch (error) {
    if (!(error instanceof CardAcquirerError)) throw error;
    deps.log.warn({ ...logged, acquirer: { kind: error.kind, ...error.details } }, `card order not registered: ${error.message}`);
    return { ok: false, refusal: "acquirerFailed", kind: error.kind, message: error.message };
  }
  const { outcome } = await handleCommand(deps.intake, {
    source: CARD_SOURCE,
    profile: deps.profile,
    requestId: undefined,
    answer: () => INTERNAL_ANSWER,
    command: {
      kind: "open",
      externalId: orderNumber,
      accountNumber: input.account,
      amountKopecks: input.amountKopecks,
      commissionKopecks: percentOf(input.amountKopecks, deps.profile.commissionBasisPoints),
      payerAmountKopecks: undefined,
      providerTime: undefined,
      request: { orderNumber, mdOrder: registered.orderId, amount: input.amountKopecks.toString(), formUrl: registered.formUrl },
    },
  });
  if (outcome.kind !== "opened") {
    deps.log.error({ ...logged, mdOrder: registered.orderId, outcome: outcome.kind }, "card order registered at the acquirer but not recorded: the payer is not sent to pay");
    return { ok: false, refusal: "notRecorded", outcome: outcome.kind };
  }
  deps.log.info({ ...logged, mdOrder: registered.orderId, paymentId: outcome.payment.id.toString() }, "card order registered");
  return { ok: true, orderNumber, orderId: registered.orderId, formUrl: registered.formUrl, paymentId: outcome.payment.id };
}
