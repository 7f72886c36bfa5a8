import { z } from "zod";

/** OSMP wire types: the parameters a terminal network sends (GET query or POST urlencoded, same names). */
export const OsmpCommandName = z.enum(["check", "pay"]);

/** A parameter present once as a string; a repeated parameter (an array) is malformed. */
const single = z.string({ error: (issue) => (issue.input === undefined ? "is missing" : "must be given once") });

export const OsmpRequest = z.object({
  command: single,
  txn_id: single.regex(/^[0-9]{1,20}$/, "must be 1 to 20 digits"),
  account: single,
  sum: single.optional(),
  txn_date: single.optional(),
});
export type OsmpRequest = z.infer<typeof OsmpRequest>;

/** OSMP result codes (PROTOCOLS.md §1). Fatal ones stop the network's retries. */
export const OsmpResult = {
  ok: 0,
  temporaryError: 1,
  badAccountFormat: 4,
  accountNotFound: 5,
  paymentsForbidden: 7,
  accountInactive: 79,
  notFinished: 90,
  sumTooSmall: 241,
  sumTooLarge: 242,
  otherError: 300,
} as const;
export type OsmpResultCode = (typeof OsmpResult)[keyof typeof OsmpResult];

/** The answer's fields, rendered in this order as <response> children. */
export interface OsmpResponse {
  osmp_txn_id: string;
  prv_txn?: string;
  sum?: string;
  result: OsmpResultCode;
  comment: string;
  fio?: string;
  balance?: string;
}
