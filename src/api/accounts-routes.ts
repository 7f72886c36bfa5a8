import express, { type Request, type Response, type Router } from "express";
import { AccountInput, AccountNumber } from "../accounts/account-input.ts";
import { getAccount } from "../accounts/get-account.ts";
import { upsertAccount } from "../accounts/upsert-account.ts";
import type { Db } from "../db.ts";

/** GET /api/accounts/:number and PUT /api/accounts/:number (the body is read and checked by apiInput, api-input.ts). */
export function accountsRoutes(db: Db): Router {
  const router = express.Router();

  router.get("/:number", async (req: Request, res: Response) => {
    const number = AccountNumber.safeParse(req.params.number);
    if (!number.success) return res.status(400).json({ error: "bad_account_number", message: number.error.issues[0]?.message });
    const account = await getAccount(db, number.data);
    if (!account) return res.status(404).json({ error: "account_not_found", message: `no account ${number.data}` });
    res.json(account);
  });

  router.put("/:number", async (req: Request, res: Response) => {
    const number = AccountNumber.safeParse(req.params.number);
    if (!number.success) return res.status(400).json({ error: "bad_account_number", message: number.error.issues[0]?.message });
    const input = AccountInput.safeParse(req.body ?? {});
    if (!input.success) {
      return res.status(400).json({
        error: "invalid_account",
        message: input.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; "),
      });
    }
    const result = await upsertAccount(db, number.data, input.data);
    if (!result.ok) return res.status(409).json({ error: "login_taken", message: `${result.field}: ${result.message}` });
    req.log.info({ account: number.data, created: result.created }, result.created ? "account created" : "account updated");
    res.status(result.created ? 201 : 200).json(await getAccount(db, number.data));
  });
  return router;
}
