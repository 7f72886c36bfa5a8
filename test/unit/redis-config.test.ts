import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { createRedis, describeRedisTarget } from "../../src/queue/connection.ts";

// Redis as an operator configures it: one server by REDIS_URL, or a Sentinel group (REDIS_SENTINELS,
// REDIS_SENTINEL_NAME), with passwords that never show in a message; and a queue prefix Redis Cluster can use.

const MASTER_PASSWORD = "master-secret-0123";
const SENTINEL_PASSWORD = "sentinel-secret-4567";

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain(MASTER_PASSWORD);
    expect(message).not.toContain(SENTINEL_PASSWORD);
    return message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe("Redis configuration", () => {
  it("when REDIS_SENTINELS and REDIS_SENTINEL_NAME are set, then every connection's target is that master group, with both passwords", () => {
    const config = loadConfig({
      REDIS_SENTINELS: " 10.0.0.1:26379, sentinel-2.internal:26380 ,[fd00::3]:26379",
      REDIS_SENTINEL_NAME: "mymaster",
      REDIS_PASSWORD: MASTER_PASSWORD,
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    });
    expect(config.redis).toEqual({
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "sentinel-2.internal", port: 26380 },
        { host: "fd00::3", port: 26379 },
      ],
      name: "mymaster",
      password: MASTER_PASSWORD,
      sentinelPassword: SENTINEL_PASSWORD,
    });
    expect(config.redisUrl).toBeUndefined();
  });

  it("when only REDIS_URL is set, then it is the target, and REDIS_PASSWORD goes along; when neither is set, the local Redis is used", () => {
    expect(loadConfig({ REDIS_URL: "redis://redis.internal:6379" }).redis).toEqual({ url: "redis://redis.internal:6379", password: undefined });
    expect(loadConfig({ REDIS_URL: "redis://redis.internal:6379", REDIS_PASSWORD: MASTER_PASSWORD }).redis).toEqual({ url: "redis://redis.internal:6379", password: MASTER_PASSWORD });
    const local = loadConfig({ REDIS_PASSWORD: MASTER_PASSWORD });
    expect(local.redis).toBeUndefined();
    expect(local.redisPassword).toBe(MASTER_PASSWORD);
    // An empty variable, as `REDIS_SENTINELS=` in .env, is unset.
    expect(loadConfig({ REDIS_SENTINELS: "", REDIS_SENTINEL_NAME: "" }).redis).toBeUndefined();
  });

  it("when a REDIS_SENTINELS entry is not host:port, then start-up names each wrong entry and says how to write them", () => {
    const message = refusal({
      REDIS_SENTINELS: "10.0.0.1:26379, 10.0.0.2, sentinel:0, sentinel:70000, sentinel:port, fd00::1:26379, [not-ipv6]:26379, :26379",
      REDIS_SENTINEL_NAME: "mymaster",
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    });
    expect(message).toMatch(/REDIS_SENTINELS: .*write the sentinels as host:port, comma-separated/);
    for (const wrong of ["10.0.0.2", "sentinel:0", "sentinel:70000", "sentinel:port", "fd00::1:26379", "[not-ipv6]:26379", ":26379"]) {
      expect(message).toContain(`"${wrong}"`);
    }
    expect(message).not.toContain('"10.0.0.1:26379"');
    expect(refusal({ REDIS_SENTINELS: " , ", REDIS_SENTINEL_NAME: "mymaster" })).toMatch(/REDIS_SENTINELS: an empty list: write the sentinels as host:port/);
  });

  it("when REDIS_SENTINEL_NAME is missing or malformed, or set without REDIS_SENTINELS, then start-up says so", () => {
    expect(refusal({ REDIS_SENTINELS: "10.0.0.1:26379", REDIS_PASSWORD: MASTER_PASSWORD })).toMatch(
      /REDIS_SENTINEL_NAME: required when REDIS_SENTINELS is set \(the master group name the sentinels monitor, e\.g\. mymaster\)/,
    );
    expect(refusal({ REDIS_SENTINELS: "10.0.0.1:26379", REDIS_SENTINEL_NAME: "my master" })).toMatch(/REDIS_SENTINEL_NAME: must be the master group name/);
    expect(refusal({ REDIS_SENTINEL_NAME: "mymaster" })).toMatch(/REDIS_SENTINEL_NAME: set only with REDIS_SENTINELS/);
    expect(refusal({ REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD })).toMatch(/REDIS_SENTINEL_PASSWORD: set only with REDIS_SENTINELS/);
  });

  it("when REDIS_URL and REDIS_SENTINELS are both set, then start-up refuses the pair without echoing a password", () => {
    const message = refusal({
      REDIS_URL: `redis://:${MASTER_PASSWORD}@redis.internal:6379`,
      REDIS_SENTINELS: "10.0.0.1:26379",
      REDIS_SENTINEL_NAME: "mymaster",
      REDIS_PASSWORD: MASTER_PASSWORD,
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    });
    expect(message).toMatch(/REDIS_URL and REDIS_SENTINELS: set one or the other/);
  });

  it("when QUEUE_PREFIX is hash-tagged for Redis Cluster ({payhub}), then it is taken; other braces and characters are refused", () => {
    for (const prefix of ["payhub", "pay-hub_2", "{payhub}", "{pay-hub_2}"]) expect(loadConfig({ QUEUE_PREFIX: prefix }).queuePrefix).toBe(prefix);
    expect(loadConfig({}).queuePrefix).toBe("payhub");
    for (const prefix of ["{payhub", "payhub}", "pay{hub}", "{}", "{a}{b}", "{{payhub}}", "pay:hub", "pay*", "pay hub"]) {
      expect(refusal({ QUEUE_PREFIX: prefix }), prefix).toMatch(/QUEUE_PREFIX: letters, digits, _ and - \(payhub\), or the same in braces for Redis Cluster \(\{payhub\}\)/);
    }
  });
});

describe("createRedis", () => {
  it("when the target is a Sentinel group, then the connection asks the sentinels for the master, with both passwords and failover detection", () => {
    const target = { sentinels: [{ host: "10.0.0.1", port: 26379 }], name: "mymaster", password: MASTER_PASSWORD, sentinelPassword: SENTINEL_PASSWORD };
    for (const role of ["producer", "worker"] as const) {
      // lazyConnect: nothing is dialled in this test.
      const redis = createRedis(target, role, { lazyConnect: true });
      try {
        expect(redis.options).toMatchObject({
          sentinels: [{ host: "10.0.0.1", port: 26379 }],
          name: "mymaster",
          role: "master",
          password: MASTER_PASSWORD,
          sentinelPassword: SENTINEL_PASSWORD,
          failoverDetector: true,
          maxRetriesPerRequest: role === "worker" ? null : 1,
        });
        expect(redis.options.reconnectOnError?.(new Error("READONLY You can't write against a read only replica."))).toBe(2);
        expect(redis.options.reconnectOnError?.(new Error("ERR something else"))).toBe(false);
        // BullMQ's blocking connection is a duplicate: it goes through the sentinels as well.
        const duplicate = redis.duplicate({ lazyConnect: true });
        expect(duplicate.options).toMatchObject({ sentinels: [{ host: "10.0.0.1", port: 26379 }], name: "mymaster", failoverDetector: true });
        duplicate.disconnect();
      } finally {
        redis.disconnect();
      }
    }
    expect(describeRedisTarget(target)).toBe('sentinel master "mymaster" via 10.0.0.1:26379');
  });

  it("when the target is a URL, then REDIS_PASSWORD serves a URL without one and a URL's own password wins; a log shows neither", () => {
    const withoutPassword = createRedis({ url: "redis://redis.internal:6380/2", password: MASTER_PASSWORD }, "producer");
    const withPassword = createRedis({ url: "redis://:url-secret@redis.internal:6380", password: MASTER_PASSWORD }, "producer");
    try {
      expect(withoutPassword.options).toMatchObject({ host: "redis.internal", port: 6380, db: 2, password: MASTER_PASSWORD });
      expect(withPassword.options.password).toBe("url-secret");
    } finally {
      withoutPassword.disconnect();
      withPassword.disconnect();
    }
    expect(describeRedisTarget("redis://:url-secret@redis.internal:6380")).toBe("redis://:***@redis.internal:6380");
    expect(describeRedisTarget({ url: "redis://redis.internal:6380", password: MASTER_PASSWORD })).not.toContain(MASTER_PASSWORD);
  });
});
