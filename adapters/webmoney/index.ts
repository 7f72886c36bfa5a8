import type { ChannelAdapter } from "../contract/index.ts";
import { parseWebmoney, type WebmoneyProfile } from "./parse.ts";
import { replyWebmoney, replyWebmoneyError } from "./reply.ts";

export type { WebmoneyProfile } from "./parse.ts";

/** WebMoney Merchant Interface: the pre-request becomes a check, the payment notification a pay. */
export const webmoneyAdapter: ChannelAdapter<WebmoneyProfile> = {
  protocol: "webmoney",
  parse: parseWebmoney,
  reply: replyWebmoney,
  replyError: replyWebmoneyError,
};
