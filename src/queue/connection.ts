import { Redis, type RedisOptions } from "ioredis";

/** A sentinel's address, as REDIS_SENTINELS lists it. */
export interface RedisAddress {
  host: string;
  port: number;
}

/**
 * Where the hub's Redis is: one server by URL (REDIS_URL, or the local one `npm start` finds), or the master of a
 * Sentinel group (REDIS_SENTINELS, REDIS_SENTINEL_NAME), which the sentinels name at every (re)connection, so that
 * after a failover every connection goes to the new master. `password` is the Redis servers' (REDIS_PASSWORD; with a
 * URL, only when the URL carries none); `sentinelPassword` the sentinels' own (REDIS_SENTINEL_PASSWORD).
 */
export type RedisTarget =
  | { url: string; password?: string | undefined }
  | { sentinels: RedisAddress[]; name: string; password?: string | undefined; sentinelPassword?: string | undefined };

/** The target for a bare URL (the tests' and older call sites' form), or the target itself. */
export function redisTarget(target: RedisTarget | string): RedisTarget {
  return typeof target === "string" ? { url: target } : target;
}

/** What a log line may say about the target: the addresses, never a password (a URL's is masked). */
export function describeRedisTarget(target: RedisTarget | string): string {
  const resolved = redisTarget(target);
  if ("sentinels" in resolved) return `sentinel master "${resolved.name}" via ${resolved.sentinels.map(({ host, port }) => `${host}:${port}`).join(",")}`;
  try {
    const url = new URL(resolved.url);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(a malformed Redis URL)";
  }
}

/** How long a producer's first connection waits for the sentinels to name a master before start-up fails. */
const SENTINEL_STARTUP_MS = 15_000;

/**
 * A node that answers READONLY was the master and is a replica now (a failover demoted it while this connection
 * stayed open): reconnect, which in Sentinel mode asks the sentinels for the new master, and send the command again
 * (a READONLY reply wrote nothing). A worker's commands wait for the reconnection; a producer's, with no offline
 * queue, fail and the sweeper re-sends what they carried.
 */
function reconnectOnReadonly(error: Error): 2 | false {
  return error.message.startsWith("READONLY") ? 2 : false;
}

/**
 * A worker's connection must retry forever (BullMQ requires maxRetriesPerRequest: null). A producer's connection
 * fails fast instead: the payment is already durable in Postgres and the sweeper re-sends what Redis did not take.
 * BullMQ's own connections (a worker's blocking connection) are duplicates of these, with the same target.
 */
export function createRedis(target: RedisTarget | string, role: "worker" | "producer", extra: RedisOptions = {}): Redis {
  const resolved = redisTarget(target);
  const options: RedisOptions = {
    maxRetriesPerRequest: role === "worker" ? null : 1,
    enableOfflineQueue: role === "worker",
    // A producer connects explicitly (await redis.connect()) so start-up fails clearly when Redis is absent.
    lazyConnect: role === "producer",
    // Jobs added by concurrent requests in the same tick go to Redis in one write: fewer system calls per payment.
    enableAutoPipelining: role === "producer",
    reconnectOnError: reconnectOnReadonly,
  };
  if ("sentinels" in resolved) {
    const created = Date.now();
    let connected = false;
    const redis = new Redis({
      sentinels: resolved.sentinels,
      name: resolved.name,
      password: resolved.password,
      sentinelPassword: resolved.sentinelPassword,
      // The sentinels' +switch-master drops the connection to the old master at once, also when that one still
      // answers (a partition, a manual SENTINEL FAILOVER); a dead master's closed socket would do it anyway.
      failoverDetector: true,
      // While no sentinel answers (or none knows the master) ioredis asks them again and again, so a producer's
      // first connect() would never settle: start-up gives up after SENTINEL_STARTUP_MS and says so. Once connected,
      // every connection asks them forever (ioredis's delays), since after a failover they name the new master.
      sentinelRetryStrategy: (times) => (role === "producer" && !connected && Date.now() - created > SENTINEL_STARTUP_MS ? null : Math.min(times * 10, 1000)),
      ...options,
      ...extra,
    });
    redis.once("ready", () => {
      connected = true;
    });
    return redis;
  }
  // A password in the URL wins (ioredis takes the URL's first); REDIS_PASSWORD serves a URL without one.
  return new Redis(resolved.url, { ...(resolved.password ? { password: resolved.password } : {}), ...options, ...extra });
}
