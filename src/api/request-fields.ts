import { z } from "zod";
import { parseRubles } from "../../lib/money.ts";
import { AccountNumber } from "../accounts/account-input.ts";
import type { InputFailure } from "./api-registry.ts";

/** "is required" for a missing field, the type otherwise: the message names what to fix. */
export const requiredAs = (type: string) => (issue: { input: unknown }) => (issue.input === undefined ? "is required" : `must be ${type}`);

/** An account number in a JSON body. */
export const AccountField = z.string({ error: requiredAs("a string of 1 to 12 digits") }).pipe(AccountNumber);

/**
 * Rubles as a string, as everywhere in payhub: read by the one strict parser into kopecks, never through a float.
 * `allowZero` for amounts that may be nothing (the cash in a drawer), never for a payment.
 */
export const rublesField = (options: { allowZero?: boolean } = {}) =>
  z.string({ error: requiredAs('a string of rubles, like "500.00"') }).transform((text, ctx) => {
    const parsed = parseRubles(text, options);
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", message: `${parsed.reason} (write it like "500.00")` });
      return z.NEVER;
    }
    return parsed.kopecks;
  });
export const RublesField = rublesField();

/**
 * Rubles as the ArsenalPay routes read them (written before the registry, they keep their answers): a string, `required`
 * otherwise, that the strict parser reads into kopecks, or an issue marked as the amount's own format, which their
 * refusal (amountOrBadRequest) answers apart as bad_amount.
 */
export const arsenalpayRublesField = (required: string) =>
  z.string({ error: required }).transform((text, ctx) => {
    const parsed = parseRubles(text);
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", message: parsed.reason, params: { badAmount: true } });
      return z.NEVER;
    }
    return parsed.kopecks;
  });

const isBadAmount = (issue: z.core.$ZodIssue) => issue.code === "custom" && issue.params?.badAmount === true;

/**
 * The ArsenalPay routes' 400: bad_request with each issue's own words ("account is 1 to 12 digits; periodDays is 1 to
 * 366"), or bad_amount "amount: …" when an amount that does not parse is all that is wrong.
 */
export function amountOrBadRequest(failures: readonly InputFailure[]): { error: string; message: string } {
  const issues = failures.flatMap((failure) => failure.error.issues);
  const others = issues.filter((issue) => !isBadAmount(issue));
  if (others.length === 0) return { error: "bad_amount", message: issues.map((issue) => `amount: ${issue.message}`).join("; ") };
  return { error: "bad_request", message: others.map((issue) => issue.message).join("; ") };
}

/**
 * The 400 of a route written before the registry that names each field of its body without the "body." prefix
 * ("account: is required; amount: is required"), under its own code (invalid_order, invalid_bill).
 */
export const fieldsRefusal =
  (error: string) =>
  (failures: readonly InputFailure[]): { error: string; message: string } => ({
    error,
    message: failures.flatMap((failure) => failure.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`)).join("; "),
  });
