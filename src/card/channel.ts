import type { ChannelProfile, HttpReply, PaymentSource } from "../../adapters/contract/index.ts";
import type { Config } from "../config.ts";
import { createCardAcquirerClient, type CardAcquirerClient } from "./acquirer-client.ts";

/** The card channel: its own id namespace (external id = payhub's orderNumber) and clearing ledger account. */
export const CARD_CHANNEL = "card";
export const CARD_SOURCE: PaymentSource = { channel: CARD_CHANNEL, protocol: CARD_CHANNEL, profile: CARD_CHANNEL };

export function cardChannelProfile(settings: Config["card"]): ChannelProfile {
  return { source: CARD_SOURCE, minKopecks: settings.minKopecks, maxKopecks: settings.maxKopecks, commissionBasisPoints: settings.commissionBasisPoints };
}

/** The acquirer's API client, when its address and login are configured; undefined otherwise. */
export function cardAcquirerClientOf(settings: Config["card"]): CardAcquirerClient | undefined {
  if (!settings.apiUserName || !settings.apiPassword) return undefined;
  return createCardAcquirerClient({ baseUrl: settings.apiUrl, userName: settings.apiUserName, password: settings.apiPassword });
}

/** Commands payhub makes itself (registration, polling) have no provider to answer: the stored answer is this. */
export const INTERNAL_ANSWER: HttpReply = { status: 200, contentType: "text/plain; charset=utf-8", body: "" };
