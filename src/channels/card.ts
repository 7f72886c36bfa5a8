import { z } from "zod";
import { cardAdapter, type CardProfile } from "../../adapters/card/index.ts";
import type { ChannelProfile, PaymentSource } from "../../adapters/contract/index.ts";
import { createCardAcquirerClient, type CardAcquirerClient } from "../card/acquirer-client.ts";
import { createCardPoller, startCardPoller, type CardPoller } from "../card/poll-orders.ts";
import type { Logger } from "../log.ts";
import type { IntakeDeps } from "../payments/handle-command.ts";
import { milliseconds, profileVariables, readProfile, secretList, type ProfileConfig } from "../env-fields.ts";
import { channelProfile, defineChannel } from "./channel.ts";

/** The card channel: its own id namespace (external id = payhub's orderNumber) and clearing ledger account. */
export const CARD_CHANNEL = "card";
export const CARD_SOURCE: PaymentSource = { channel: CARD_CHANNEL, protocol: CARD_CHANNEL, profile: CARD_CHANNEL };

/** Card acquiring: the callback's checksum keys, the acquirer's API (orders and status polling) and the poller. */
export interface CardSettings extends ProfileConfig<"card"> {
  checksumKeys: string[];
  apiUrl: string;
  apiUserName: string | undefined;
  apiPassword: string | undefined;
  returnUrl: string | undefined;
  pollIntervalMs: number;
  orderTtlMs: number;
}

export function cardChannelProfile(settings: CardSettings): ChannelProfile {
  return channelProfile(CARD_SOURCE, settings);
}

/** The acquirer's API client, when its address and login are configured; undefined otherwise. */
export function cardAcquirerClientOf(settings: CardSettings): CardAcquirerClient | undefined {
  if (!settings.apiUserName || !settings.apiPassword) return undefined;
  return createCardAcquirerClient({ baseUrl: settings.apiUrl, userName: settings.apiUserName, password: settings.apiPassword });
}

/** The poller of card orders (src/card/poll-orders.ts), when the acquirer's API is configured. */
function cardPollerOf(settings: CardSettings, intake: IntakeDeps, log: Logger): CardPoller | undefined {
  const client = cardAcquirerClientOf(settings);
  return client && createCardPoller({ intake, client, profile: cardChannelProfile(settings), orderTtlMs: settings.orderTtlMs, log });
}

/** A plausible orderNumber of payhub's (see newCardOrderNumber): anything else is never worth a poll. */
const ORDER_NUMBER = /^card-[0-9a-f]{24}$/;

/**
 * Card acquiring (PROTOCOLS.md §4): payhub registers the order (POST /api/card/orders, src/card), the acquirer calls
 * back on GET /webhooks/card, and payhub asks the acquirer's status API whenever a callback's word alone must not move
 * money (src/card/poll-orders.ts).
 */
export const cardChannel = defineChannel({
  key: "card",
  channelIds: [CARD_CHANNEL],
  // No payment for this long in these hours (Vladivostok) is alerted (CHANNEL_SILENCE overrides it): card payments on the site, morning to midnight.
  silence: "2h@07-24",
  environment: {
    variables: {
      // Callbacks on GET /webhooks/card, orders registered by POST /api/card/orders.
      ...profileVariables("CARD", { minSum: "1.00", maxSum: "100000.00" }),
      CARD_CHECKSUM_KEY: z.string().optional(),
      CARD_API_URL: z.string().url().default("https://securepayments.sberbank.ru/payment/rest"),
      CARD_API_USERNAME: z.string().optional(),
      CARD_API_PASSWORD: z.string().optional(),
      CARD_RETURN_URL: z.string().url().optional(),
      CARD_POLL_INTERVAL_MS: milliseconds(5 * 60 * 1000),
      // Card money can take up to 3 banking days; a long weekend makes that 5 calendar days, plus a margin.
      CARD_ORDER_TTL_MS: milliseconds(6 * 24 * 60 * 60 * 1000),
    },
    read: (values, problems): CardSettings => {
      const settings = {
        ...readProfile(values, problems, "CARD", "card" as const),
        checksumKeys: secretList(values, "CARD_CHECKSUM_KEY"),
        apiUrl: values.CARD_API_URL as string,
        apiUserName: values.CARD_API_USERNAME as string | undefined,
        apiPassword: values.CARD_API_PASSWORD as string | undefined,
        returnUrl: values.CARD_RETURN_URL as string | undefined,
        pollIntervalMs: values.CARD_POLL_INTERVAL_MS as number,
        orderTtlMs: values.CARD_ORDER_TTL_MS as number,
      };
      if ((settings.apiUserName === undefined) !== (settings.apiPassword === undefined)) problems.push("CARD_API_USERNAME and CARD_API_PASSWORD: set both or neither");
      return settings;
    },
  },
  routes: (settings) => [
    {
      path: "/webhooks/card",
      byProfile: false,
      methods: ["GET"],
      body: "urlencoded",
      adapter: cardAdapter,
      signed: true,
      profiles: [{ settings, profile: { ...cardChannelProfile(settings), checksumKeys: settings.checksumKeys } satisfies CardProfile }],
    },
  ],
  // Registered orders the payer never pays: the poller asks the acquirer, then expires them after CARD_ORDER_TTL_MS.
  pendingExpiry: { by: "worker" },
  providerClient: cardAcquirerClientOf,
  /**
   * A refund or reversal callback moves no money on its own word: it becomes a reconcile, which asks the acquirer's
   * status API and reverses up to the acquirer's own refunded total, and is answered from what that did. A callback
   * that fails its checksum is refused (403) and nothing in it is believed, but it may be the acquirer's own with a key
   * out of step: when it names a card order payhub may hold, the order's status is asked of the acquirer all the same.
   */
  inquiry: (settings, intake) => {
    const poller = cardPollerOf(settings, intake, intake.log);
    if (!poller) return undefined;
    return {
      reconcile: async (_source, command, requestId) => (await poller.pollOrder(command.reference, requestId)).outcome,
      afterBadSignature: (request) => {
        const orderNumber = request.params.orderNumber;
        if (typeof orderNumber !== "string" || !ORDER_NUMBER.test(orderNumber)) return;
        intake.log.warn({ orderNumber }, "card callback failed verification: asking the acquirer for the order's status");
        poller.pollOrder(orderNumber).then(
          ({ result }) => intake.log.info({ orderNumber, result }, "card order polled after a callback failed verification"),
          (error: unknown) => intake.log.error({ err: error, orderNumber }, "card order poll after a failed callback failed"),
        );
      },
    };
  },
  // Pending card orders are asked of the acquirer and settled (or expired) through the intake use case.
  worker: {
    name: "card poller",
    start: (settings, { intake, log }) => {
      const poller = cardPollerOf(settings, intake, log);
      return poller && startCardPoller(poller, settings.pollIntervalMs, log);
    },
  },
});
