import { z } from "zod";
import { parseRubles } from "../../lib/money.ts";
import { AccountNumber } from "../accounts/account-input.ts";

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
