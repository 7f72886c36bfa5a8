import type { ChannelAdapter } from "../contract/index.ts";
import { parseSmsIncoming, parseSmsStatus, type Sms3116Profile } from "./parse.ts";
import { replySmsIncoming, replySmsIncomingError, replySmsStatus, replySmsStatusError } from "./reply.ts";

export type { Sms3116Profile } from "./parse.ts";
export { DEFAULT_SMS_COMMISSION, parseSmsCommissionConfig } from "./commission.ts";

/** GET /webhooks/sms/incoming: an SMS "aliance <account> <sum>" opens a pending payment; the answer is the reply SMS. */
export const smsIncomingAdapter: ChannelAdapter<Sms3116Profile> = {
  protocol: "sms3116",
  parse: parseSmsIncoming,
  reply: replySmsIncoming,
  replyError: replySmsIncomingError,
};

/** POST /webhooks/sms/status: the aggregator's outcome of a pending SMS payment. */
export const smsStatusAdapter: ChannelAdapter<Sms3116Profile> = {
  protocol: "sms3116",
  parse: parseSmsStatus,
  reply: replySmsStatus,
  replyError: replySmsStatusError,
};
