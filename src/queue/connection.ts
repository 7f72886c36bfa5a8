import { Redis, type RedisOptions } from "ioredis";

/**
 * A worker's connection must retry forever (BullMQ requires maxRetriesPerRequest: null). A producer's connection
 * fails fast instead: the payment is already durable in Postgres and the sweeper re-sends what Redis did not take.
 */
export function createRedis(url: string, role: "worker" | "producer", extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === "worker" ? null : 1,
    enableOfflineQueue: role === "worker",
    // A producer connects explicitly (await redis.connect()) so start-up fails clearly when Redis is absent.
    lazyConnect: role === "producer",
    // Jobs added by concurrent requests in the same tick go to Redis in one write: fewer system calls per payment.
    enableAutoPipelining: role === "producer",
    ...extra,
  });
}
