import { z } from "zod";
import { ACCOUNT_NUMBER_FORMAT } from "../../adapters/contract/index.ts";
import { parseRubles } from "../../lib/money.ts";

/** An account number (лицевой счёт): digits, as terminals and banks send it. */
export const AccountNumber = z.string().regex(ACCOUNT_NUMBER_FORMAT, "an account number is 1 to 12 digits");

const MonthlyFee = z.string().transform((text, ctx) => {
  const parsed = parseRubles(text, { allowZero: true });
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: `monthlyFee: ${parsed.reason} (write it like "890.00")` });
    return z.NEVER;
  }
  return parsed.kopecks;
});

/** Text without control characters: PostgreSQL refuses NUL in text, and the others are never part of a name. */
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;
/** An address may span lines (a multi-line cell of a billing export); other controls are refused as above. */
const NO_CONTROL_CHARACTERS_BUT_LINES = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;

/** The body of PUT /api/accounts/:number and one row of the CSV import. */
export const AccountInput = z.object({
  ownerName: z.string().trim().min(1, "ownerName is required").max(300).regex(NO_CONTROL_CHARACTERS, "ownerName must not contain control characters"),
  address: z.string().trim().max(500).regex(NO_CONTROL_CHARACTERS_BUT_LINES, "address must not contain control characters").default(""),
  phone: z.string().trim().max(40).regex(NO_CONTROL_CHARACTERS, "phone must not contain control characters").nullish(),
  login: z.string().trim().regex(/^[A-Za-z0-9_.-]{1,64}$/, "login is letters, digits, _ . - (up to 64)").nullish(),
  status: z.enum(["active", "blocked", "closed"]).default("active"),
  monthlyFee: MonthlyFee.default(0n),
});
export type AccountInput = z.output<typeof AccountInput>;
