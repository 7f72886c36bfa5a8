// Signature scheme: hex(HMAC-SHA256(secret, "<action>;<id>;<account>;<amount>")) over the values exactly as received.
import { createHmac } from "node:crypto";
import { hexDigestsEqual } from "../contract/index.ts";
import type { TemplateRequest } from "./schema.ts";

export function expectedSignature(request: TemplateRequest, secret: string): string {
  return createHmac("sha256", secret).update(`${request.action};${request.id};${request.account};${request.amount ?? ""}`, "utf8").digest("hex");
}

/** Any of the secrets verifies (several are accepted at once while a secret is rotated). */
export function signatureValid(request: TemplateRequest, secrets: readonly string[]): boolean {
  const received = request.sign ?? "";
  return secrets.some((secret) => hexDigestsEqual(received, expectedSignature(request, secret)));
}
