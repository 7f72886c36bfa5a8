/** Why a payment is in suspense: the reasons intake writes on its suspense_item. */
export const SUSPENSE_REASONS = {
  unknown: "unknown account",
  closed: "account closed",
  blocked: "account blocked",
  /** The signed reference names nothing payhub issued: the account the notification names is unsigned, hence only a suggestion. */
  notIssued: "not issued by payhub",
  /** The signed amount differs from what payhub issued under that reference. */
  amountDiffers: "amount differs from what payhub issued",
} as const;
