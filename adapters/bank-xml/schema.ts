import { z } from "zod";

/** Bank check/payment wire types (PROTOCOLS.md §2): GET query parameters, upper-case names. */
export const BankAction = z.enum(["check", "payment"]);

const single = z.string({ error: (issue) => (issue.input === undefined ? "is missing" : "must be given once") });

export const BankRequest = z.object({
  ACTION: single,
  ACCOUNT: single,
  AMOUNT: single.optional(),
  PAY_ID: single.optional(),
  PAY_DATE: single.optional(),
  hash: single.optional(),
});
export type BankRequest = z.infer<typeof BankRequest>;

/** Result codes of the bank protocol. */
export const BankCode = {
  ok: 0,
  temporaryError: 1,
  unknownRequestType: 2,
  subscriberNotFound: 3,
  badPayerIdentifier: 4,
  accountNotActive: 5,
  badTransactionId: 6,
  paymentsForbidden: 7,
  duplicateTransaction: 8,
  badAmount: 9,
  amountTooSmall: 10,
  amountTooLarge: 11,
  badDate: 12,
  internalError: 300,
} as const;
export type BankCodeValue = (typeof BankCode)[keyof typeof BankCode];

/** The answer's elements in the order they are written; only those that apply are present. */
export interface BankResponse {
  CODE: BankCodeValue;
  MESSAGE: string;
  FIO?: string;
  ADDRESS?: string;
  BALANCE?: string;
  REC_SUM?: string;
  EXT_ID?: string;
  SUM?: string;
  AMOUNT?: string;
  REG_DATE?: string;
}
