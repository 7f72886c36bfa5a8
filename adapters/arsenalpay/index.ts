import type { ChannelAdapter } from "../contract/index.ts";
import { decideArsenalpay } from "./decide.ts";
import { parseArsenalpay, type ArsenalpayProfile } from "./parse.ts";
import { replyArsenalpay, replyArsenalpayError } from "./reply.ts";

export type { ArsenalpayProfile } from "./parse.ts";

/** GET,POST /webhooks/arsenalpay: every ArsenalPay function through one callback URL. */
export const arsenalpayAdapter: ChannelAdapter<ArsenalpayProfile> = {
  protocol: "arsenalpay",
  parse: parseArsenalpay,
  decide: decideArsenalpay,
  reply: replyArsenalpay,
  replyError: replyArsenalpayError,
};
