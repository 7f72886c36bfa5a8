import { z } from "zod";
import { arsenalpayAdapter } from "../../adapters/arsenalpay/index.ts";
import { createArsenalpayApiClient } from "../autopayments/arsenalpay-api-client.ts";
import { profileVariables, readProfile, secretList } from "../env-fields.ts";
import { channelProfile, defineChannel, singleSource } from "./channel.ts";

/**
 * ArsenalPay callbacks (PROTOCOLS.md §3): check, hold, payment, cancel, refund, reverse, decided by the adapter's table
 * of steps per RRN. The widget link (POST /api/arsenalpay/links) and autopayments (/api/autopayments, ArsenalPay's REST
 * API) are the staff API's.
 */
export const arsenalpayChannel = defineChannel({
  key: "arsenalpay",
  channelIds: ["arsenalpay"],
  // No payment for this long in these hours (Vladivostok) is alerted (CHANNEL_SILENCE overrides it): card payments on the site, morning to midnight.
  silence: "2h@07-24",
  environment: {
    variables: {
      ...profileVariables("ARSENALPAY", { minSum: "1.00", maxSum: "100000.00" }),
      ARSENALPAY_CALLBACK_KEY: z.string().optional(),
      ARSENALPAY_WIDGET_KEY: z.string().optional(),
      ARSENALPAY_WIDGET_ID: z.string().optional(),
      ARSENALPAY_MERCHANT_ID: z.string().optional(),
      ARSENALPAY_API_URL: z.string().url().default("https://arsenalpay.ru"),
      ARSENALPAY_CLIENT_ID: z.string().optional(),
      ARSENALPAY_CLIENT_SECRET: z.string().optional(),
    },
    read: (values, problems) => {
      const settings = {
        ...readProfile(values, problems, "ARSENALPAY", "arsenalpay"),
        callbackKeys: secretList(values, "ARSENALPAY_CALLBACK_KEY"),
        widgetKey: values.ARSENALPAY_WIDGET_KEY as string | undefined,
        widgetId: values.ARSENALPAY_WIDGET_ID as string | undefined,
        merchantId: values.ARSENALPAY_MERCHANT_ID as string | undefined,
        /** ArsenalPay's REST API for autopayments; apiClientId and apiClientSecret are both set or both undefined. */
        apiUrl: values.ARSENALPAY_API_URL as string,
        apiClientId: values.ARSENALPAY_CLIENT_ID as string | undefined,
        apiClientSecret: values.ARSENALPAY_CLIENT_SECRET as string | undefined,
      };
      if ((settings.apiClientId === undefined) !== (settings.apiClientSecret === undefined)) problems.push("ARSENALPAY_CLIENT_ID and ARSENALPAY_CLIENT_SECRET: set both or neither");
      return settings;
    },
  },
  routes: (settings) => [
    {
      path: "/webhooks/arsenalpay",
      byProfile: false,
      methods: ["GET", "POST"],
      body: "urlencoded",
      adapter: arsenalpayAdapter,
      signed: true,
      profiles: [{ settings, profile: { ...channelProfile(singleSource("arsenalpay"), settings), callbackKeys: settings.callbackKeys, merchantId: settings.merchantId } }],
    },
  ],
  // A recurring charge of an autopayment (/api/autopayments) comes as a payment like any other: linked to it.
  intakeRules: { linksAutopayments: true },
  // A hold ends with ArsenalPay's payment or cancel.
  pendingExpiry: { by: "provider" },
  providerClient: ({ apiUrl, apiClientId, apiClientSecret }) =>
    apiClientId && apiClientSecret ? createArsenalpayApiClient({ baseUrl: apiUrl, clientId: apiClientId, clientSecret: apiClientSecret }) : undefined,
});
