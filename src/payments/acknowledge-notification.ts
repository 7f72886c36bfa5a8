import type { AcknowledgeCommand, Outcome } from "../../adapters/contract/index.ts";
import type { IntakeDeps, IntakeRequest } from "./handle-command.ts";
import { findPayment } from "./payment-rows.ts";

/**
 * A notification answered as received that moves no money (a test notification, a payment the protocol says not to
 * credit): logged with its reason. A flagged one (the reason rests on an unsigned field) becomes an intake incident,
 * unless it is a replay of a payment payhub recorded already, which has nothing for an operator.
 */
export async function acknowledge(deps: IntakeDeps, request: IntakeRequest, command: AcknowledgeCommand): Promise<Outcome> {
  deps.log.info({ channel: request.source.channel, externalId: command.externalId, reason: command.reason, requestId: request.requestId }, `acknowledged without moving money: ${command.reason}`);
  const recorded = command.flag !== undefined && command.externalId !== undefined && (await findPayment(deps.pool, request.source.channel, command.externalId)) !== undefined;
  return command.flag !== undefined && !recorded ? { kind: "acknowledged", flag: command.flag } : { kind: "acknowledged" };
}
