import type { ChannelAdapter } from "../contract/index.ts";
import { parseTemplate, type TemplateProfile } from "./parse.ts";
import { replyTemplate, replyTemplateError } from "./reply.ts";

/** Rename to <channel>Adapter and name it in the channel's catalogue entry (src/channels/<channel>.ts, from src/channels/_template.ts). */
export const templateAdapter: ChannelAdapter<TemplateProfile> = {
  protocol: "template",
  parse: parseTemplate,
  reply: replyTemplate,
  replyError: replyTemplateError,
};
