import { Redis } from "ioredis";

/**
 * Deletes every Redis key of a queue prefix (BullMQ's `<prefix>:<queue>:*`): what a throw-away hub (the bench, the
 * tests, ops/local-cluster.ts) leaves behind. Returns how many keys it deleted; a Redis that is gone deletes nothing.
 */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on("error", () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== "0");
  } catch {
    // A Redis stopped on purpose (a test) leaves nothing to clean.
  } finally {
    redis.disconnect();
  }
  return deleted;
}
