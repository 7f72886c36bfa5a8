import { expectedSha1Hash } from "../../adapters/yoomoney/verify.ts";

// Provider requests signed the way the provider signs them, for the tests that send them over HTTP.

/**
 * A YooMoney wallet notification of 98.00 (100.00 from the payer) for the account in `label`, signed with `secret`;
 * `extra` replaces signed fields (amount, sender, codepro, …) before signing.
 */
export function yoomoneyNotification(secret: string, operationId: string, label: string, extra: Record<string, string> = {}): Record<string, string> {
  const signed = {
    notification_type: "p2p-incoming",
    operation_id: operationId,
    amount: "98.00",
    currency: "643",
    datetime: "2026-11-24T09:00:00.000+10:00",
    sender: "41001000040",
    codepro: "false",
    label,
    ...extra,
  };
  return { ...signed, withdraw_amount: "100.00", test_notification: "false", unaccepted: "false", sha1_hash: expectedSha1Hash(signed, secret) };
}
