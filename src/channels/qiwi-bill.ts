import { z } from "zod";
import { qiwiBillAdapter } from "../../adapters/qiwi-bill/index.ts";
import { profileVariables, readProfile, secretList } from "../env-fields.ts";
import { ISSUED_PAYMENTS } from "../payments/issued-payments.ts";
import { QIWI_BILL_CHANNEL } from "../qiwi-bills/issue-bill.ts";
import { createQiwiBillClient } from "../qiwi-bills/qiwi-bill-client.ts";
import { channelProfile, defineChannel, singleSource } from "./channel.ts";
import { QIWI_SOURCE_NETWORKS } from "./osmp.ts";

/** QIWI bills (PROTOCOLS.md §8): payhub issues the bill (POST /api/qiwi-bills, src/qiwi-bills); QIWI notifies it paid. */
export const qiwiBillChannel = defineChannel({
  key: "qiwiBill",
  channelIds: [QIWI_BILL_CHANNEL],
  // No payment for this long in these hours (Vladivostok) is alerted (CHANNEL_SILENCE overrides it): few payments, in the daytime.
  silence: "6h@08-23",
  environment: {
    variables: {
      ...profileVariables("QIWI_BILL", { allowedIps: QIWI_SOURCE_NETWORKS, minSum: "1.00", maxSum: "100000.00" }),
      QIWI_BILL_SECRET_KEY: z.string().optional(),
      QIWI_BILL_SITE_ID: z.string().optional(),
      // Where bills are issued (POST /api/qiwi-bills); another address only for a test double of QIWI.
      QIWI_BILL_API_URL: z.string().url().default("https://api.qiwi.com"),
    },
    read: (values, problems) => ({
      ...readProfile(values, problems, "QIWI_BILL", "qiwi-bill"),
      secrets: secretList(values, "QIWI_BILL_SECRET_KEY"),
      siteId: (values.QIWI_BILL_SITE_ID as string | undefined) ?? "",
      apiUrl: values.QIWI_BILL_API_URL as string,
    }),
  },
  routes: (settings) => [
    {
      path: "/webhooks/qiwi-bill",
      byProfile: false,
      methods: ["POST"],
      body: "json",
      adapter: qiwiBillAdapter,
      signed: true,
      profiles: [{ settings, profile: { ...channelProfile(singleSource(QIWI_BILL_CHANNEL), settings), secrets: settings.secrets, siteId: settings.siteId } }],
    },
  ],
  // The customer's phone, else email (payhub's own bills name only the account, so often none).
  payerKeys: {
    [QIWI_BILL_CHANNEL]: [
      ["bill", "customer", "phone"],
      ["bill", "customer", "email"],
    ],
  },
  // billId names the bill payhub issued: PAID credits the account it was issued for.
  intakeRules: { issuedPayments: ISSUED_PAYMENTS },
  // Both are needed: the key to issue a bill, the siteId to accept its PAID notification.
  providerClient: (settings) => {
    const secretKey = settings.secrets[0];
    return secretKey && settings.siteId ? createQiwiBillClient({ baseUrl: settings.apiUrl, secretKey }) : undefined;
  },
});
