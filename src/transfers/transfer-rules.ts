import { formatRubles } from "../../lib/money.ts";
import { hasRole, requireStaff, StaffActionError, type Actor } from "../staff/actor.ts";
import type { PaymentFigures } from "./payments.ts";

// The checks the transfer use cases share: who may file and decide, and what a payment still allows.

/** Filing holds up to 5 files of 5 MB in one transaction: more time than Prisma's default 5 s. */
export const TRANSACTION_OPTIONS = { timeout: 30_000, maxWait: 10_000 };

/** A transfer needs a person: the automation token may neither file nor decide. */
export const requirePerson = (actor: Actor): number => requireStaff(actor, "transfers are filed and decided");

/** A supervisor or admin (a person); a cashier files but never decides. */
export function requireChecker(actor: Actor): number {
  const staffId = requirePerson(actor);
  if (!hasRole(actor, "supervisor")) throw new StaffActionError("supervisor_required", "only a supervisor or an admin decides on transfers");
  return staffId;
}

export function requireWords(text: string, field: "reason" | "note", what: string): string {
  const trimmed = text.trim();
  if (trimmed.length < 3) throw new StaffActionError(`${field}_required`, what);
  return trimmed;
}

export const rubles = (kopecks: bigint) => `${formatRubles(kopecks)} ₽`;

/** What a payment still allows, in words, for refusals. */
export function figuresText(payment: PaymentFigures): string {
  return `payment ${payment.id} of ${rubles(payment.amountKopecks)}: ${rubles(payment.reversedKopecks)} reversed by the provider or cancelled, ${rubles(payment.transferredKopecks)} transferred`;
}

/** The payment must be money on the "from" account: credited to a subscriber account. */
export function requireCreditedTo(payment: PaymentFigures, fromAccountId?: number): number {
  if (payment.status !== "credited" || payment.accountId === null) {
    throw new StaffActionError("payment_not_credited", `payment ${payment.id} is ${payment.status}${payment.accountId === null ? " and credited to no account" : ""}: only money credited to an account can be transferred`);
  }
  if (fromAccountId !== undefined && payment.accountId !== fromAccountId) {
    throw new StaffActionError("payment_not_credited", `payment ${payment.id} is no longer credited to the transfer's account`);
  }
  return payment.accountId;
}
