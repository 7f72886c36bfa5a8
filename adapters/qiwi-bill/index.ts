import type { ChannelAdapter } from "../contract/index.ts";
import { parseQiwiBill, type QiwiBillProfile } from "./parse.ts";
import { replyQiwiBill, replyQiwiBillError } from "./reply.ts";

export type { QiwiBillProfile } from "./parse.ts";
export { QiwiBillAnswerCode } from "./schema.ts";

/** QIWI bill notifications: a PAID bill becomes a pay; every other status an acknowledge. */
export const qiwiBillAdapter: ChannelAdapter<QiwiBillProfile> = {
  protocol: "qiwi-bill",
  parse: parseQiwiBill,
  reply: replyQiwiBill,
  replyError: replyQiwiBillError,
};
