import { z } from "zod";
import { yoomoneyAdapter } from "../../adapters/yoomoney/index.ts";
import { profileVariables, readProfile, secretList } from "../env-fields.ts";
import { channelProfile, defineChannel, singleSource } from "./channel.ts";

/** YooMoney wallet notifications (PROTOCOLS.md §7): `label` carries the account. */
export const yoomoneyChannel = defineChannel({
  key: "yoomoney",
  channelIds: ["yoomoney"],
  // No payment for this long in these hours (Vladivostok) is alerted (CHANNEL_SILENCE overrides it): few payments, in the daytime.
  silence: "6h@08-23",
  environment: {
    variables: {
      ...profileVariables("YOOMONEY", { minSum: "1.00", maxSum: "100000.00" }),
      YOOMONEY_NOTIFICATION_SECRET: z.string().optional(),
    },
    read: (values, problems) => ({ ...readProfile(values, problems, "YOOMONEY", "yoomoney"), secrets: secretList(values, "YOOMONEY_NOTIFICATION_SECRET") }),
  },
  routes: (settings) => [
    {
      path: "/webhooks/yoomoney",
      byProfile: false,
      methods: ["POST"],
      body: "urlencoded",
      adapter: yoomoneyAdapter,
      signed: true,
      profiles: [{ settings, profile: { ...channelProfile(singleSource("yoomoney"), settings), secrets: settings.secrets } }],
    },
  ],
  // `sender`, the payer's wallet number (absent for card-incoming transfers).
  payerKeys: { yoomoney: [["sender"]] },
  // A held transfer (unaccepted=true) is completed by YooMoney's notification of the same operation.
  pendingExpiry: { by: "provider" },
});
