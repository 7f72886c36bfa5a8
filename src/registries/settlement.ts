/**
 * The settlement check of REGISTRIES.md §5: a registry's total less the provider's commission must equal the
 * платёжное поручение that pays for it in the bank statement; otherwise the registry is flagged `settlement_mismatch`
 * with the difference (its lines keep their classes). Pure: the registry's totals, the statement's documents and the
 * channel's settlement profile in, the verdict out. Wallets (money stays in the wallet) have no transfer.
 *
 * Finding the transfer, in order:
 * 1. by the payment order the registry names (footer `<п/п number>;<п/п date>`, `totals.paymentOrder`): an incoming
 *    document with that number and date. Payment-order numbers are the payer's own sequence, so when the channel's
 *    payer is configured, a same-numbered document from another payer does not count;
 * 2. else by payer and purpose: an incoming document from the channel's payer (INN, account or name as configured)
 *    whose purpose mentions the registry day (`за 23.11.2026`, `реестр … 23.11.26`, `23/11/2026`, `2026-11-23`) and,
 *    when configured, the channel's purpose pattern, dated (credited) within `windowDays` after the registry day.
 *
 * Who pays for which channel (INNs, transit accounts, wording of the purpose) is set by each contract: nothing here
 * is a fact about a provider. `DEFAULT_SETTLEMENT_RULES` carries empty placeholders to be filled from configuration.
 */
import type { RegistryTotals } from "./format.ts";
import type { StatementDocument } from "./bank-statement-1c.ts";

/** How the channel's transfer is recognised in a statement when the registry names no payment order. */
export interface ChannelPayer {
  /** The payer's INN(s) on the transfer (`ПлательщикИНН`). */
  inns?: readonly string[];
  /** The payer's account(s) (`ПлательщикСчет`), e.g. a bank's transit account for registry transfers. */
  accounts?: readonly string[];
  /** The payer's name (`Плательщик1`), when neither INN nor account is known. */
  name?: RegExp;
  /**
   * What the purpose must also say for this channel (e.g. /реестр/i, /эквайринг/i): distinguishes two channels paid
   * by the same payer (a bank's registry transfers and its acquiring settlements).
   */
  purpose?: RegExp;
}

export interface SettlementRules {
  /** Channels with no bank transfer to find: wallets (REGISTRIES.md §4: no footer, no settlement check). */
  notApplicable: readonly string[];
  /** Per channel id (`bank:sberbank`, `osmp:qiwi`, `card`, …). */
  payers: Readonly<Record<string, ChannelPayer>>;
  /** How many calendar days after the registry day a transfer found by payer and purpose may be dated. */
  windowDays: number;
}

/**
 * Placeholders: the payers are configured per contract (no INN or account is assumed here). With an empty entry, a
 * channel's transfer is found only by the payment order its registry names.
 */
export const DEFAULT_SETTLEMENT_RULES: SettlementRules = {
  notApplicable: ["yoomoney", "webmoney", "cashier"],
  payers: {
    "bank:sberbank": { inns: [], accounts: [], purpose: /реестр/i },
    "bank:primorye": { inns: [], accounts: [], purpose: /реестр/i },
    "osmp:qiwi": { inns: [], accounts: [] },
    "osmp:office-terminals": { inns: [], accounts: [] },
    "osmp:vladik": { inns: [], accounts: [] },
    "osmp:epos": { inns: [], accounts: [] },
    card: { inns: [], accounts: [] },
    "qiwi-bill": { inns: [], accounts: [] },
    arsenalpay: { inns: [], accounts: [] },
    sms3116: { inns: [], accounts: [] },
  },
  windowDays: 7,
};

export interface SettlementRegistry {
  channel: string;
  /** The registry day, YYYY-MM-DD. */
  day: string;
  totals?: RegistryTotals;
}

export interface ExpectedTransferInput {
  /** The profile's commission rule applied to this registry: used only where the file states no commission. */
  commissionKopecks?: bigint;
}

export interface ExpectedTransfer {
  expectedKopecks: bigint;
  commissionKopecks: bigint;
  /** Where the commission came from: the file's footer, the profile's rule, or neither (taken as 0). */
  commissionSource: "file" | "profile" | "none";
}

export type FoundBy = "payment_order" | "payer_and_purpose";

export type SettlementResult =
  | { status: "not_applicable"; reason: string; expectedKopecks?: bigint }
  | ({
      status: "not_found";
      reason: string;
      /** Documents that fit but could not be told apart (several payment orders with the registry's number and date, …). */
      candidates: StatementDocument[];
    } & ExpectedTransfer)
  | ({
      status: "matched" | "mismatch";
      foundBy: FoundBy;
      document: StatementDocument;
      foundKopecks: bigint;
      /** found − expected: negative when the transfer is short. 0 when matched. */
      differenceKopecks: bigint;
    } & ExpectedTransfer);

export interface FindSettlementOptions {
  /** Documents already taken by another registry's settlement (see `documentKey`): never found twice. */
  exclude?: ReadonlySet<string>;
}

/** total − commission: the file's commission, else the profile's, else none. */
export function expectedTransfer(totals: RegistryTotals, input: ExpectedTransferInput = {}): ExpectedTransfer {
  if (totals.commissionKopecks !== undefined) {
    return { expectedKopecks: totals.amountKopecks - totals.commissionKopecks, commissionKopecks: totals.commissionKopecks, commissionSource: "file" };
  }
  if (input.commissionKopecks !== undefined) {
    return { expectedKopecks: totals.amountKopecks - input.commissionKopecks, commissionKopecks: input.commissionKopecks, commissionSource: "profile" };
  }
  return { expectedKopecks: totals.amountKopecks, commissionKopecks: 0n, commissionSource: "none" };
}

/** Identifies a statement document across imports of overlapping statements. */
export function documentKey(document: StatementDocument): string {
  return [document.direction, document.date, normalNumber(document.number), document.payerInn, document.payerAccount, document.amountKopecks.toString()].join("|");
}

export function findSettlement(
  registry: SettlementRegistry,
  input: ExpectedTransferInput,
  documents: readonly StatementDocument[],
  rules: SettlementRules = DEFAULT_SETTLEMENT_RULES,
  options: FindSettlementOptions = {},
): SettlementResult {
  if (rules.notApplicable.includes(registry.channel)) {
    return { status: "not_applicable", reason: `${registry.channel}: the money stays with the provider, no bank transfer pays for it` };
  }
  if (registry.totals === undefined) {
    return { status: "not_applicable", reason: `${registry.channel} ${registry.day}: the registry states no totals to settle` };
  }
  const expected = expectedTransfer(registry.totals, input);
  if (expected.expectedKopecks <= 0n) {
    return { status: "not_applicable", reason: `${registry.channel} ${registry.day}: nothing to transfer (${expected.expectedKopecks} kopecks)`, expectedKopecks: expected.expectedKopecks };
  }

  const payer = rules.payers[registry.channel];
  const payerKnown = payer !== undefined && hasPayer(payer);
  const incoming = documents.filter((document) => document.direction === "in" && !(options.exclude?.has(documentKey(document)) ?? false));
  const verdict = (document: StatementDocument, foundBy: FoundBy): SettlementResult => {
    const differenceKopecks = document.amountKopecks - expected.expectedKopecks;
    return { status: differenceKopecks === 0n ? "matched" : "mismatch", foundBy, document, foundKopecks: document.amountKopecks, differenceKopecks, ...expected };
  };
  const notes: string[] = [];
  let undecided: StatementDocument[] = [];

  // 1. The payment order the registry names.
  const order = registry.totals.paymentOrder;
  if (order !== undefined) {
    const orderDate = normalDate(order.date);
    const byOrder = incoming.filter((document) => normalNumber(document.number) === normalNumber(order.number) && document.date === orderDate);
    const fromPayer = payerKnown ? byOrder.filter((document) => payerMatches(payer, document)) : byOrder;
    const chosen = pick(fromPayer, expected.expectedKopecks);
    if (chosen.document !== undefined) return verdict(chosen.document, "payment_order");
    if (fromPayer.length > 1) {
      undecided = fromPayer;
      notes.push(`${fromPayer.length} incoming payment orders № ${order.number} of ${orderDate} none of which is the expected sum; configure the channel's payer`);
    } else if (byOrder.length > 0) {
      notes.push(`payment order № ${order.number} of ${orderDate} is in the statement from another payer (${byOrder.map(describePayer).join(", ")})`);
    } else {
      notes.push(`no incoming payment order № ${order.number} of ${orderDate}`);
    }
  }

  // 2. The channel's payer and a purpose naming the registry day.
  if (!payerKnown) {
    notes.push(`no payer configured for ${registry.channel} to search by payer and purpose`);
  } else {
    const last = addDays(registry.day, rules.windowDays);
    const byPurpose = incoming.filter((document) => {
      const when = document.received ?? document.date;
      return (
        payerMatches(payer, document) &&
        when >= registry.day &&
        when <= last &&
        mentionsDay(document.purpose, registry.day) &&
        (payer.purpose === undefined || payer.purpose.test(document.purpose))
      );
    });
    const chosen = pick(byPurpose, expected.expectedKopecks);
    if (chosen.document !== undefined) return verdict(chosen.document, "payer_and_purpose");
    if (byPurpose.length > 1) {
      undecided = [...undecided, ...byPurpose];
      notes.push(`${byPurpose.length} transfers from the payer name ${registry.day} and none is the expected sum`);
    } else {
      notes.push(`no incoming transfer from the payer naming ${registry.day} in its purpose between ${registry.day} and ${last}`);
    }
  }
  return { status: "not_found", reason: notes.join("; "), candidates: undecided, ...expected };
}

/** One document: the only one, or the only one of several with the expected sum. */
function pick(candidates: StatementDocument[], expectedKopecks: bigint): { document?: StatementDocument } {
  if (candidates.length === 1) return { document: candidates[0]! };
  const exact = candidates.filter((document) => document.amountKopecks === expectedKopecks);
  if (exact.length === 1) return { document: exact[0]! };
  return {};
}

function hasPayer(payer: ChannelPayer): boolean {
  return (payer.inns?.length ?? 0) > 0 || (payer.accounts?.length ?? 0) > 0 || payer.name !== undefined;
}

function payerMatches(payer: ChannelPayer, document: StatementDocument): boolean {
  if (payer.inns !== undefined && payer.inns.length > 0 && payer.inns.includes(document.payerInn)) return true;
  if (payer.accounts !== undefined && payer.accounts.length > 0 && payer.accounts.includes(document.payerAccount)) return true;
  return payer.name !== undefined && payer.name.test(document.payerName);
}

function describePayer(document: StatementDocument): string {
  return document.payerInn !== "" ? `${document.payerName} ИНН ${document.payerInn}` : document.payerName;
}

/**
 * Whether a purpose mentions the day (YYYY-MM-DD) the way payment purposes write dates: `23.11.2026`, `23.11.26`,
 * `23/11/2026`, `23-11-2026`, day and month with or without a leading zero, or `2026-11-23`; never inside a longer number.
 */
export function mentionsDay(purpose: string, day: string): boolean {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(day);
  if (match === null) return false;
  const [, year, month, date] = match as unknown as [string, string, string, string];
  const dd = `0?${Number(date)}`;
  const mm = `0?${Number(month)}`;
  const patterns = [
    `(?<![0-9])${dd}([./-])${mm}\\1(${year}|${year.slice(2)})(?![0-9])`,
    `(?<![0-9])${year}-${month}-${date}(?![0-9])`,
  ];
  return patterns.some((pattern) => new RegExp(pattern).test(purpose));
}

/** Leading zeros do not make a different payment order number ("002291" = "2291"). */
function normalNumber(number: string): string {
  const trimmed = number.trim();
  return /^[0-9]+$/.test(trimmed) ? trimmed.replace(/^0+(?=[0-9])/, "") : trimmed;
}

/** A payment order's date as a registry may carry it (YYYY-MM-DD, dd/mm/yyyy, dd.mm.yyyy) → YYYY-MM-DD. */
function normalDate(text: string): string {
  const trimmed = text.trim();
  const dotted = /^([0-9]{2})[./]([0-9]{2})[./]([0-9]{4})$/.exec(trimmed);
  return dotted === null ? trimmed : `${dotted[3]}-${dotted[2]}-${dotted[1]}`;
}

function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
