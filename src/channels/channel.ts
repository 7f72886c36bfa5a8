import type { z } from "zod";
import type { ChannelAdapter, ChannelProfile, InboundRequest, Outcome, PaymentSource, ReconcileCommand } from "../../adapters/contract/index.ts";
import type { HubEnvironment } from "../config.ts";
import type { ParsedEnvironment, ProfileConfig } from "../env-fields.ts";
import type { IntervalRunner } from "../infra/interval-runner.ts";
import type { Logger } from "../log.ts";
import type { IntakeDeps, IntakeRules } from "../payments/handle-command.ts";

/**
 * One entry of the channel catalogue: everything payhub knows about a channel (or a family of channels sharing one
 * protocol engine) in one place. The core reads the catalogue instead of naming channels: config.ts assembles the
 * environment from the entries' slices, webhooks/ mounts their routes, hub.ts creates their clearing accounts and
 * starts their workers, the sweeper expires their pending payments, suspense reads their payer keys, intake applies
 * their rules. `Settings` is `any` in the catalogue's element type only: each entry's own is inferred by defineChannel,
 * and Config exposes it typed under the entry's key.
 */
export interface ChannelDefinition<Key extends string = string, Settings = any, Client = unknown> {
  /** Where the channel's settings are in Config (config.osmp, config.card, …); unique in the catalogue. */
  key: Key;
  /**
   * The channel ids (PaymentSource.channel) the entry records payments under: each is the namespace of its external
   * ids and, unless `clearingAccounts` is false, has a clearing account in the ledger.
   */
  channelIds: readonly string[];
  /** False when the ledger's counter account of the channel is not a clearing account (cash: the desk's cash account). */
  clearingAccounts?: false;
  /** The channel's slice of the environment: its variables, and its settings read from them. */
  environment: ChannelEnvironment<Settings>;
  /**
   * How long each of its ids may send no payment, during its working hours (Vladivostok), before PayhubChannelSilent
   * warns: CHANNEL_SILENCE's syntax, `<duration>@HH-HH` ("1h@00-24", "6h@08-23") or `off`; CHANNEL_SILENCE overrides it.
   * Unset: the channel is not watched.
   */
  silence?: string;
  /** The provider's endpoints: mounted by webhooks/ on the hub's HTTP server. */
  routes?(settings: Settings, env: HubEnvironment): ChannelRoute[];
  /**
   * Who paid, as the channel names the payer in the request payhub stores: per channel id, paths into the stored
   * request, the first present one wins. The key finds the same payer's other payments for a suspense item
   * (src/suspense/payer-key.ts). Channels that check the account before taking money never put one in suspense.
   */
  payerKeys?: Readonly<Record<string, readonly (readonly string[])[]>>;
  /** The channel's own rules of intake, which the core applies at fixed points (an issued-payment match, an autopayment link). */
  intakeRules?: IntakeRules;
  /** How the channel's pending payments end when its provider says nothing; unset: the channel opens none. */
  pendingExpiry?: PendingExpiry<Settings>;
  /** The provider API payhub calls (registering card orders, issuing bills); undefined when it is not configured. */
  providerClient?(settings: Settings): Client | undefined;
  /** The provider API payhub asks about a payment, when the channel's messages alone must not move money. */
  inquiry?(settings: Settings, intake: IntakeDeps): PaymentInquiry | undefined;
  /** Work of the channel's own run with the credit worker (the card poller); undefined when it is not configured. */
  worker?: ChannelWorker<Settings>;
}

export interface ChannelEnvironment<Settings> {
  /** Every variable the channel reads, with its default: config.ts adds them to the hub's one environment schema. */
  variables: Readonly<Record<string, z.ZodType>>;
  /** The channel's settings from the parsed variables; a rule across variables that fails ("set both or neither") is added to `problems`. */
  read(values: ParsedEnvironment, problems: string[]): Settings;
}

/** One provider endpoint: where it is, what it accepts, and the adapter that speaks its protocol. */
export interface ChannelRoute<Profile extends ChannelProfile = ChannelProfile> {
  /** Where it is mounted: one of the fixed routes of ARCHITECTURE.md ("/webhooks/osmp"). */
  path: string;
  /** True: the path's next segment names the profile ("/webhooks/osmp/qiwi"); false: the route serves its one profile. */
  byProfile: boolean;
  methods: readonly ("GET" | "POST")[];
  /** How a POST body is read: a form, or JSON. */
  body: "urlencoded" | "json";
  adapter: ChannelAdapter<Profile>;
  /**
   * Every request carries a signature: an empty allowlist admits any address (the signature is the guard). An
   * unsigned protocol (OSMP, bank XML) is guarded by its allowlist alone, so an empty one admits no one.
   */
  signed: boolean;
  profiles: readonly RouteProfile<Profile>[];
}

export interface RouteProfile<Profile extends ChannelProfile = ChannelProfile> {
  /** Its configured source addresses, Basic credentials and limits. */
  settings: ProfileConfig;
  /** What the adapter is given with every request. */
  profile: Profile;
}

/** How pending payments end when the provider says nothing. */
export type PendingExpiry<Settings> =
  /** The sweeper closes them as expired once older than this (an SMS the subscriber never confirmed). */
  | { by: "sweeper"; ttlMs(settings: Settings): number }
  /** The channel's worker asks the provider and closes what it says will not be paid (card orders). */
  | { by: "worker" }
  /** Never by payhub: the provider always ends them (an ArsenalPay hold with its payment or cancel). */
  | { by: "provider" };

/** A provider API payhub asks about a payment, settling it from the answer (the card acquirer's status API). */
export interface PaymentInquiry {
  /** What the channel's ReconcileCommands run. */
  reconcile(source: PaymentSource, command: ReconcileCommand, requestId: string | undefined): Promise<Outcome>;
  /** A request refused for its signature may still be the provider's own: ask about the payment it names, without delaying the answer. */
  afterBadSignature?(request: InboundRequest): void;
}

export interface ChannelWorker<Settings> {
  /** Named in the log when it is slow to stop. */
  name: string;
  start(settings: Settings, context: { intake: IntakeDeps; log: Logger }): IntervalRunner | undefined;
}

/** The settings type of an entry. */
export type SettingsOf<Definition> = Definition extends { environment: ChannelEnvironment<infer Settings> } ? Settings : never;

/** Typed entries: the key and the settings are inferred from the definition. */
export function defineChannel<const Key extends string, Settings, Client = never>(definition: ChannelDefinition<Key, Settings, Client>): ChannelDefinition<Key, Settings, Client> {
  return definition;
}

/** A profile as the adapter gets it: its payment source and the limits and commission configured for it. */
export function channelProfile(source: PaymentSource, settings: ProfileConfig): ChannelProfile {
  return { source, minKopecks: settings.minKopecks, maxKopecks: settings.maxKopecks, commissionBasisPoints: settings.commissionBasisPoints };
}

/** The source of a channel with one profile: its id names the channel, the protocol and the profile alike. */
export const singleSource = (channel: string): PaymentSource => ({ channel, protocol: channel, profile: channel });
