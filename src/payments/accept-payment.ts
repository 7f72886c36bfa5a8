/**
 * The intake use case, one part per file: the entry that answers every provider request (handle-command.ts), a check
 * (check-account.ts), a pay or the opening of a pending payment (record-payment.ts) and its repeats
 * (repeated-payment.ts), the second phase of two-phase payments (settle-pending.ts), provider reversals
 * (reverse-payment.ts), acknowledgements (acknowledge-notification.ts), payments payhub issued itself
 * (issued-payments.ts) and incidents for an operator (intake-incidents.ts). Importers outside src/payments name it here.
 */
export { handleCommand, type DispatchCredit, type IntakeDeps, type IntakeRequest } from "./handle-command.ts";
export { SUSPENSE_REASONS } from "./suspense-reasons.ts";
