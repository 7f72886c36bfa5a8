// proxy-addr ships no types (Express reads req.ip with it): the one call the webhook front makes (proxy-addr 2).
declare module "proxy-addr" {
  import type { IncomingMessage } from "node:http";

  /** The client's address: the socket's, or the closest untrusted one in X-Forwarded-For as `trust` allows. */
  function proxyAddr(req: IncomingMessage, trust: (address: string, hop: number) => boolean): string;
  export default proxyAddr;
}
