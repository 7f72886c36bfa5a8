import { parseRubles, percentOf } from "../../lib/money.ts";

/**
 * The commission of an SMS payment (PROTOCOLS.md §5, from the subscriber handbook): a percent of the sum plus a fixed
 * fee, per mobile operator. The subscriber pays it on top of the sum; the account is credited the full sum; the
 * commission is recorded per payment.
 */

/** One operator's commission: `percentBasisPoints` of the sum (100 = 1 %) plus `fixedKopecks` per payment. */
export interface SmsCommissionRule {
  percentBasisPoints: bigint;
  fixedKopecks: bigint;
}

/** Rules by normalised operator name, and the rule for every operator not named. */
export interface SmsCommissionTable {
  operators: ReadonlyMap<string, SmsCommissionRule>;
  otherwise: SmsCommissionRule;
}

/** The handbook: MTS 3 % of the sum plus 10 rubles per operation; other operators 3 %. */
export const DEFAULT_SMS_COMMISSION: SmsCommissionTable = {
  operators: new Map([["mts", { percentBasisPoints: 300n, fixedKopecks: 1_000n }]]),
  otherwise: { percentBasisPoints: 300n, fixedKopecks: 0n },
};

/** Names aggregators and people use for the same operator, after lower-casing and removing spaces, "_", "-" and ".". */
const OPERATOR_ALIASES: Readonly<Record<string, string>> = {
  mts: "mts",
  мтс: "mts",
  beeline: "beeline",
  билайн: "beeline",
  vimpelcom: "beeline",
  вымпелком: "beeline",
  megafon: "megafon",
  мегафон: "megafon",
  tele2: "tele2",
  теле2: "tele2",
  // Tele2 Russia renamed itself T2 in 2024.
  t2: "tele2",
  т2: "tele2",
};

const OPERATOR_SEPARATORS = /[\s_.\-]+/u;

/**
 * One name per operator: "MTS", "МТС", "mts" → "mts"; "Tele 2", "T2" → "tele2". A regional variant an aggregator may
 * send ("megafon_dv", "mts-ru") is its operator: the part before the first separator is tried when the whole name is
 * not known. An unknown name stays itself, lower-cased without separators, and falls to the "*" rule.
 */
export function normaliseOperator(name: string): string {
  const lowered = name.normalize("NFKC").trim().toLowerCase();
  const joined = lowered.split(OPERATOR_SEPARATORS).join("");
  const firstPart = lowered.split(OPERATOR_SEPARATORS)[0] ?? "";
  return OPERATOR_ALIASES[joined] ?? OPERATOR_ALIASES[firstPart] ?? joined;
}

export function smsCommissionRuleFor(operator: string, table: SmsCommissionTable = DEFAULT_SMS_COMMISSION): SmsCommissionRule {
  return table.operators.get(normaliseOperator(operator)) ?? table.otherwise;
}

/** The commission the subscriber pays on top of `amountKopecks`: the percent rounded half up to the kopeck, plus the fixed fee. */
export function smsCommissionKopecks(amountKopecks: bigint, operator: string, table: SmsCommissionTable = DEFAULT_SMS_COMMISSION): bigint {
  const rule = smsCommissionRuleFor(operator, table);
  return percentOf(amountKopecks, rule.percentBasisPoints) + rule.fixedKopecks;
}

export type SmsCommissionConfigParse = { ok: true; table: SmsCommissionTable } | { ok: false; errors: string[] };

const ENTRY = /^([^:+]+):([^:+]+)(?:\+([^:+]+))?$/u;
const OPERATOR_NAME = /^(?:\*|[\p{L}\p{N}][\p{L}\p{N}_.\-]{0,31})$/u;
const EXAMPLE = "mts:3+10.00,beeline:3,megafon:3,tele2:3,*:3";

/**
 * Reads the per-operator commission configuration, e.g. `mts:3+10.00,beeline:3,megafon:3,tele2:3,*:3`.
 *
 * - Entries are separated by commas; spaces around an entry are ignored, spaces inside it are not allowed.
 * - An entry is `<operator>:<percent>` or `<operator>:<percent>+<fixed rubles>`.
 * - `<operator>` is an operator name, normalised like the names aggregators send ("МТС" is "mts"), or `*` for every
 *   operator not named. `*` is required, so no operator is ever without a rule; each operator appears once.
 * - `<percent>` is 0 to 100 with at most two decimals after "." ("3", "2.5", "3.25"): exact basis points.
 * - `<fixed rubles>` is rubles with at most two decimals after "." ("10", "10.00"), 0 allowed.
 *
 * Every mistake is reported, each naming its entry, so a wrong setting is fixed in one go.
 */
export function parseSmsCommissionConfig(text: string): SmsCommissionConfigParse {
  if (text.trim() === "") return { ok: false, errors: [`the commission configuration is empty; write it like ${EXAMPLE}`] };
  const errors: string[] = [];
  const operators = new Map<string, SmsCommissionRule>();
  let otherwise: SmsCommissionRule | undefined;
  let starSeen = false;

  text.split(",").forEach((rawEntry, index) => {
    const entry = rawEntry.trim();
    const where = `entry ${index + 1} "${entry}"`;
    const match = ENTRY.exec(entry);
    if (!match) {
      errors.push(`${where} is not <operator>:<percent>[+<fixed rubles>], e.g. mts:3+10.00 or *:3`);
      return;
    }
    const [, name = "", percentText = "", fixedText] = match;
    if (!OPERATOR_NAME.test(name)) {
      errors.push(`${where}: operator "${name}" must be "*" or a name of letters and digits (up to 32)`);
      return;
    }
    if (name === "*") {
      if (starSeen) errors.push(`${where}: "*" is given twice`);
      starSeen = true;
    }
    const percent = parseRubles(percentText, { allowZero: true });
    // Two decimals of a percent are basis points exactly as two decimals of a ruble are kopecks.
    const percentBasisPoints = percent.ok ? percent.kopecks : undefined;
    if (percentBasisPoints === undefined || percentBasisPoints > 10_000n) {
      errors.push(`${where}: percent "${percentText}" must be a number from 0 to 100 with at most two decimals after "."`);
    }
    let fixedKopecks = 0n;
    if (fixedText !== undefined) {
      const fixed = parseRubles(fixedText, { allowZero: true });
      if (fixed.ok) fixedKopecks = fixed.kopecks;
      else errors.push(`${where}: fixed fee "${fixedText}" must be rubles with at most two decimals after "."`);
    }
    if (percentBasisPoints === undefined || percentBasisPoints > 10_000n) return;
    const rule: SmsCommissionRule = { percentBasisPoints, fixedKopecks };

    if (name === "*") {
      otherwise = rule;
      return;
    }
    const operator = normaliseOperator(name);
    if (operators.has(operator)) errors.push(`${where}: operator "${operator}" is given twice`);
    operators.set(operator, rule);
  });

  if (!starSeen) errors.push(`no "*" entry: add one for the operators not named, e.g. *:3`);
  if (errors.length > 0 || otherwise === undefined) return { ok: false, errors };
  return { ok: true, table: { operators, otherwise } };
}
