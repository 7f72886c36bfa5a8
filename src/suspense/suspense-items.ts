import { ACCOUNT_NUMBER_FORMAT, maskOwnerName } from "../../adapters/contract/index.ts";
import { prismaTransactionClient, type Db } from "../db.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { ledgerCodes } from "../ledger/ledger-accounts.ts";
import { post } from "../ledger/post.ts";
import { hasRole, StaffActionError, type ActionContext } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import { payerKeyOf, type PayerKey } from "./payer-key.ts";
import { similarAccountNumbers, type SimilarityRule } from "./similar-numbers.ts";

/**
 * The suspense queue: payments a channel delivered for an unknown, closed or blocked account that it could not be
 * refused (intake records them with a suspense_item, crediting posts them to the suspense ledger account). An operator
 * lists the open ones with match suggestions and assigns each to the right account: one posting moves the money from
 * suspense to the subscriber. For the API (src/api/suspense-routes.ts) and the operator console pages.
 */

export type SuspenseStatus = "open" | "assigned";

/** An account a suggestion names; only active accounts are suggested, since only they can be assigned. */
export interface SuggestedAccount {
  number: string;
  /** Masked: И***в И. И. */
  maskedOwnerName: string;
  address: string;
}

export interface SuspenseSuggestions {
  /** Existing active accounts one typing mistake away from the number sent, in the order of the rules. */
  similar: (SuggestedAccount & { rule: SimilarityRule })[];
  /** The payer as the channel names them (wallet, purse, phone); undefined when the channel's request names none. */
  payer: string | undefined;
  /** The active accounts the same payer's other payments in the channel went to, most payments first, then latest. */
  payerAccounts: (SuggestedAccount & { payments: number; lastPaidAt: Date })[];
}

export interface SuspenseItemView {
  id: number;
  status: SuspenseStatus;
  /** unknown account, account closed, account blocked */
  reason: string;
  createdAt: Date;
  payment: {
    id: bigint;
    channel: string;
    externalId: string;
    /** The account number exactly as the channel sent it. */
    accountNumber: string;
    amountKopecks: bigint;
    receivedAt: Date;
    /** accepted: not yet credited to suspense (seconds); credited: in the suspense account, or assigned since. */
    status: string;
  };
  assignment: { accountNumber: string; assignedBy: string | null; assignedAt: Date; note: string; postingId: bigint } | undefined;
  /** For open items only. */
  suggestions: SuspenseSuggestions | undefined;
}

const SUGGESTION_LIMIT = 10;
const ITEM_INCLUDE = {
  payment: true,
  account: { select: { number: true } },
  assignedBy: { select: { login: true } },
} as const satisfies Prisma.SuspenseItemInclude;
type ItemRow = Prisma.SuspenseItemGetPayload<{ include: typeof ITEM_INCLUDE }>;

/** The items of one status, oldest first (the queue's order), the open ones with their suggestions. */
export async function listSuspenseItems(db: Db, input: { status: SuspenseStatus; limit: number }): Promise<SuspenseItemView[]> {
  const rows = await db.suspenseItem.findMany({
    where: { status: input.status },
    include: ITEM_INCLUDE,
    orderBy: input.status === "open" ? [{ createdAt: "asc" }, { id: "asc" }] : [{ assignedAt: "desc" }, { id: "desc" }],
    take: input.limit,
  });
  const similar = await similarAccountsOf(db, rows.filter((row) => row.status === "open").map((row) => row.payment.accountNumber));
  return Promise.all(rows.map(async (row) => viewOf(row, row.status === "open" ? await suggestionsOf(db, row, similar) : undefined)));
}

/** One item, with suggestions while it is open; undefined when there is no such item. */
export async function getSuspenseItem(db: Db, id: number): Promise<SuspenseItemView | undefined> {
  const row = await db.suspenseItem.findUnique({ where: { id }, include: ITEM_INCLUDE });
  if (!row) return undefined;
  if (row.status !== "open") return viewOf(row, undefined);
  return viewOf(row, await suggestionsOf(db, row, await similarAccountsOf(db, [row.payment.accountNumber])));
}

interface LockedItem {
  status: SuspenseStatus;
  payment_id: bigint;
  amount_kopecks: bigint;
  payment_status: string;
  channel: string;
  account_number: string;
  assigned_number: string | null;
}

/**
 * Assigns an open item to an active account, in ONE transaction: the item and its payment are locked (FOR UPDATE),
 * so of two concurrent assignments the second waits and then finds the item assigned (409); a posting
 * "suspense-assignment" linked to the payment moves its amount from the suspense ledger account to the subscriber's,
 * the cached balance follows, the item records the account, who, when, the note and the posting, the payment takes
 * the account (so its listing, reversals and transfers see it as that subscriber's from now on), and the audit entry
 * commits with it. Supervisors and admins only; the note says why this account.
 */
export async function assignSuspenseItem(db: Db, context: ActionContext, input: { itemId: number; accountNumber: string; note: string }): Promise<SuspenseItemView> {
  if (!hasRole(context.actor, "supervisor")) throw new StaffActionError("supervisor_required", "only a supervisor or an admin assigns payments in suspense");
  const note = input.note.trim();
  if (note.length < 3) throw new StaffActionError("note_required", "say why the payment belongs to this account");
  if (!ACCOUNT_NUMBER_FORMAT.test(input.accountNumber)) throw new StaffActionError("bad_account", "the account number is 1 to 12 digits");

  await db.$transaction(async (tx) => {
    const [item] = await tx.$queryRaw<LockedItem[]>`
      SELECT i.status::text AS status, i.payment_id, p.amount_kopecks, p.status::text AS payment_status, p.channel,
        p.account_number, a.number AS assigned_number
      FROM suspense_item i JOIN inbound_payment p ON p.id = i.payment_id LEFT JOIN subscriber_account a ON a.id = i.account_id
      WHERE i.id = ${input.itemId} FOR UPDATE OF i, p`;
    if (!item) throw new StaffActionError("suspense_not_found", `no suspense item ${input.itemId}`);
    if (item.status !== "open") throw new StaffActionError("already_assigned", `suspense item ${input.itemId} is already assigned to account ${item.assigned_number}`);
    // Only money that reached the suspense account can leave it; crediting takes seconds after intake.
    if (item.payment_status !== "credited") {
      throw new StaffActionError("not_credited_yet", `payment ${item.payment_id} is ${item.payment_status}, not yet credited to suspense: try again in a moment`);
    }
    const [account] = await tx.$queryRaw<{ id: number; status: string; ledger_account_id: number }[]>`
      SELECT id, status::text AS status, ledger_account_id FROM subscriber_account WHERE number = ${input.accountNumber} FOR UPDATE`;
    if (!account) throw new StaffActionError("account_not_found", `no account ${input.accountNumber}`);
    if (account.status !== "active") throw new StaffActionError("account_not_active", `account ${input.accountNumber} is ${account.status}: assign to an active account`);

    const postingId = await post(prismaTransactionClient(tx), {
      kind: "suspense-assignment",
      paymentId: item.payment_id,
      memo: `suspense item ${input.itemId}: payment ${item.payment_id} via ${item.channel} for ${item.account_number} assigned to ${input.accountNumber}`,
      entries: [
        { ledgerAccount: ledgerCodes.suspense, amountKopecks: -item.amount_kopecks },
        { ledgerAccount: account.ledger_account_id, amountKopecks: item.amount_kopecks },
      ],
    });
    await tx.$executeRaw`
      UPDATE suspense_item SET status = 'assigned', account_id = ${account.id}, assigned_by_id = ${context.actor.staffId}::int,
        assigned_at = now(), note = ${note}, posting_id = ${postingId}::bigint
      WHERE id = ${input.itemId}`;
    await tx.$executeRaw`UPDATE inbound_payment SET account_id = ${account.id}::int WHERE id = ${item.payment_id}::bigint`;
    await audit(tx, context, {
      action: "suspense.assign",
      target: `suspense:${input.itemId}`,
      reason: note,
      detail: { payment: item.payment_id.toString(), sentAccount: item.account_number, account: input.accountNumber, amountKopecks: item.amount_kopecks.toString(), posting: postingId.toString() },
    });
  });
  return (await getSuspenseItem(db, input.itemId))!;
}

function viewOf(row: ItemRow, suggestions: SuspenseSuggestions | undefined): SuspenseItemView {
  const { payment } = row;
  return {
    id: row.id,
    status: row.status,
    reason: row.reason,
    createdAt: row.createdAt,
    payment: {
      id: payment.id,
      channel: payment.channel,
      externalId: payment.externalId,
      accountNumber: payment.accountNumber,
      amountKopecks: payment.amountKopecks,
      receivedAt: payment.receivedAt,
      status: payment.status,
    },
    assignment:
      row.status === "assigned" && row.account && row.assignedAt && row.postingId !== null
        ? { accountNumber: row.account.number, assignedBy: row.assignedBy?.login ?? null, assignedAt: row.assignedAt, note: row.note ?? "", postingId: row.postingId }
        : undefined,
    suggestions,
  };
}

const suggested = (account: { number: string; ownerName: string; address: string }): SuggestedAccount => ({
  number: account.number,
  maskedOwnerName: maskOwnerName(account.ownerName),
  address: account.address,
});

/** The existing active accounts among the similar numbers of every number sent: one lookup (`number = ANY`). */
async function similarAccountsOf(db: Db, numbers: string[]): Promise<Map<string, SuggestedAccount>> {
  const candidates = new Set(numbers.flatMap((number) => [...similarAccountNumbers(number).keys()]));
  if (candidates.size === 0) return new Map();
  const rows = await db.$queryRaw<{ number: string; owner_name: string; address: string }[]>`
    SELECT number, owner_name, address FROM subscriber_account WHERE number = ANY(${[...candidates]}::text[]) AND status = 'active'`;
  return new Map(rows.map((row) => [row.number, suggested({ number: row.number, ownerName: row.owner_name, address: row.address })]));
}

async function suggestionsOf(db: Db, row: ItemRow, existing: Map<string, SuggestedAccount>): Promise<SuspenseSuggestions> {
  const similar: SuspenseSuggestions["similar"] = [];
  for (const [number, rule] of similarAccountNumbers(row.payment.accountNumber)) {
    const account = existing.get(number);
    if (account && similar.length < SUGGESTION_LIMIT) similar.push({ ...account, rule });
  }
  const payer = payerKeyOf(row.payment.channel, row.payment.request);
  return { similar, payer: payer?.value, payerAccounts: payer ? await payerAccountsOf(db, row.payment.channel, row.payment.id, payer) : [] };
}

/** The accounts the same payer's other payments in the channel went to (the payment's own account_id is NULL). */
async function payerAccountsOf(db: Db, channel: string, paymentId: bigint, payer: PayerKey): Promise<SuspenseSuggestions["payerAccounts"]> {
  const rows = await db.$queryRaw<{ number: string; owner_name: string; address: string; payments: number; last_paid_at: Date }[]>`
    SELECT s.number, s.owner_name, s.address, count(*)::int AS payments, max(p.received_at) AS last_paid_at
    FROM inbound_payment p JOIN subscriber_account s ON s.id = p.account_id
    WHERE p.channel = ${channel} AND p.request #>> ${[...payer.path]}::text[] = ${payer.value} AND p.id <> ${paymentId}
      AND s.status = 'active'
    GROUP BY s.id ORDER BY payments DESC, last_paid_at DESC, s.number LIMIT ${SUGGESTION_LIMIT}`;
  return rows.map((r) => ({ ...suggested({ number: r.number, ownerName: r.owner_name, address: r.address }), payments: r.payments, lastPaidAt: r.last_paid_at }));
}
