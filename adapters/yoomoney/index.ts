import type { ChannelAdapter } from "../contract/index.ts";
import { parseYoomoney, type YoomoneyProfile } from "./parse.ts";
import { replyYoomoney, replyYoomoneyError } from "./reply.ts";

export type { YoomoneyProfile } from "./parse.ts";

/** YooMoney wallet notifications: an incoming transfer becomes a pay; test, protected and held ones an acknowledge. */
export const yoomoneyAdapter: ChannelAdapter<YoomoneyProfile> = {
  protocol: "yoomoney",
  parse: parseYoomoney,
  reply: replyYoomoney,
  replyError: replyYoomoneyError,
};
