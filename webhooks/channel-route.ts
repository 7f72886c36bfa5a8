import type { IncomingMessage, ServerResponse } from "node:http";
import express from "express";
import type { ChannelAdapter, ChannelProfile, HttpReply, InboundRequest, ProtocolError } from "../adapters/contract/index.ts";
import type { ChannelRoute, PaymentInquiry } from "../src/channels/channel.ts";
import type { HubEnvironment } from "../src/config.ts";
import type { Logger } from "../src/log.ts";
import { handleCommand, type IntakeDeps, type IntakeRules } from "../src/payments/handle-command.ts";
import { basicCredentialsMatch, createIpAllowlist, type IpAllowlist } from "./source-guard.ts";

/** How a channel's profile is guarded at the HTTP level, before its adapter sees the request. */
export interface GuardedProfile<Profile extends ChannelProfile = ChannelProfile> {
  profile: Profile;
  allowlist: IpAllowlist;
  basicAuth: { user: string; password: string } | undefined;
}

/**
 * The guarded profiles of a route, by name: the allowlist (loopback too outside production; for a signed route an
 * empty one admits any address) and the Basic credentials configured for each.
 */
function guardProfiles<Profile extends ChannelProfile>(route: ChannelRoute<Profile>, env: HubEnvironment): Map<string, GuardedProfile<Profile>> {
  const guarded = new Map<string, GuardedProfile<Profile>>();
  for (const { settings, profile } of route.profiles) {
    guarded.set(settings.name, {
      profile,
      allowlist: createIpAllowlist(settings.allowedCidrs, env !== "production", route.signed),
      basicAuth: settings.basicAuth,
    });
  }
  return guarded;
}

/** Provider requests are small; anything larger is refused before it is read (a 2 MB body gets a protocol error). */
export const WEBHOOK_BODY_LIMIT = "16kb";

/**
 * One provider request as the front (webhooks/front.ts) hands it over: the Node request (its body not read yet), the
 * profile named by the path (decoded; undefined on a route with one profile), the query string parsed, the client's
 * address as the hub's trust-proxy setting reads it, and the request id.
 */
export interface WebhookExchange {
  req: IncomingMessage & { body?: unknown };
  res: ServerResponse;
  profileName: string | undefined;
  query: Record<string, unknown>;
  ip: string;
  requestId: string;
  /** The hub's logger with the request id, made when first needed. */
  log(): Logger;
}

/** Query and urlencoded body merged; a name present in both becomes an array, which adapters refuse. */
export function inboundRequestOf(exchange: WebhookExchange): InboundRequest {
  const { req } = exchange;
  const params: Record<string, unknown> = { ...exchange.query };
  const body = req.body && typeof req.body === "object" ? (req.body as Record<string, unknown>) : {};
  for (const [name, value] of Object.entries(body)) {
    params[name] = name in params ? ([] as unknown[]).concat(params[name], value) : value;
  }
  return { method: req.method ?? "GET", params, headers: req.headers, ip: exchange.ip };
}

/**
 * Parameters never kept with a record: standing secrets (the SMS skey, a WebMoney secret key sent in place of a hash,
 * a password) and the signatures, which prove nothing once stored and would only help a replay.
 */
const SECRET_PARAMETERS = new Set(["skey", "LMI_SECRET_KEY", "password", "SIGN", "LMI_HASH", "LMI_HASH2", "sha1_hash", "signature", "checksum", "hash"]);

/** The request's parameters as received, without its secrets and signatures. */
export function withoutSecrets(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => !SECRET_PARAMETERS.has(name)));
}

/** Body parsers of the channels (body-parser's, as Express's were): urlencoded forms for most, JSON for QIWI bills; both limited in size. */
const BODY_PARSERS = {
  urlencoded: express.urlencoded({ extended: false, limit: WEBHOOK_BODY_LIMIT, parameterLimit: 50 }),
  json: express.json({ limit: WEBHOOK_BODY_LIMIT }),
} as const;

/** Writes a reply: the status, the adapter's headers and content type, its length; no body to a HEAD. */
export type SendReply = (exchange: WebhookExchange, reply: HttpReply) => void;

/** A channel route without its path: what the front runs once a request's path named it. */
export interface ChannelEndpoint {
  /** Where it is mounted ("/webhooks/osmp") and whether the next segment names the profile. */
  path: string;
  byProfile: boolean;
  serve(exchange: WebhookExchange): Promise<void>;
  /** The protocol's own answer to a request that could not be read (a path segment that is not valid percent-encoding). */
  unreadable(exchange: WebhookExchange): void;
}

/**
 * One channel route. Order matters: the source address and Basic credentials are checked before the body is read, the
 * adapter verifies and parses, and the reply is sent only after the intake use case committed the payment. A channel
 * with a provider API to ask (`inquiry`) runs its ReconcileCommands there, and asks it about a request refused for its
 * signature. `rules`: the channel's own rules of intake, handed to the core with every command. Whatever fails (the
 * body, the intake) gets the protocol's own error answer.
 */
export function channelEndpoint<Profile extends ChannelProfile>(
  route: ChannelRoute<Profile>,
  env: HubEnvironment,
  intake: IntakeDeps,
  sendReply: SendReply,
  channel: { inquiry?: PaymentInquiry | undefined; rules?: IntakeRules | undefined } = {},
): ChannelEndpoint {
  const { inquiry, rules } = channel;
  const profiles = guardProfiles(route, env);
  const only = route.byProfile ? undefined : [...profiles.values()][0];
  const adapter = inquiry?.afterBadSignature ? askingAfterBadSignature(route.adapter, inquiry.afterBadSignature) : route.adapter;
  const deps = inquiry ? { ...intake, reconcile: inquiry.reconcile } : intake;
  const parseBody = route.methods.includes("POST") ? BODY_PARSERS[route.body] : undefined;

  const refuse = (exchange: WebhookExchange, error: ProtocolError) => {
    exchange.log().warn({ profile: exchange.profileName, reason: error.kind, field: error.field, ip: exchange.ip }, `${adapter.protocol} request refused: ${error.message}`);
    sendReply(exchange, adapter.replyError(error, inboundRequestOf(exchange)));
  };

  /** Body-parser failures (too large, bad encoding) and anything the intake threw still get the protocol's own error answer. */
  const failed = (exchange: WebhookExchange, error: Error & { status?: number; type?: string }) => {
    const tooLarge = error.type === "entity.too.large";
    exchange.log().warn({ err: { type: error.type, message: error.message } }, `${adapter.protocol} request refused before parsing`);
    const message = tooLarge ? "request body too large" : error.type ? "request body could not be read" : "request could not be read";
    const reply = adapter.replyError({ kind: "malformed", message }, undefined);
    sendReply(exchange, { ...reply, status: tooLarge ? 413 : 400 });
  };

  const handle = async (exchange: WebhookExchange, guarded: GuardedProfile<Profile>) => {
    const request = inboundRequestOf(exchange);
    const parsed = adapter.parse(request, guarded.profile);
    if (!parsed.ok) return refuse(exchange, parsed.error);
    const { reply } = await handleCommand(deps, {
      source: guarded.profile.source,
      profile: guarded.profile,
      command: parsed.command,
      requestId: exchange.requestId,
      answer: (outcome) => adapter.reply(parsed.command, outcome, request, guarded.profile),
      ...(adapter.decide ? { decide: (command, state) => adapter.decide!(request, command, state) } : {}),
      received: withoutSecrets(request.params),
      ...(rules ? { rules } : {}),
    });
    sendReply(exchange, reply);
  };

  return {
    path: route.path,
    byProfile: route.byProfile,
    unreadable: (exchange) => failed(exchange, new Error("the path could not be decoded")),
    async serve(exchange) {
      const { req } = exchange;
      const guarded = only ?? profiles.get(exchange.profileName ?? "");
      if (!guarded) return refuse(exchange, { kind: "notFound", message: `unknown ${adapter.protocol} profile "${String(exchange.profileName).slice(0, 40)}"` });
      const method = req.method ?? "";
      if (!route.methods.includes(method as "GET" | "POST")) return refuse(exchange, { kind: "malformed", message: `use ${route.methods.join(" or ")}` });
      if (!guarded.allowlist.allows(exchange.ip)) return refuse(exchange, { kind: "forbidden", message: `source address ${exchange.ip} is not allowed for this profile` });
      if (guarded.basicAuth && !basicCredentialsMatch(req.headers.authorization, guarded.basicAuth)) {
        return refuse(exchange, { kind: "unauthorized", message: "HTTP Basic credentials missing or wrong" });
      }
      const run = () => handle(exchange, guarded).catch((error: Error) => failed(exchange, error));
      if (method !== "POST" || !parseBody) return run();
      return new Promise<void>((resolve) => {
        parseBody(req as express.Request, exchange.res as express.Response, (error?: unknown) => {
          if (error) resolve(failed(exchange, error as Error));
          else resolve(run());
        });
      });
    },
  };
}

/** The adapter, telling `ask` of every request it refuses for its signature (the adapter stays pure; this does not delay the answer). */
function askingAfterBadSignature<Profile extends ChannelProfile>(adapter: ChannelAdapter<Profile>, ask: (request: InboundRequest) => void): ChannelAdapter<Profile> {
  return {
    ...adapter,
    parse(request, profile) {
      const parsed = adapter.parse(request, profile);
      if (!parsed.ok && parsed.error.kind === "badSignature") ask(request);
      return parsed;
    },
  };
}
