/**
 * Is this error PostgreSQL being unreachable (down, restarting, failing over, out of connections) rather than a
 * fault of the request or of payhub? Such a request can be repeated in a minute, and is answered so: providers get
 * their protocol's temporary error (intake does that for every failure), pages and the API a 503 that says so.
 */

/** Socket-level failures of a connection to the server. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "ENOTFOUND", "EAI_AGAIN"]);
/** PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01-57P03 (shut down, crash, cannot connect now), 53300 (too many connections). */
const SQLSTATES = /^(08\d{3}|57P0[123]|53300)$/;
/** Prisma's: P1001 can't reach, P1002 timed out, P1017 server closed the connection, P2024 no pool connection in time. */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1017", "P2024"]);
/** Prisma driver adapter error kinds, and node-postgres's messages for a connection that ended under a query. */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "DatabaseDoesNotExist"]);
const MESSAGES = /Connection terminated|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to administrator command|Can't reach database server|Server has closed the connection|timeout exceeded when trying to connect/i;

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 4) return false;
  const candidate = error as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown }; errors?: unknown[] };
  const code = typeof candidate.code === "string" ? candidate.code : undefined;
  if (code && (NETWORK_CODES.has(code) || SQLSTATES.test(code) || PRISMA_CODES.has(code))) return true;
  if (typeof candidate.kind === "string" && ADAPTER_KINDS.has(candidate.kind)) return true;
  if (typeof candidate.message === "string" && MESSAGES.test(candidate.message)) return true;
  return (
    isDatabaseUnavailable(candidate.cause, depth + 1) ||
    isDatabaseUnavailable(candidate.meta?.driverAdapterError, depth + 1) ||
    (candidate.errors ?? []).some((inner) => isDatabaseUnavailable(inner, depth + 1))
  );
}

/** What staff read when the database is unavailable (the pages' 503). */
export const DATABASE_UNAVAILABLE_PAGE = {
  title: "База данных недоступна",
  message: "База данных недоступна: платежи сейчас не записываются. Повторите через минуту; если не проходит дольше пяти минут, сообщите дежурному инженеру.",
};
