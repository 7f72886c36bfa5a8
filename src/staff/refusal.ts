/**
 * Every expected refusal of a staff action, by its code, with the HTTP status the API answers it with: the one
 * mapping from the core's refusals to HTTP. Use cases name the code and say why; they know nothing of HTTP. The pages
 * turn the same codes into the cashier's words (src/pages/respond.ts). A code not listed here does not compile.
 */
export const REFUSAL_STATUS = {
  // 400: what was sent cannot be acted on as it is
  bad_account: 400,
  bad_amount: 400,
  bad_lookup: 400,
  amount_too_small: 400,
  amount_too_large: 400,
  evidence_empty: 400,
  evidence_required: 400,
  evidence_too_large: 400,
  evidence_too_many: 400,
  evidence_type: 400,
  not_a_staff_token: 400,
  note_required: 400,
  office_required: 400,
  reason_required: 400,
  unknown_office: 400,
  weak_password: 400,
  // 403: this member of staff may not do it
  maker_cannot_decide: 403,
  not_your_payment: 403,
  not_your_shift: 403,
  other_office: 403,
  staff_only: 403,
  supervisor_required: 403,
  // 404: what it names does not exist
  account_not_found: 404,
  desk_not_found: 404,
  evidence_not_found: 404,
  incident_not_found: 404,
  office_not_found: 404,
  payment_not_found: 404,
  registry_item_not_found: 404,
  registry_line_not_found: 404,
  registry_not_found: 404,
  receipt_not_found: 404,
  shift_not_found: 404,
  staff_not_found: 404,
  suspense_not_found: 404,
  transfer_not_found: 404,
  // 409: the state of things does not allow it (now)
  account_blocked: 409,
  account_closed: 409,
  account_inactive: 409,
  account_not_active: 409,
  already_assigned: 409,
  already_cancelled: 409,
  already_decided: 409,
  already_resolved: 409,
  item_already_resolved: 409,
  not_a_payment: 409,
  not_missing_in_hub: 409,
  not_recorded: 409,
  nothing_to_resolve: 409,
  already_reversed: 409,
  amount_exceeds_payment: 409,
  cannot_cancel: 409,
  insufficient_balance: 409,
  login_taken: 409,
  not_approved: 409,
  not_credited_yet: 409,
  payment_ambiguous: 409,
  payment_not_credited: 409,
  receipt_used: 409,
  same_account: 409,
  shift_already_open: 409,
  shift_closed: 409,
  // 5xx: not the caller's doing
  unexpected: 500,
  try_again: 503,
} as const satisfies Record<string, 400 | 403 | 404 | 409 | 500 | 503>;

export type RefusalCode = keyof typeof REFUSAL_STATUS;

/** The HTTP status of a refusal, at the edge (the API's answers, the pages' status codes). */
export const refusalStatus = (code: RefusalCode): number => REFUSAL_STATUS[code];
