import { z } from "zod";
import { DEFAULT_SMS_COMMISSION, parseSmsCommissionConfig, smsIncomingAdapter, smsStatusAdapter, type Sms3116Profile } from "../../adapters/sms3116/index.ts";
import { milliseconds, profileVariables, readProfile, secretList } from "../env-fields.ts";
import type { SmsCommissionTable } from "../../adapters/sms3116/commission.ts";
import { channelProfile, defineChannel, singleSource, type RouteProfile } from "./channel.ts";

/** SMS to 3116 (PROTOCOLS.md §5): an incoming SMS opens a pending payment, the aggregator's status callback settles it. */
export const sms3116Channel = defineChannel({
  key: "sms",
  channelIds: ["sms3116"],
  // No payment for this long in these hours (Vladivostok) is alerted (CHANNEL_SILENCE overrides it): rare payments, in the daytime.
  silence: "12h@08-23",
  environment: {
    variables: {
      // The operators' public limits are 10–5000 rubles per payment.
      ...profileVariables("SMS", { minSum: "10.00", maxSum: "5000.00" }),
      SMS_SERVICE_KEY: z.string().optional(),
      SMS_API_KEY: z.string().optional(),
      SMS_COMMISSION: z
        .string()
        .optional()
        .transform((text, ctx) => {
          if (text === undefined) return DEFAULT_SMS_COMMISSION;
          const parsed = parseSmsCommissionConfig(text);
          if (!parsed.ok) {
            ctx.addIssue({ code: "custom", message: parsed.errors.join("; ") });
            return z.NEVER;
          }
          return parsed.table;
        }),
      SMS_PENDING_TTL_MS: milliseconds(30 * 60 * 1000),
    },
    read: (values, problems) => ({
      ...readProfile(values, problems, "SMS", "sms3116"),
      serviceKeys: secretList(values, "SMS_SERVICE_KEY"),
      apiKeys: secretList(values, "SMS_API_KEY"),
      commission: values.SMS_COMMISSION as SmsCommissionTable,
      /** A pending SMS payment with no outcome within this time is closed as expired. */
      pendingTtlMs: values.SMS_PENDING_TTL_MS as number,
    }),
  },
  // GET /webhooks/sms/incoming (the operator's forward, authenticated by skey) and POST /webhooks/sms/status (signed).
  routes: (settings) => {
    const profiles: RouteProfile<Sms3116Profile>[] = [
      {
        settings,
        profile: { ...channelProfile(singleSource("sms3116"), settings), serviceKeys: settings.serviceKeys, apiKeys: settings.apiKeys, commission: settings.commission },
      },
    ];
    return [
      { path: "/webhooks/sms/incoming", byProfile: false, methods: ["GET"], body: "urlencoded", adapter: smsIncomingAdapter, signed: true, profiles },
      { path: "/webhooks/sms/status", byProfile: false, methods: ["POST"], body: "json", adapter: smsStatusAdapter, signed: true, profiles },
    ];
  },
  // The subscriber may never confirm: the sweeper closes it.
  pendingExpiry: { by: "sweeper", ttlMs: (settings) => settings.pendingTtlMs },
});
