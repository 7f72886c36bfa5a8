import type { ChannelAdapter } from "../contract/index.ts";
import { parseOsmp } from "./parse.ts";
import { replyOsmp, replyOsmpError } from "./reply.ts";

export { OsmpResult } from "./schema.ts";

/** The OSMP check/pay engine: one adapter serves every OSMP profile (qiwi, office-terminals, vladik, epos). */
export const osmpAdapter: ChannelAdapter = {
  protocol: "osmp",
  parse: parseOsmp,
  reply: replyOsmp,
  replyError: replyOsmpError,
};
