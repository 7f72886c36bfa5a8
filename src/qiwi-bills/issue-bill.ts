import { randomBytes } from "node:crypto";
import { formatRubles } from "../../lib/money.ts";
import type { Db } from "../db.ts";
import type { Logger } from "../log.ts";
import { QiwiBillApiError, type QiwiBillClient } from "./qiwi-bill-client.ts";

/** The QIWI bill channel's id: the namespace of its billIds. */
export const QIWI_BILL_CHANNEL = "qiwi-bill";

/**
 * Issuing a QIWI bill so that a subscriber can pay it from the QIWI wallet. Issuing moves no money: the bill lives at
 * QIWI, and payhub records what it issued (billId, account, amount) before asking QIWI, so that the signed PAID
 * notification for that billId (webhooks/qiwi-bill) credits the account payhub issued it for, once, whatever the
 * notification's unsigned `customer.account` says. The checks here are the ones that notification will meet, made up
 * front so that a subscriber is never handed a bill whose payment the hub would refuse.
 */

/** QIWI closes an unpaid bill after 45 days whatever the bill says; a longer lifetime would be a promise not kept. */
export const MAX_BILL_LIFETIME_MINUTES = 45 * 24 * 60;
/** A day: long enough to pay from the wallet at leisure, short enough that a forgotten bill does not linger. */
export const DEFAULT_BILL_LIFETIME_MINUTES = 24 * 60;

export interface IssueQiwiBillDeps {
  db: Db;
  client: QiwiBillClient;
  /** The QIWI bill channel's limits (`QIWI_BILL_MIN_SUM`/`_MAX_SUM`): the PAID notification is checked against them too. */
  limits: { minKopecks: bigint; maxKopecks: bigint };
  log: Logger;
  now?: () => Date;
}

export interface IssueQiwiBillInput {
  account: string;
  amountKopecks: bigint;
  comment?: string;
  lifetimeMinutes?: number;
}

export interface IssuedQiwiBill {
  billId: string;
  payUrl: string;
  amountKopecks: bigint;
  account: string;
  expiresAt: Date;
  /** QIWI's status of the new bill: WAITING. */
  status: string;
}

export type IssueQiwiBillResult =
  | { ok: true; bill: IssuedQiwiBill }
  | { ok: false; refusal: "accountNotFound" }
  | { ok: false; refusal: "accountInactive"; status: string }
  | { ok: false; refusal: "amountOutsideLimits"; minKopecks: bigint; maxKopecks: bigint }
  /** QIWI refused the bill or could not be reached (after its retries): the bill was not issued, nothing to undo. */
  | { ok: false; refusal: "qiwiFailed"; kind: QiwiBillApiError["kind"]; message: string };

/**
 * `payhub-<account>-<16 hex>`: unique without asking anyone (64 random bits), tells staff reading QIWI's records
 * whose bill it is, and stays within what the notification adapter accepts (printable, at most 200 characters).
 */
export function newBillId(account: string): string {
  return `payhub-${account}-${randomBytes(8).toString("hex")}`;
}

/** Every expected outcome is a result, QIWI's refusal or silence too; only the unexpected throws. */
export async function issueQiwiBill(deps: IssueQiwiBillDeps, input: IssueQiwiBillInput): Promise<IssueQiwiBillResult> {
  const account = await deps.db.subscriberAccount.findUnique({ where: { number: input.account }, select: { status: true } });
  if (!account) return { ok: false, refusal: "accountNotFound" };
  // A blocked or closed account's PAID notification would be refused (money left undelivered at QIWI): no bill for it.
  if (account.status !== "active") return { ok: false, refusal: "accountInactive", status: account.status };
  const { minKopecks, maxKopecks } = deps.limits;
  if (input.amountKopecks < minKopecks || input.amountKopecks > maxKopecks) return { ok: false, refusal: "amountOutsideLimits", minKopecks, maxKopecks };

  const billId = newBillId(input.account);
  const lifetimeMinutes = input.lifetimeMinutes ?? DEFAULT_BILL_LIFETIME_MINUTES;
  // Whole seconds: QIWI's format has none finer, and the expiry the caller is told is then exactly QIWI's.
  const expiresAt = new Date(Math.floor(((deps.now ?? (() => new Date()))().getTime() + lifetimeMinutes * 60_000) / 1000) * 1000);
  const logged = { billId, account: input.account, amount: formatRubles(input.amountKopecks), expiresAt: expiresAt.toISOString() };
  // Recorded first: a PAID notification can then never arrive for a bill payhub has no record of. A bill QIWI refuses
  // leaves a record nothing will ever pay.
  await deps.db.paymentIntent.create({ data: { channel: QIWI_BILL_CHANNEL, reference: billId, accountNumber: input.account, amountKopecks: input.amountKopecks } });
  try {
    const answer = await deps.client.createBill({
      billId,
      amountKopecks: input.amountKopecks,
      expiresAt,
      account: input.account,
      comment: input.comment ?? `Пополнение лицевого счёта ${input.account}`,
    });
    deps.log.info({ ...logged, status: answer.status, attempts: answer.attempts }, "QIWI bill issued");
    return { ok: true, bill: { billId, payUrl: answer.payUrl, amountKopecks: input.amountKopecks, account: input.account, expiresAt, status: answer.status } };
  } catch (error) {
    if (!(error instanceof QiwiBillApiError)) throw error;
    // The message names QIWI's status and words, never the key.
    deps.log.warn({ ...logged, qiwi: { kind: error.kind, ...error.details } }, `QIWI bill not issued: ${error.message}`);
    return { ok: false, refusal: "qiwiFailed", kind: error.kind, message: error.message };
  }
}
