// Signature scheme: sha1_hash = hex(SHA-1("notification_type&operation_id&amount&currency&datetime&sender&codepro&notification_secret&label")).
import { createHash } from "node:crypto";
import { hexDigestsEqual } from "../contract/index.ts";
import type { YoomoneyNotification } from "./schema.ts";

/** The fields sha1_hash covers, exactly as received; an absent sender or label is signed as an empty value. */
export type YoomoneySignedFields = Pick<YoomoneyNotification, "notification_type" | "operation_id" | "amount" | "currency" | "datetime" | "codepro"> & {
  sender?: string | undefined;
  label?: string | undefined;
};

export function expectedSha1Hash(fields: YoomoneySignedFields, secret: string): string {
  // An empty sender (a card payment) still leaves its "&&".
  const text = [
    fields.notification_type,
    fields.operation_id,
    fields.amount,
    fields.currency,
    fields.datetime,
    fields.sender ?? "",
    fields.codepro,
    secret,
    fields.label ?? "",
  ].join("&");
  return createHash("sha1").update(text, "utf8").digest("hex");
}

/**
 * Any of the secrets verifies (several are accepted at once while the notification secret is rotated); an empty
 * secret never does, so a missing setting cannot turn into a key everybody knows.
 */
export function sha1HashValid(fields: YoomoneySignedFields, received: string, secrets: readonly string[]): boolean {
  return secrets.some((secret) => secret.length > 0 && hexDigestsEqual(received, expectedSha1Hash(fields, secret)));
}
