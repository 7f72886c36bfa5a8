/**
 * The contract between channel adapters and the core. An adapter does not decide anything: it verifies and parses
 * a provider's request into a {@link Command}, and renders the core's {@link Outcome} in the provider's own format.
 * Adapters are pure: no database, no queue, no process.env.
 */

export * from "./crypto.ts";
export * from "./mask.ts";

/** An account number (лицевой счёт) as every channel and the API accept it: 1 to 12 digits. */
export const ACCOUNT_NUMBER_FORMAT = /^[0-9]{1,12}$/;

/** A provider's HTTP request, reduced to what adapters read. */
export interface InboundRequest {
  method: string;
  /** Query and urlencoded body parameters merged; a repeated name arrives as an array and is refused by adapters. */
  params: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  /** The source address after the allowlist and proxy rules of the route. */
  ip: string;
}

/** What the route sends back: status, content type and body exactly as the provider expects them. */
export interface HttpReply {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

/** Where a payment came from. `channel` is the idempotency namespace: external ids are unique within it. */
export interface PaymentSource {
  channel: string;
  protocol: string;
  profile: string;
}

/** May this account be paid (and, when given, this amount)? */
export interface CheckCommand {
  kind: "check";
  /** The provider's id of the check request, echoed in some protocols. */
  externalId: string | undefined;
  accountNumber: string;
  amountKopecks: bigint | undefined;
  /**
   * Set by channels whose pre-request names a payment payhub issued itself (WebMoney's LMI_PAYMENT_NO): the check
   * confirms only that issued payment, for its own account and amount, and writes nothing.
   */
  intentReference?: string;
}

/** The provider took money for this account; record it durably and credit it once. */
export interface PayCommand {
  kind: "pay";
  /** The provider's payment id: with the channel, the idempotency key. */
  externalId: string;
  accountNumber: string;
  /** What the subscriber's account is credited. */
  amountKopecks: bigint;
  /** What the provider or the payer paid in fees, recorded, never credited. */
  commissionKopecks: bigint;
  /** What the payer paid in all, when the protocol says. */
  payerAmountKopecks: bigint | undefined;
  /** The provider's timestamp exactly as received. */
  providerTime: string | undefined;
  /** The request as received, secrets removed: stored on the payment for disputes. */
  request: Record<string, unknown>;
  /**
   * The payment payhub issued itself that this notification pays (a WebMoney invoice's LMI_PAYMENT_NO, a QIWI billId),
   * a reference the provider's signature covers. The account and the expected amount then come from payhub's record of
   * it; `accountNumber` (an unsigned field on those channels) only describes. A reference payhub never issued, or a
   * signed amount other than the issued one, sends the payment to suspense.
   */
  intentReference?: string;
  /**
   * True when the provider tells of money that already moved and a refusal would not send it back: a notification
   * (YooMoney, a QIWI bill PAID, a WebMoney payment notification), not a step the provider asks permission for. A
   * payment for an unknown, closed or blocked account is then recorded and credited to the suspense account for an
   * operator, and the provider hears its success. Set by the adapter, per command, because it is a fact of the
   * protocol's message (WebMoney's pre-request of the same endpoint may still refuse); protocols with a check step
   * (OSMP, bank XML, ArsenalPay, SMS) leave it unset and keep refusing. Amount limits still refuse.
   */
  unrefusable?: boolean;
}

/**
 * A notification the provider needs answered as received but that moves no money: a test notification, a payment the
 * protocol says not to credit (a protected transfer, a test-mode payment in production). Logged with its reason.
 */
export interface AcknowledgeCommand {
  kind: "acknowledge";
  externalId: string | undefined;
  accountNumber: string | undefined;
  /** Why no money moves: said in the log line. */
  reason: string;
  /**
   * Set when the reason to move no money rests on a field the provider's signature does not cover (YooMoney's
   * test_notification on what looks like a real operation): unless the payment is recorded already, the notification
   * is recorded as an intake incident with this detail, so that a real payment marked so is not lost in a log line.
   */
  flag?: string;
}

/**
 * A two-phase channel opens a payment that is not money yet (an SMS awaiting the subscriber's confirmation). It is
 * recorded like a pay, with the same idempotency, but credited only when a ConfirmCommand arrives.
 */
export interface OpenCommand extends Omit<PayCommand, "kind"> {
  kind: "open";
}

/**
 * The provider's own id of a payment, signed, on channels whose status messages are signed over that id alone (the
 * SMS aggregator's payment_id): bound to the first payment it names with the amount it reports, so that a captured
 * message replayed with another payment or amount is refused and flagged.
 */
export interface ProviderBinding {
  providerReference: string;
  amountKopecks: bigint;
}

/** The provider reports that a pending payment succeeded: it becomes money and is credited once. */
export interface ConfirmCommand {
  kind: "confirm";
  /** The pending payment: its external id in the channel. */
  reference: string;
  /** What the provider says was paid, when it says: the payment's sum, or its sum with the commission. */
  amountKopecks: bigint | undefined;
  /**
   * A capture of a hold (ArsenalPay): `amountKopecks` is the captured sum, at most the held one, and becomes the
   * payment's sum (the rest of the hold is released); these are the capture's commission and payer's amount.
   */
  capture?: { commissionKopecks: bigint; payerAmountKopecks: bigint | undefined };
  binding?: ProviderBinding;
  externalId: string | undefined;
  accountNumber: undefined;
}

/** The provider reports that a pending payment failed: it closes without money. */
export interface CloseCommand {
  kind: "close";
  reference: string;
  reason: string;
  binding?: ProviderBinding;
  externalId: string | undefined;
  accountNumber: undefined;
}

/**
 * The provider reports that a pending payment is still pending: nothing moves. A report that contradicts a final state
 * the payment already reached (a "pending" after its success or failure) is refused and flagged.
 */
export interface StillPendingCommand {
  kind: "stillPending";
  reference: string;
  binding?: ProviderBinding;
  externalId: string | undefined;
  accountNumber: undefined;
}

/**
 * The provider says a payment's money moved back (a card refund or reversal), in a message whose word alone must not
 * move money: payhub asks the provider's own API for the payment's state and settles from that answer.
 */
export interface ReconcileCommand {
  kind: "reconcile";
  reference: string;
  /** What the message said, for the log. */
  reason: string;
  externalId: string | undefined;
  accountNumber: undefined;
}

/**
 * The provider gives a credited payment's money back to the payer (a refund, a reverse, a cancel after payment): a
 * compensating posting linked to the payment, never more than what is left of it.
 */
export interface ReverseCommand {
  kind: "reverse";
  /** The payment: its external id in the channel. */
  reference: string;
  /** This reversal's own key: repeated callbacks of one reversal share it; two partial refunds do not. */
  reversalKey: string;
  /** How much; undefined: everything that is left (unless `cumulativeKopecks` says). */
  amountKopecks: bigint | undefined;
  /**
   * The provider's own total of everything reversed of this payment so far, from its API (card acquirer): the reversal
   * is the difference from what payhub has reversed, computed under the payment's lock, so any number of polls and
   * callbacks reverse the total once.
   */
  cumulativeKopecks?: bigint;
  /** The provider's time of this reversal as received; when a repeat of the same key carries another, an operator is told. */
  providerTime?: string;
  /** The provider's request as received, secrets removed: stored with the reversal. */
  request?: Record<string, unknown>;
  /** As the provider named it; storno: a cashier cancelled a cash payment (src/cashier). */
  reason: "refund" | "reverse" | "cancel" | "storno";
  externalId: string | undefined;
  accountNumber: undefined;
}

export type Command =
  | CheckCommand
  | PayCommand
  | AcknowledgeCommand
  | OpenCommand
  | ConfirmCommand
  | CloseCommand
  | StillPendingCommand
  | ReverseCommand
  | ReconcileCommand;

/** An inbound payment as the core shows it to adapters. */
export interface PaymentView {
  /** The hub's own payment id (OSMP prv_txn, bank EXT_ID). */
  id: bigint;
  externalId: string;
  accountNumber: string;
  amountKopecks: bigint;
  receivedAt: Date;
}

/** A subscriber account as a payer may see it: the owner's name is masked. */
export interface AccountView {
  number: string;
  maskedOwnerName: string;
  address: string;
  balanceKopecks: bigint;
  monthlyFeeKopecks: bigint;
}

/** Every result of a Command. Adapters map each kind to their protocol's code in one exhaustive table. */
export type Outcome =
  | { kind: "checked"; account: AccountView }
  /** An AcknowledgeCommand was recorded in the log: answer success; `flag`: the detail of the intake incident recorded. */
  | { kind: "acknowledged"; flag?: string }
  | { kind: "accepted"; payment: PaymentView }
  /** A repeat of a known external id with the same account and sum: answered like the original, credited never. */
  | { kind: "duplicate"; payment: PaymentView }
  /** A repeat of a known external id with another account or sum: refused and flagged for an operator. */
  | { kind: "conflict"; payment: PaymentView }
  | { kind: "accountNotFound" }
  /** Payments to the account are forbidden (an administrative block). */
  | { kind: "accountBlocked" }
  /** The contract is closed. */
  | { kind: "accountInactive" }
  | { kind: "amountTooSmall"; minKopecks: bigint }
  | { kind: "amountTooLarge"; maxKopecks: bigint }
  /** A pending payment was opened (or its opening repeated): not money until confirmed. */
  | { kind: "opened"; payment: PaymentView; repeat: boolean }
  /**
   * A pending payment became money (or its confirmation repeated): it is credited once. `flag`: on a report payhub
   * cannot fully verify; the detail of the intake incident recorded for an operator to confirm.
   */
  | { kind: "confirmed"; payment: PaymentView; repeat: boolean; flag?: string }
  /** A pending payment closed without money (or its closing repeated). */
  | { kind: "closed"; payment: PaymentView; repeat: boolean }
  /**
   * Part or all of a credited payment went back to the payer (or the same reversal repeated): a compensating posting.
   * `flag`: done (or repeated) safely, but an operator should look: the detail of the intake incident recorded.
   */
  | { kind: "reversed"; payment: PaymentView; amountKopecks: bigint; repeat: boolean; flag?: string }
  /** The referenced payment does not exist in this channel. */
  | { kind: "paymentNotFound" }
  /**
   * The payment cannot take this step (closed or credited already, the amount differs, more than is left to reverse).
   * `reason` says which. Refusing a step that says money moved is recorded as an intake incident for an operator.
   */
  | { kind: "operationRefused"; payment: PaymentView; reason: string }
  /** The hub could not decide now (database unreachable): the provider should repeat later. */
  | { kind: "temporaryFailure" };

export type OutcomeKind = Outcome["kind"];

/** Outcomes that only two-phase and reversal commands produce: single-step protocols never reach them. */
export type StepOutcome = Extract<Outcome, { kind: "opened" | "confirmed" | "closed" | "paymentNotFound" | "operationRefused" | "reversed" }>;
const STEP_OUTCOME_KINDS: ReadonlySet<OutcomeKind> = new Set(["opened", "confirmed", "closed", "paymentNotFound", "operationRefused", "reversed"]);

/** For the reply tables of single-step protocols: answer these with the protocol's "not supported" refusal up front. */
export function isStepOutcome(outcome: Outcome): outcome is StepOutcome {
  return STEP_OUTCOME_KINDS.has(outcome.kind);
}

/** Why a request was refused before it became a Command. `field` names what to fix. */
export interface ProtocolError {
  kind: "malformed" | "badAccountFormat" | "unknownCommand" | "badSignature" | "forbidden" | "unauthorized" | "notFound";
  message: string;
  field?: string;
}

export type ParseResult = { ok: true; command: Command } | { ok: false; error: ProtocolError };

/** Per-profile settings an adapter needs to parse; resolved from the environment by the core, passed in. */
export interface ChannelProfile {
  source: PaymentSource;
  /** Smallest and largest payment the profile accepts, in kopecks. */
  minKopecks: bigint;
  maxKopecks: bigint;
  /** Commission the network keeps, in basis points of the sum (100 = 1 %), recorded per payment. */
  commissionBasisPoints: bigint;
}

/** A payment as the core knows it, for a channel's table of allowed steps ({@link ChannelAdapter.decide}). */
export interface PaymentState {
  status: "pending" | "accepted" | "credited" | "failed" | "closed";
  accountNumber: string;
  amountKopecks: bigint;
  /** The reversals posted so far, oldest first. */
  reversals: readonly { key: string; amountKopecks: bigint; reason: string }[];
}

/** A channel's verdict on a step: go ahead with this command (perhaps a more precise one), or refuse, saying why. */
export type StepDecision = { ok: true; command: Command } | { ok: false; reason: string };

/** One channel protocol: parse a request, render an outcome or an error. */
export interface ChannelAdapter<Profile extends ChannelProfile = ChannelProfile> {
  protocol: string;
  parse(request: InboundRequest, profile: Profile): ParseResult;
  /**
   * For protocols with their own table of steps per payment (ArsenalPay, PROTOCOLS.md §3): given the verified
   * request, the parsed command and the payment's state (undefined: never seen), the step to take. Pure; the core
   * loads the state and runs the command, whose statements keep the money rules under concurrency.
   */
  decide?(request: InboundRequest, command: Command, state: PaymentState | undefined): StepDecision;
  reply(command: Command, outcome: Outcome, request: InboundRequest, profile: Profile): HttpReply;
  replyError(error: ProtocolError, request: InboundRequest | undefined): HttpReply;
}

/** For exhaustive switches: the compiler proves every case is handled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
