import type { ChannelAdapter } from "../contract/index.ts";
import { parseBank, type BankProfile } from "./parse.ts";
import { replyBank, replyBankError } from "./reply.ts";

export { BankCode } from "./schema.ts";
export type { BankProfile } from "./parse.ts";

/** The bank check/payment engine: one adapter serves every bank profile (sberbank, primorye). */
export const bankAdapter: ChannelAdapter<BankProfile> = {
  protocol: "bank",
  parse: parseBank,
  reply: replyBank,
  replyError: replyBankError,
};
