import type { Router } from "express";
import { z } from "zod";
import { AccountInput, AccountNumber } from "../accounts/account-input.ts";
import { getAccount, type AccountDetails } from "../accounts/get-account.ts";
import { upsertAccount } from "../accounts/upsert-account.ts";
import type { Db } from "../db.ts";
import { defineGroup, ErrorBody, groupRouter, IdOut, refusals, reply, RublesOut, TimeOut, type InputFailure } from "./api-registry.ts";
import { fieldsRefusal } from "./request-fields.ts";

const { 401: unauthorized, 403: forbidden } = refusals;

const AccountJson = z.object({
  number: z.string(),
  login: z.string().nullable().meta({ description: "the personal-account login" }),
  balance: RublesOut,
  balanceKopecks: z.string().regex(/^-?[0-9]+$/).meta({ description: "the balance in kopecks, as a string" }),
  status: z.enum(["active", "blocked", "closed"]),
  ownerName: z.string().meta({ description: "masked: И***в И. И." }),
  address: z.string(),
  monthlyFee: RublesOut,
  movements: z
    .array(
      z.object({
        postingId: IdOut,
        kind: z.string(),
        amount: RublesOut.meta({ description: "signed: positive raised the balance" }),
        memo: z.string().nullable(),
        paymentId: IdOut.nullable(),
        at: TimeOut,
      }),
    )
    .meta({ description: "the 20 most recent ledger movements, newest first" }),
});

const AccountParams = z.object({ number: AccountNumber });

/** A bad number in the path is bad_account_number, with the number's own message, before anything else. */
function badNumber(failures: readonly InputFailure[]) {
  const path = failures.find((failure) => failure.where === "path");
  return path ? { error: "bad_account_number", message: path.error.issues[0]?.message ?? "bad account number" } : undefined;
}

const badNumberResponse = { description: "bad_account_number: the number is not 1 to 12 digits", schema: ErrorBody };
const notFound = { description: "account_not_found", schema: ErrorBody };

export const accountsApi = defineGroup({
  base: "/api/accounts",
  tag: "accounts",
  routes: {
    get: {
      method: "get",
      path: "/:number",
      summary: "An account: balance, status, masked owner and ledger movements",
      auth: "supervisor",
      params: AccountParams,
      invalid: (failures) => badNumber(failures)!,
      responses: { 200: { description: "the account", schema: AccountJson }, 400: badNumberResponse, 401: unauthorized, 403: forbidden, 404: notFound },
    },
    put: {
      method: "put",
      path: "/:number",
      summary: "Create or update an account (201 created, 200 updated); the balance is kept",
      description: "The balance moves only through postings.",
      auth: "supervisor",
      params: AccountParams,
      body: AccountInput,
      invalid: (failures) => badNumber(failures) ?? fieldsRefusal("invalid_account")(failures),
      responses: {
        200: { description: "updated", schema: AccountJson },
        201: { description: "created", schema: AccountJson },
        400: { description: "bad_account_number, or invalid_account naming each field of the body", schema: ErrorBody },
        401: unauthorized,
        403: forbidden,
        409: { description: "login_taken: the login belongs to another account", schema: ErrorBody },
      },
    },
  },
});

/** GET /api/accounts/:number and PUT /api/accounts/:number (the body is read and checked by apiInput, api-input.ts). */
export function accountsRoutes(db: Db): Router {
  /** The account as it is now: it was just found or written, and accounts are never deleted. */
  const read = async (number: string): Promise<AccountDetails> => {
    const account = await getAccount(db, number);
    if (!account) throw new Error(`account ${number} vanished`);
    return account;
  };
  return groupRouter(accountsApi, {
    get: async ({ params }) => {
      const account = await getAccount(db, params.number);
      return account ? reply(200, account) : reply(404, { error: "account_not_found", message: `no account ${params.number}` });
    },
    put: async ({ params, body, req }) => {
      const result = await upsertAccount(db, params.number, body);
      if (!result.ok) return reply(409, { error: "login_taken", message: `${result.field}: ${result.message}` });
      req.log.info({ account: params.number, created: result.created }, result.created ? "account created" : "account updated");
      return result.created ? reply(201, await read(params.number)) : reply(200, await read(params.number));
    },
  });
}
