import { pino, type Logger } from "pino";

export type { Logger };

/** json: one JSON object a line (production, log shippers); pretty: one readable line (development, a terminal). */
export type LogFormat = "json" | "pretty";

/**
 * Structured logs. Secrets never reach them: fields that could carry one are censored by name, and requests are
 * logged only after an adapter has removed their secrets. The pretty format is the same record, rendered.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream, format: LogFormat = "json"): Logger {
  const out = destination ?? process.stdout;
  return pino(
    {
      level,
      base: { service: "payhub" },
      redact: {
        paths: ["authorization", "*.authorization", "headers.authorization", "password", "*.password", "token", "*.token", "secret", "*.secret"],
        censor: "[redacted]",
      },
      serializers: { err: pino.stdSerializers.err },
    },
    (format === "pretty" ? prettyDestination(out) : destination) as pino.DestinationStream | undefined,
  );
}

/** The format when LOG_FORMAT does not say: readable in development and on a terminal, JSON otherwise (production). */
export function defaultLogFormat(env: string, stdoutIsTerminal: boolean): LogFormat {
  return env === "development" || stdoutIsTerminal ? "pretty" : "json";
}

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO ", 40: "WARN ", 50: "ERROR", 60: "FATAL" };
const LEFT_OUT = new Set(["level", "time", "msg", "service", "pid", "hostname", "requestId", "err"]);

/** A value of a key=value pair: bare when it is a plain word, JSON-quoted otherwise. */
function pairValue(value: unknown): string {
  if (typeof value === "string") return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * One JSON record as one line: `12:40:01.123 WARN  message key=value … err="…" [req 9f1c2a7e]`. The time is local
 * (the hub's TZ), the request id shortened to its first 8 characters (still unique enough to grep the JSON log by).
 */
export function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const time = new Date(typeof record.time === "number" ? record.time : Date.now());
  const clock = `${String(time.getHours()).padStart(2, "0")}:${String(time.getMinutes()).padStart(2, "0")}:${String(time.getSeconds()).padStart(2, "0")}.${String(time.getMilliseconds()).padStart(3, "0")}`;
  const parts = [clock, LEVELS[record.level as number] ?? String(record.level), String(record.msg ?? "")];
  for (const [key, value] of Object.entries(record)) {
    if (LEFT_OUT.has(key) || value === undefined) continue;
    parts.push(`${key}=${pairValue(value)}`);
  }
  const err = record.err as { message?: string; type?: string; code?: string } | string | undefined;
  if (typeof err === "string") parts.push(`err=${JSON.stringify(err)}`);
  else if (err) parts.push(`err=${JSON.stringify(`${err.type && err.type !== "Error" ? `${err.type}: ` : ""}${(err.message ?? "").replace(/\s*\n\s*/g, " ").trim()}`)}`);
  if (typeof record.requestId === "string") parts.push(`[req ${record.requestId.slice(0, 8)}]`);
  return parts.join(" ").replace(/\s*\n\s*/g, " ");
}

/** A synchronous destination that renders each record pino writes (one JSON line a call) before writing it out. */
function prettyDestination(out: NodeJS.WritableStream): { write(chunk: string): boolean } {
  return {
    write(chunk: string) {
      let text = "";
      for (const line of chunk.split("\n")) if (line.trim() !== "") text += `${prettyLine(line)}\n`;
      return out.write(text);
    },
  };
}
