// Signature scheme: LMI_HASH = UPPER(MD5 or SHA-256 of ten fields concatenated, secret key among them); LMI_HASH2 = UPPER(SHA-256 of the same joined with ";").
import { createHash } from "node:crypto";
import { hexDigestsEqual } from "../contract/index.ts";
import type { WebmoneyNotification } from "./schema.ts";

/** The fields LMI_HASH and LMI_HASH2 cover, exactly as received. */
export type WebmoneySignedFields = Pick<
  WebmoneyNotification,
  | "LMI_PAYEE_PURSE"
  | "LMI_PAYMENT_AMOUNT"
  | "LMI_PAYMENT_NO"
  | "LMI_MODE"
  | "LMI_SYS_INVS_NO"
  | "LMI_SYS_TRANS_NO"
  | "LMI_SYS_TRANS_DATE"
  | "LMI_PAYER_PURSE"
  | "LMI_PAYER_WM"
> & { LMI_HOLD?: string | undefined };

/** The merchant chooses MD5 or SHA-256 for LMI_HASH in its settings; the hash's length tells which. */
export type LmiHashAlgorithm = "md5" | "sha256";

export function lmiHashAlgorithmOf(received: string): LmiHashAlgorithm | undefined {
  if (received.length === 32) return "md5";
  if (received.length === 64) return "sha256";
  return undefined;
}

/** LMI_HASH as WebMoney computes it: the values concatenated without separators, the secret after the date. */
export function expectedLmiHash(fields: WebmoneySignedFields, secret: string, algorithm: LmiHashAlgorithm): string {
  const text =
    fields.LMI_PAYEE_PURSE +
    fields.LMI_PAYMENT_AMOUNT +
    fields.LMI_PAYMENT_NO +
    fields.LMI_MODE +
    fields.LMI_SYS_INVS_NO +
    fields.LMI_SYS_TRANS_NO +
    fields.LMI_SYS_TRANS_DATE +
    secret +
    fields.LMI_PAYER_PURSE +
    fields.LMI_PAYER_WM;
  return createHash(algorithm).update(text, "utf8").digest("hex").toUpperCase();
}

/** LMI_HASH2: the same values joined with ";", LMI_HOLD after the amount only when the notification carries it. */
export function expectedLmiHash2(fields: WebmoneySignedFields, secret: string): string {
  const values = [
    fields.LMI_PAYEE_PURSE,
    fields.LMI_PAYMENT_AMOUNT,
    ...(fields.LMI_HOLD === undefined ? [] : [fields.LMI_HOLD]),
    fields.LMI_PAYMENT_NO,
    fields.LMI_MODE,
    fields.LMI_SYS_INVS_NO,
    fields.LMI_SYS_TRANS_NO,
    fields.LMI_SYS_TRANS_DATE,
    secret,
    fields.LMI_PAYER_PURSE,
    fields.LMI_PAYER_WM,
  ];
  return createHash("sha256").update(values.join(";"), "utf8").digest("hex").toUpperCase();
}

export type WebmoneySignatureCheck = { ok: true } | { ok: false; field: "LMI_HASH" | "LMI_HASH2"; message: string };

/**
 * LMI_HASH must match, and LMI_HASH2 too when it is sent, both with the same secret. Any of the secrets verifies
 * (several are accepted at once while a secret is rotated); an empty secret never does, so a missing setting cannot
 * turn into a key everybody knows.
 */
export function notificationSignatureValid(
  fields: WebmoneySignedFields & { LMI_HASH?: string | undefined; LMI_HASH2?: string | undefined },
  secrets: readonly string[],
): WebmoneySignatureCheck {
  const { LMI_HASH: hash, LMI_HASH2: hash2 } = fields;
  if (hash === undefined || hash === "") return { ok: false, field: "LMI_HASH", message: "LMI_HASH is missing: the notification is not signed" };
  const algorithm = lmiHashAlgorithmOf(hash);
  if (!algorithm) return { ok: false, field: "LMI_HASH", message: "LMI_HASH must be 32 (MD5) or 64 (SHA-256) hex digits" };
  const usable = secrets.filter((secret) => secret.length > 0);
  const hashMatches = usable.filter((secret) => hexDigestsEqual(hash, expectedLmiHash(fields, secret, algorithm)));
  if (hashMatches.length === 0) return { ok: false, field: "LMI_HASH", message: "LMI_HASH does not match: check the merchant's secret key and hash method" };
  if (hash2 === undefined) return { ok: true };
  if (!hashMatches.some((secret) => hexDigestsEqual(hash2, expectedLmiHash2(fields, secret)))) {
    return { ok: false, field: "LMI_HASH2", message: "LMI_HASH2 does not match the same secret key as LMI_HASH" };
  }
  return { ok: true };
}
