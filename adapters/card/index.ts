import type { ChannelAdapter } from "../contract/index.ts";
import { parseCardCallback, type CardProfile } from "./parse.ts";
import { replyCardCallback, replyCardError } from "./reply.ts";

export type { CardProfile } from "./parse.ts";
export { cardReversalKey } from "./schema.ts";

/** GET /webhooks/card: the card acquirer's callback about an order payhub registered (PROTOCOLS.md §4). */
export const cardAdapter: ChannelAdapter<CardProfile> = {
  protocol: "card",
  parse: parseCardCallback,
  reply: replyCardCallback,
  replyError: replyCardError,
};
