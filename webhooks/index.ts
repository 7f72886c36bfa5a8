import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type express from "express";
import proxyAddr from "proxy-addr";
import { channelRoutes, channelSettings } from "../src/channels/index.ts";
import type { PaymentInquiry } from "../src/channels/channel.ts";
import type { Config } from "../src/config.ts";
import { requestIdOf } from "../src/http/request-context.ts";
import type { Logger } from "../src/log.ts";
import type { IntakeDeps } from "../src/payments/handle-command.ts";
import { channelEndpoint, type ChannelEndpoint, type SendReply, type WebhookExchange } from "./channel-route.ts";

/**
 * The providers' routes, in front of Express: every channel of the catalogue (config.channels, src/channels) on its
 * fixed path under /webhooks. Nothing here names a channel: a route, its body parser, its adapter, its guard and the
 * channel's rules of intake come from the channel's entry.
 *
 * Why not Express routes: measured on this machine (issue 11), Express 5's request handling (its prototypes, router
 * and response helpers) costs about 0.12 ms of CPU a request before any handler runs, against 0.02 ms for Node's own
 * HTTP server; at saturation that was a third of the server's CPU per pay. The front keeps Express's semantics where a
 * provider can see them: paths match case-insensitively with an optional trailing slash, the profile segment is
 * percent-decoded, the query is parsed by the app's query parser and the client address read by its trust-proxy
 * setting, bodies are read by the same body-parser middleware, and answers carry the same status, headers (X-Request-Id,
 * Content-Type, Content-Length, a weak ETag) and body. A request under /webhooks that names no route goes to Express
 * (its 404). The one difference: a GET answered here is never turned into a 304 by an If-None-Match; a provider's
 * callback never sends one, and a payment answer must not be a cached one.
 */
export function createWebhookFront(app: express.Express, config: Config, intake: IntakeDeps, log: Logger): RequestListener & { app: express.Express } {
  const trust = app.get("trust proxy fn") as (address: string, hop: number) => boolean;
  const parseQuery = app.get("query parser fn") as ((text: string) => Record<string, unknown>) | undefined;
  const etagOf = app.get("etag fn") as ((body: Buffer) => string) | undefined;

  const sendReply: SendReply = (exchange, reply) => {
    const { res, req } = exchange;
    res.statusCode = reply.status;
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    res.setHeader("Content-Type", reply.contentType);
    const body = Buffer.from(reply.body, "utf8");
    res.setHeader("Content-Length", body.length);
    if (etagOf) res.setHeader("ETag", etagOf(body));
    if (req.method === "HEAD") res.end();
    else res.end(body);
  };

  // One provider API client per channel, shared by its routes (the card acquirer's status API, for reconciles).
  const inquiries = new Map<string, PaymentInquiry | undefined>();
  const endpoints: ChannelEndpoint[] = [];
  for (const { channel, route } of channelRoutes(config)) {
    if (!inquiries.has(channel.key)) inquiries.set(channel.key, channel.inquiry?.(channelSettings(config, channel), intake));
    const path = route.path.toLowerCase();
    if (endpoints.some((each) => each.path === path)) throw new Error(`two channel routes are mounted on ${route.path}`);
    endpoints.push({ ...channelEndpoint(route, config.env, intake, sendReply, { inquiry: inquiries.get(channel.key), rules: channel.intakeRules }), path });
  }

  /** The endpoint a path names and the raw profile segment, or undefined: Express answers it. */
  const route = (pathname: string): { endpoint: ChannelEndpoint; segment: string | undefined } | undefined => {
    const lower = pathname.toLowerCase();
    for (const endpoint of endpoints) {
      if (!lower.startsWith(endpoint.path)) continue;
      const rest = pathname.slice(endpoint.path.length);
      if (rest !== "" && rest[0] !== "/") continue;
      if (!endpoint.byProfile) return rest === "" || rest === "/" ? { endpoint, segment: undefined } : undefined;
      const segment = rest.endsWith("/") ? rest.slice(1, -1) : rest.slice(1);
      return segment !== "" && !segment.includes("/") ? { endpoint, segment } : undefined;
    }
    return undefined;
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const target = requestTarget(req.url ?? "/");
    const found = target && target.pathname.length > 10 && target.pathname.slice(0, 10).toLowerCase() === "/webhooks/" ? route(target.pathname) : undefined;
    if (!target || !found) {
      app(req, res);
      return;
    }
    const requestId = requestIdOf(req.headers["x-request-id"]) ?? randomUUID();
    res.setHeader("X-Request-Id", requestId);
    let requestLog: Logger | undefined;
    const exchange: WebhookExchange = { req, res, profileName: undefined, query: {}, ip: "", requestId, log: () => (requestLog ??= log.child({ requestId })) };
    const failed = (error: unknown) => {
      exchange.log().error({ err: error }, "provider request failed");
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    };
    // Nothing a request carries may crash the process: whatever throws is logged and answered 500 (as Express did).
    try {
      if (parseQuery) exchange.query = parseQuery(target.search);
      exchange.ip = proxyAddr(req, trust) ?? "";
      if (found.segment !== undefined) {
        try {
          exchange.profileName = decodeURIComponent(found.segment);
        } catch {
          found.endpoint.unreadable(exchange);
          return;
        }
      }
      found.endpoint.serve(exchange).catch(failed);
    } catch (error) {
      failed(error);
    }
  };
  return Object.assign(listener, { app });
}

/**
 * The path and query string of a request target: origin-form ("/webhooks/osmp/qiwi?…"), or absolute-form
 * ("http://host/webhooks/osmp/qiwi?…", as a proxy may send it), which Express reads the same way. Undefined: not a URL.
 */
function requestTarget(url: string): { pathname: string; search: string } | undefined {
  if (url.startsWith("/")) {
    const queryAt = url.indexOf("?");
    return queryAt === -1 ? { pathname: url, search: "" } : { pathname: url.slice(0, queryAt), search: url.slice(queryAt + 1) };
  }
  try {
    const parsed = new URL(url);
    return { pathname: parsed.pathname, search: parsed.search.slice(1) };
  } catch {
    return undefined;
  }
}
