import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs. Secrets never reach them: fields that could carry one are censored by name, and requests
 * are logged only after an adapter has removed their secrets.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
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
    destination as pino.DestinationStream | undefined,
  );
}
