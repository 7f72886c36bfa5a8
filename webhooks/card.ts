import type { Router } from "express";
import { cardAdapter, type CardProfile } from "../adapters/card/index.ts";
import type { ChannelAdapter } from "../adapters/contract/index.ts";
import { CARD_SOURCE, cardAcquirerClientOf, cardChannelProfile } from "../src/card/channel.ts";
import { createCardPoller, type CardPoller } from "../src/card/poll-orders.ts";
import type { Config } from "../src/config.ts";
import type { IntakeDeps } from "../src/payments/accept-payment.ts";
import { guardProfiles, notificationRoute } from "./channel-route.ts";

/** A plausible orderNumber of payhub's (see newCardOrderNumber): anything else is never worth a poll. */
const ORDER_NUMBER = /^card-[0-9a-f]{24}$/;

/**
 * GET /webhooks/card: the acquirer's callback. A refund or reversal callback moves no money on its own word: it
 * becomes a reconcile, which asks the acquirer's status API and reverses up to the acquirer's own refunded total
 * (src/card/poll-orders.ts), and is answered from what that did. A callback that fails its checksum is refused (403)
 * and nothing in it is believed, but it may be the acquirer's own with a key out of step: when it names a card order
 * payhub holds, the order's status is asked of the acquirer all the same. The adapter stays pure: the poll is started
 * here, after its verdict, and does not delay the answer.
 */
export function cardRoute(config: Config, deps: IntakeDeps, poller: CardPoller | undefined = cardPollerOf(config, deps)): Router {
  const guarded = guardProfiles(config, [config.card], (profile, base): CardProfile => ({ ...base, source: CARD_SOURCE, checksumKeys: profile.checksumKeys }), true).get("card")!;
  const pollingAdapter: ChannelAdapter<CardProfile> = {
    ...cardAdapter,
    parse(request, profile) {
      const parsed = cardAdapter.parse(request, profile);
      const orderNumber = request.params.orderNumber;
      if (!parsed.ok && parsed.error.kind === "badSignature" && poller && typeof orderNumber === "string" && ORDER_NUMBER.test(orderNumber)) {
        deps.log.warn({ orderNumber }, "card callback failed verification: asking the acquirer for the order's status");
        poller.pollOrder(orderNumber).then(
          ({ result }) => deps.log.info({ orderNumber, result }, "card order polled after a callback failed verification"),
          (error: unknown) => deps.log.error({ err: error, orderNumber }, "card order poll after a failed callback failed"),
        );
      }
      return parsed;
    },
  };
  const reconcile: IntakeDeps["reconcile"] = poller ? async (_source, command, requestId) => (await poller.pollOrder(command.reference, requestId)).outcome : undefined;
  return notificationRoute(pollingAdapter, guarded, { ...deps, reconcile }, "urlencoded", ["GET"]);
}

function cardPollerOf(config: Config, deps: IntakeDeps): CardPoller | undefined {
  const client = cardAcquirerClientOf(config.card);
  if (!client) return undefined;
  return createCardPoller({ intake: deps, client, profile: cardChannelProfile(config.card), orderTtlMs: config.card.orderTtlMs, log: deps.log });
}
