import { z } from "zod";
import { templateAdapter } from "../../adapters/_template/index.ts";
import { profileVariables, readProfile, secretList } from "../env-fields.ts";
import { channelProfile, defineChannel, singleSource } from "./channel.ts";

/**
 * The catalogue entry of the adapters/_template channel, and the file to copy for a new one: with its adapter folder it
 * is the whole channel (see "Adding a channel" in the README). It is not in the catalogue (CHANNELS, index.ts), so no
 * hub serves it; test/integration/channel-catalogue.test.ts mounts it beside the catalogue to prove it answers
 * through the core like any channel.
 */
export const templateChannel = defineChannel({
  // Where its settings are in Config, and its one id: the namespace of its external ids and its clearing account.
  key: "template",
  channelIds: ["template"],
  // No payment for this long in these hours (Vladivostok) is alerted (CHANNEL_SILENCE overrides it): a new channel: set it from its traffic.
  silence: "6h@08-23",
  environment: {
    variables: {
      // TEMPLATE_ALLOWED_IPS, _BASIC_USER/_BASIC_PASSWORD, _MIN_SUM/_MAX_SUM, _COMMISSION_PERCENT, as every channel has.
      ...profileVariables("TEMPLATE", { minSum: "1.00", maxSum: "100000.00" }),
      TEMPLATE_SECRET: z.string().optional(),
    },
    read: (values, problems) => ({ ...readProfile(values, problems, "TEMPLATE", "template"), secrets: secretList(values, "TEMPLATE_SECRET") }),
  },
  routes: (settings) => [
    {
      path: "/webhooks/template",
      byProfile: false,
      methods: ["POST"],
      body: "urlencoded",
      adapter: templateAdapter,
      signed: true,
      profiles: [{ settings, profile: { ...channelProfile(singleSource("template"), settings), secrets: settings.secrets } }],
    },
  ],
  // What a channel may declare besides, when it has them (see channel.ts and the other entries): payerKeys,
  // pendingExpiry, intakeRules, providerClient, inquiry, worker.
});
