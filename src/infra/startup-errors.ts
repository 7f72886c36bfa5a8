/**
 * Start-up failures people can act on: each says, in one line, what went wrong and what to do. main.ts prints
 * `payhub could not start: <message>` and exits 1; the original error stays as `cause` (logged at debug).
 */
export class StartupError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "StartupError";
  }
}

interface ErrorWithCode {
  code?: string;
  message?: string;
  errors?: unknown[];
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET"]);

/** The error's code, looking into an AggregateError (Node's connect tries IPv4 and IPv6 and reports both). */
function codeOf(error: unknown): string | undefined {
  const withCode = error as ErrorWithCode | undefined;
  if (withCode?.code) return withCode.code;
  for (const inner of withCode?.errors ?? []) {
    const code = codeOf(inner);
    if (code) return code;
  }
  return undefined;
}

/** host:port/database of a PostgreSQL URL, without its user's password. */
export function describePostgres(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || "5432"}${url.pathname}${url.username ? ` as ${decodeURIComponent(url.username)}` : ""}`;
  } catch {
    return "the server of DATABASE_URL";
  }
}

/** What a failed connection to PostgreSQL (or a refused statement while preparing the database) means for the operator. */
export function postgresStartupError(error: unknown, databaseUrl: string): Error {
  if (error instanceof StartupError) return error;
  const where = `PostgreSQL at ${describePostgres(databaseUrl)}`;
  const code = codeOf(error);
  const detail = (error as ErrorWithCode | undefined)?.message?.split("\n")[0] ?? String(error);
  switch (code) {
    case "ECONNREFUSED":
      return new StartupError(`${where} refuses connections (ECONNREFUSED): start PostgreSQL, or set DATABASE_URL to a running server`, error);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new StartupError(`${where}: the host name does not resolve (${code}): check the host in DATABASE_URL`, error);
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new StartupError(`${where} cannot be reached (${code}): check the host and port in DATABASE_URL and the firewall`, error);
    case "28P01":
    case "28000":
      return new StartupError(`${where} refused the login (${detail}): check the user and password in DATABASE_URL and pg_hba.conf`, error);
    case "42501":
      return new StartupError(`${where}: the user may not create the database (${detail}): create it (createdb) or grant CREATEDB`, error);
    case "57P03":
      return new StartupError(`${where} is starting up or shutting down (${detail}): start payhub again once it accepts connections`, error);
    case "53300":
      return new StartupError(`${where} has no free connections (${detail}): raise max_connections or lower the pools of other processes`, error);
    case "3D000":
      return new StartupError(`${where}: the database does not exist (${detail}): create it, or let payhub create it with a user allowed to`, error);
    default:
      if (code && NETWORK_CODES.has(code)) return new StartupError(`${where} failed (${code}: ${detail}): check DATABASE_URL and that PostgreSQL runs`, error);
      return new StartupError(`${where} failed: ${detail}`, error);
  }
}

/** A failed `prisma migrate deploy`: its first meaningful line and what to run to see the whole of it. */
export function migrationStartupError(error: unknown): Error {
  if (error instanceof StartupError) return error;
  const output = (error as ErrorWithCode | undefined)?.message ?? String(error);
  const lines = output
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/^(Prisma schema loaded|Datasource|Loaded Prisma config|prisma migrate deploy failed|\d+ migrations? found)/.test(line));
  const reason = lines.find((line) => /error|failed|P\d{4}/i.test(line)) ?? lines[0] ?? "no output";
  return new StartupError(`the database migrations failed (${reason}): run \`DATABASE_URL=… npx prisma migrate status\` to see which, fix it, then start again`, error);
}

/** Where an ioredis connection goes (its options), without passwords: host:port, or the Sentinel group and sentinels. */
export function describeRedis(options: { host?: string; port?: number; sentinels?: Partial<{ host: string; port: number }>[] | null; name?: string }): string {
  if (options.sentinels && options.sentinels.length > 0) {
    return `master "${options.name ?? "?"}" of Sentinels ${options.sentinels.map((sentinel) => `${sentinel.host ?? "?"}:${sentinel.port ?? 26379}`).join(",")}`;
  }
  return `${options.host ?? "127.0.0.1"}:${options.port ?? 6379}`;
}

/** A failed first connection to Redis. */
export function redisStartupError(error: unknown, target: string): Error {
  if (error instanceof StartupError) return error;
  const code = codeOf(error);
  const detail = (error as ErrorWithCode | undefined)?.message?.split("\n")[0] ?? String(error);
  if (/^All sentinels are unreachable/i.test(detail) || /sentinel/i.test(detail)) {
    return new StartupError(`Redis ${target} cannot be found (${detail}): check REDIS_SENTINELS, REDIS_SENTINEL_NAME and REDIS_SENTINEL_PASSWORD, and that the sentinels run`, error);
  }
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(detail)) {
    return new StartupError(`Redis at ${target} refused the login (${detail}): check REDIS_PASSWORD or the password in REDIS_URL`, error);
  }
  if (code === "ECONNREFUSED") {
    return new StartupError(`Redis at ${target} refuses connections (ECONNREFUSED): start redis-server, or set REDIS_URL (or REDIS_SENTINELS) to a running one`, error);
  }
  return new StartupError(`Redis at ${target} cannot be used (${detail}): check REDIS_URL (or REDIS_SENTINELS) and that Redis runs`, error);
}
