import { z } from "zod";
import { webmoneyAdapter } from "../../adapters/webmoney/index.ts";
import { commaList, profileVariables, readProfile, secretList } from "../env-fields.ts";
import { ISSUED_PAYMENTS } from "../payments/issued-payments.ts";
import { WEBMONEY_CHANNEL } from "../webmoney/issue-invoice.ts";
import { channelProfile, defineChannel, singleSource } from "./channel.ts";

/** WebMoney Merchant Interface (PROTOCOLS.md §6): payhub issues the invoice (POST /api/webmoney/invoices, src/webmoney) the payer pays. */
export const webmoneyChannel = defineChannel({
  key: "webmoney",
  channelIds: [WEBMONEY_CHANNEL],
  // No payment for this long in these hours (Vladivostok) is alerted (CHANNEL_SILENCE overrides it): few payments, in the daytime.
  silence: "6h@08-23",
  environment: {
    variables: {
      ...profileVariables("WEBMONEY", { minSum: "1.00", maxSum: "100000.00" }),
      WEBMONEY_SECRET_KEY: z.string().optional(),
      WEBMONEY_PURSES: commaList(""),
    },
    read: (values, problems) => ({
      ...readProfile(values, problems, "WEBMONEY", "webmoney"),
      secrets: secretList(values, "WEBMONEY_SECRET_KEY"),
      purses: values.WEBMONEY_PURSES as string[],
    }),
  },
  // POST /webhooks/webmoney: the unsigned pre-request and the signed payment notification.
  routes: (settings, env) => [
    {
      path: "/webhooks/webmoney",
      byProfile: false,
      methods: ["POST"],
      body: "urlencoded",
      adapter: webmoneyAdapter,
      signed: true,
      profiles: [
        {
          settings,
          profile: {
            ...channelProfile(singleSource(WEBMONEY_CHANNEL), settings),
            secrets: settings.secrets,
            purses: settings.purses,
            // LMI_MODE=1 is WebMoney's test mode: never money in production.
            testPaymentsCredit: env !== "production",
          },
        },
      ],
    },
  ],
  payerKeys: { [WEBMONEY_CHANNEL]: [["LMI_PAYER_PURSE"]] },
  // LMI_PAYMENT_NO names the invoice payhub issued: the payment is credited to the invoice's account.
  intakeRules: { issuedPayments: ISSUED_PAYMENTS },
});
