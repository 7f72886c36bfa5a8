import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { ChannelAdapter, ChannelProfile, HttpReply, InboundRequest, ProtocolError } from "../adapters/contract/index.ts";
import type { IntakeDeps } from "../src/payments/accept-payment.ts";
import { handleCommand } from "../src/payments/accept-payment.ts";
import type { Config, ProfileConfig } from "../src/config.ts";
import { basicCredentialsMatch, createIpAllowlist, type IpAllowlist } from "./source-guard.ts";

/** How a channel's profile is guarded at the HTTP level, before its adapter sees the request. */
export interface GuardedProfile<Profile extends ChannelProfile = ChannelProfile> {
  profile: Profile;
  allowlist: IpAllowlist;
  basicAuth: { user: string; password: string } | undefined;
}

/**
 * Builds the guarded profiles of one channel family from configuration: the allowlist (loopback too outside
 * production), Basic credentials, and the adapter's profile made by `toProfile` from the common limits.
 */
export function guardProfiles<Config_ extends ProfileConfig, Profile extends ChannelProfile>(
  config: Config,
  profiles: Config_[],
  toProfile: (profile: Config_, base: Omit<ChannelProfile, "source">) => Profile,
  signed = false,
): Map<string, GuardedProfile<Profile>> {
  const guarded = new Map<string, GuardedProfile<Profile>>();
  for (const profile of profiles) {
    const base = { minKopecks: profile.minKopecks, maxKopecks: profile.maxKopecks, commissionBasisPoints: profile.commissionBasisPoints };
    guarded.set(profile.name, {
      profile: toProfile(profile, base),
      allowlist: createIpAllowlist(profile.allowedCidrs, config.env !== "production", signed),
      basicAuth: profile.basicAuth,
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
 * The route of one check/pay channel family: `/:profile`, GET and POST (OSMP, bank XML). Order matters: the source
 * address and Basic credentials are checked before the body is parsed, the adapter verifies and parses, and the reply
 * is sent only after the intake use case committed the payment.
 */
export function checkPayRoute<Profile extends ChannelProfile>(
  adapter: ChannelAdapter<Profile>,
  profiles: Map<string, GuardedProfile<Profile>>,
  deps: IntakeDeps,
): Router {
  const router = express.Router();
  const lookup: ProfileLookup<Profile> = (req) => profiles.get(String(req.params.profile));
  router.all("/:profile", guard(adapter, lookup, ["GET", "POST"]));
  router.post("/:profile", BODY_PARSERS.urlencoded);
  router.all("/:profile", handle(adapter, lookup, deps));
  router.use(bodyErrors(adapter));
  return router;
}

/** The route of a channel with one endpoint (WebMoney, YooMoney, QIWI bills POST; the SMS forward GETs; ArsenalPay either). */
export function notificationRoute<Profile extends ChannelProfile>(
  adapter: ChannelAdapter<Profile>,
  guarded: GuardedProfile<Profile>,
  deps: IntakeDeps,
  body: keyof typeof BODY_PARSERS,
  methods: ("GET" | "POST")[] = ["POST"],
): Router {
  const router = express.Router();
  const lookup: ProfileLookup<Profile> = () => guarded;
  router.all("/", guard(adapter, lookup, methods));
  if (methods.includes("POST")) router.post("/", BODY_PARSERS[body]);
  router.all("/", handle(adapter, lookup, deps));
  router.use(bodyErrors(adapter));
  return router;
}

function refuse<Profile extends ChannelProfile>(adapter: ChannelAdapter<Profile>, req: Request, res: Response, error: ProtocolError): void {
  req.log?.warn({ profile: req.params.profile, reason: error.kind, field: error.field, ip: req.ip }, `${adapter.protocol} request refused: ${error.message}`);
  send(res, adapter.replyError(error, inboundRequestOf(req)));
}

function guard<Profile extends ChannelProfile>(adapter: ChannelAdapter<Profile>, lookup: ProfileLookup<Profile>, methods: string[]) {
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

function handle<Profile extends ChannelProfile>(adapter: ChannelAdapter<Profile>, lookup: ProfileLookup<Profile>, deps: IntakeDeps) {
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
