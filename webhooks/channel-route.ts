import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { ChannelAdapter, ChannelProfile, HttpReply, InboundRequest, ProtocolError } from "../adapters/contract/index.ts";
import type { ChannelRoute, PaymentInquiry } from "../src/channels/channel.ts";
import type { HubEnvironment } from "../src/config.ts";
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

/** Query and urlencoded body merged; a name present in both becomes an array, which adapters refuse. */
export function inboundRequestOf(req: Request): InboundRequest {
  const params: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
  const body = req.body && typeof req.body === "object" ? (req.body as Record<string, unknown>) : {};
  for (const [name, value] of Object.entries(body)) {
    params[name] = name in params ? ([] as unknown[]).concat(params[name], value) : value;
  }
  return { method: req.method, params, headers: req.headers, ip: req.ip ?? req.socket.remoteAddress ?? "" };
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

export function send(res: Response, reply: HttpReply): void {
  res.status(reply.status).set(reply.headers ?? {}).type(reply.contentType).send(reply.body);
}

type ProfileLookup<Profile extends ChannelProfile> = (req: Request) => GuardedProfile<Profile> | undefined;

/** Body parsers of the channels: urlencoded forms for most, JSON for QIWI bills; both limited in size. */
const BODY_PARSERS = {
  urlencoded: express.urlencoded({ extended: false, limit: WEBHOOK_BODY_LIMIT, parameterLimit: 50 }),
  json: express.json({ limit: WEBHOOK_BODY_LIMIT }),
} as const;

/**
 * The router of one channel route: `/:profile` for a family of profiles (OSMP, bank XML), `/` for a channel with one.
 * Order matters: the source address and Basic credentials are checked before the body is parsed, the adapter verifies
 * and parses, and the reply is sent only after the intake use case committed the payment. A channel with a provider
 * API to ask (`inquiry`) runs its ReconcileCommands there, and asks it about a request refused for its signature.
 * `rules`: the channel's own rules of intake, handed to the core with every command.
 */
export function channelRouter<Profile extends ChannelProfile>(
  route: ChannelRoute<Profile>,
  env: HubEnvironment,
  intake: IntakeDeps,
  channel: { inquiry?: PaymentInquiry | undefined; rules?: IntakeRules | undefined } = {},
): Router {
  const { inquiry, rules } = channel;
  const router = express.Router();
  const profiles = guardProfiles(route, env);
  const only = route.byProfile ? undefined : [...profiles.values()][0];
  const lookup: ProfileLookup<Profile> = only ? () => only : (req) => profiles.get(String(req.params.profile));
  const path = route.byProfile ? "/:profile" : "/";
  const adapter = inquiry?.afterBadSignature ? askingAfterBadSignature(route.adapter, inquiry.afterBadSignature) : route.adapter;
  const deps = inquiry ? { ...intake, reconcile: inquiry.reconcile } : intake;
  router.all(path, guard(adapter, lookup, route.methods));
  if (route.methods.includes("POST")) router.post(path, BODY_PARSERS[route.body]);
  router.all(path, handle(adapter, lookup, deps, rules));
  router.use(bodyErrors(adapter));
  return router;
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

function refuse<Profile extends ChannelProfile>(adapter: ChannelAdapter<Profile>, req: Request, res: Response, error: ProtocolError): void {
  req.log?.warn({ profile: req.params.profile, reason: error.kind, field: error.field, ip: req.ip }, `${adapter.protocol} request refused: ${error.message}`);
  send(res, adapter.replyError(error, inboundRequestOf(req)));
}

function guard<Profile extends ChannelProfile>(adapter: ChannelAdapter<Profile>, lookup: ProfileLookup<Profile>, methods: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    const guarded = lookup(req);
    if (!guarded) return refuse(adapter, req, res, { kind: "notFound", message: `unknown ${adapter.protocol} profile "${String(req.params.profile).slice(0, 40)}"` });
    if (!methods.includes(req.method)) return refuse(adapter, req, res, { kind: "malformed", message: `use ${methods.join(" or ")}` });
    if (!guarded.allowlist.allows(req.ip)) return refuse(adapter, req, res, { kind: "forbidden", message: `source address ${req.ip} is not allowed for this profile` });
    if (guarded.basicAuth && !basicCredentialsMatch(req.headers.authorization, guarded.basicAuth)) {
      return refuse(adapter, req, res, { kind: "unauthorized", message: "HTTP Basic credentials missing or wrong" });
    }
    next();
  };
}

function handle<Profile extends ChannelProfile>(adapter: ChannelAdapter<Profile>, lookup: ProfileLookup<Profile>, deps: IntakeDeps, rules: IntakeRules | undefined) {
  return async (req: Request, res: Response) => {
    const guarded = lookup(req)!;
    const request = inboundRequestOf(req);
    const parsed = adapter.parse(request, guarded.profile);
    if (!parsed.ok) return refuse(adapter, req, res, parsed.error);
    const { reply } = await handleCommand(deps, {
      source: guarded.profile.source,
      profile: guarded.profile,
      command: parsed.command,
      requestId: req.id,
      answer: (outcome) => adapter.reply(parsed.command, outcome, request, guarded.profile),
      ...(adapter.decide ? { decide: (command, state) => adapter.decide!(request, command, state) } : {}),
      received: withoutSecrets(request.params),
      ...(rules ? { rules } : {}),
    });
    send(res, reply);
  };
}

/**
 * Body-parser failures (too large, bad encoding) still get the protocol's own error answer. Registered without a
 * path: a profile name that is not valid percent-encoding fails to match "/:profile" too, and would otherwise reach
 * the JSON error handler of the API.
 */
function bodyErrors<Profile extends ChannelProfile>(adapter: ChannelAdapter<Profile>) {
  return (error: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    const tooLarge = error.type === "entity.too.large";
    req.log?.warn({ err: { type: error.type, message: error.message } }, `${adapter.protocol} request refused before parsing`);
    const message = tooLarge ? "request body too large" : error.type ? "request body could not be read" : "request could not be read";
    const reply = adapter.replyError({ kind: "malformed", message }, undefined);
    send(res, { ...reply, status: tooLarge ? 413 : 400 });
  };
}
