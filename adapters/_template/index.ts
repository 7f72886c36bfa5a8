import type { ChannelAdapter } from "../contract/index.ts";
import { parseTemplate, type TemplateProfile } from "./parse.ts";
import { replyTemplate, replyTemplateError } from "./reply.ts";

/** Rename to <channel>Adapter and mount it from webhooks/<channel>.ts. */
export const templateAdapter: ChannelAdapter<TemplateProfile> = {
  protocol: "template",
  parse: parseTemplate,
  reply: replyTemplate,
  replyError: replyTemplateError,
};
