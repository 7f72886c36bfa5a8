import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, defaultLogFormat, prettyLine } from "../../src/log.ts";

describe("log format", () => {
  it("is readable in development and on a terminal, JSON for production and tests writing to a pipe", () => {
    expect(defaultLogFormat("development", false)).toBe("pretty");
    expect(defaultLogFormat("production", true)).toBe("pretty");
    expect(defaultLogFormat("production", false)).toBe("json");
    expect(defaultLogFormat("test", false)).toBe("json");
  });

  it("renders a record as one line: time, level, message, its fields, the error's message and the request id, secrets still censored", () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const log = createLogger("info", sink, "pretty");
    const error = new Error("connect ECONNREFUSED 127.0.0.1:5432\n    at somewhere");
    log.warn({ channel: "osmp:qiwi", amount: "10.45", resent: 10, retried: false, ids: [1, 2], note: "two words", password: "hunter2", err: error, requestId: "87975135-767d-4a42-a132-cdbc8411df06" }, "intake failed: answering a temporary error");
    log.debug("not at this level");
    const text = lines.join("");
    expect(text.split("\n").filter(Boolean)).toHaveLength(1);
    expect(text).toMatch(
      /^\d{2}:\d{2}:\d{2}\.\d{3} WARN  intake failed: answering a temporary error channel=osmp:qiwi amount=10\.45 resent=10 retried=false ids=\[1,2\] note="two words" password="\[redacted\]" err="connect ECONNREFUSED 127\.0\.0\.1:5432 at somewhere" \[req 87975135\]\n$/,
    );
    expect(text).not.toContain("hunter2");
  });

  it("passes a line that is not JSON through unchanged", () => {
    expect(prettyLine("plain text")).toBe("plain text");
  });
});
