/**
 * `npm run import:registry -- --channel bank:sberbank <file>`: imports a provider's registry into the database named
 * by DATABASE_URL (default: the local development database), as POST /api/registries does, and prints the answer as
 * a table. Progress goes to stderr, the table to stdout.
 *
 * Exit codes: 0 accepted, every line matched; 1 accepted with open items (discrepancies for the console's "Реестры");
 * 2 rejected (the reason and line are printed; nothing recorded) or the file could not be read or the arguments are
 * wrong; 3 the database failed (unreachable, not migrated).
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createPool } from "../src/db.ts";
import { LOCAL_POSTGRES_URL } from "../src/infra/local-services.ts";
import { importRegistry, REGISTRY_CLASSES, type ImportAnswer } from "../src/registries/import-registry.ts";
import { FILE_REGISTRY_CHANNELS } from "../src/registries/profiles.ts";
import type { ActionContext } from "../src/staff/actor.ts";

export interface CommandOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE =
  "usage: npm run import:registry -- --channel <channel id> [--encoding utf-8|windows-1251] <file>\n" +
  `  channel ids with file registries: ${FILE_REGISTRY_CHANNELS.join(", ")}\n` +
  `  The database: DATABASE_URL, else ${LOCAL_POSTGRES_URL}.`;

/** The answer as the accountant reads it: the classes with counts and sums, the settlement, the open lines. */
export function answerTable(file: string, answer: ImportAnswer): string {
  if (answer.status === "rejected") {
    return `${file}: REJECTED (${answer.reason})${answer.line !== undefined ? ` at line ${answer.line}` : ""}: ${answer.message}\nNothing was recorded.`;
  }
  const lines = [`${file}: registry ${answer.id} of ${answer.channel} for ${answer.day}: ${answer.lines.length} lines`, ""];
  lines.push(`  ${"class".padEnd(22)} ${"count".padStart(7)} ${"amount".padStart(16)}`);
  for (const name of REGISTRY_CLASSES) {
    const figure = answer.classes[name];
    lines.push(`  ${name.padEnd(22)} ${String(figure.count).padStart(7)} ${figure.amount.padStart(16)}`);
  }
  lines.push("", `  settlement: ${answer.settlement.status}${answer.settlement.expected ? `, transfer expected ${answer.settlement.expected}` : ""}${answer.settlement.found ? `, found ${answer.settlement.found}` : ""}`);
  const open = answer.lines.filter((line) => line.class !== "matched" && line.class !== "date_shift");
  if (open.length > 0 || answer.missingInRegistry.length > 0) {
    lines.push("", "  open items (resolve them on the console, «Реестры»):");
    for (const line of open.slice(0, 20)) {
      lines.push(
        `    line ${line.line}: ${line.class} id ${line.externalId}, account ${line.account}${line.hubAccount && line.hubAccount !== line.account ? ` (payhub: ${line.hubAccount})` : ""}, ${line.registryAmount}${line.hubAmount && line.hubAmount !== line.registryAmount ? ` (payhub: ${line.hubAmount})` : ""}`,
      );
    }
    if (open.length > 20) lines.push(`    … and ${open.length - 20} more lines`);
    for (const missing of answer.missingInRegistry.slice(0, 20)) lines.push(`    missing_in_registry: payment ${missing.paymentId} (id ${missing.externalId}), account ${missing.account}, ${missing.amount}`);
    if (answer.missingInRegistry.length > 20) lines.push(`    … and ${answer.missingInRegistry.length - 20} more payments`);
  }
  return lines.join("\n");
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
}

/** The command without the process around it: returns the exit code. */
export async function runImportRegistry(args: string[], databaseUrl: string | undefined, output: CommandOutput): Promise<number> {
  const rest = args.filter((arg) => arg !== "--");
  const channel = option(rest, "channel");
  const encoding = option(rest, "encoding");
  const files = rest.filter((arg, index) => !arg.startsWith("--") && rest[index - 1] !== "--channel" && rest[index - 1] !== "--encoding");
  if (!channel || files.length !== 1 || (encoding !== undefined && encoding !== "utf-8" && encoding !== "windows-1251")) {
    output.err(USAGE);
    return 2;
  }
  const file = files[0]!;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    output.err(`import-registry: ${file} could not be read: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  output.err(`import-registry: ${file}: ${bytes.length.toLocaleString("en")} bytes read; checking the whole file, then matching it with payhub's payments of ${channel}`);
  const url = databaseUrl ?? LOCAL_POSTGRES_URL;
  const pool = createPool(url, 2);
  const context: ActionContext = {
    actor: { staffId: null, login: `cli:${os.userInfo().username}`, fullName: "npm run import:registry", role: "admin", officeId: null, via: "automation", csrfToken: undefined, sessionId: undefined },
    ip: "127.0.0.1",
    requestId: undefined,
  };
  const started = Date.now();
  try {
    const answer = await importRegistry(pool, context, { channel, fileName: path.basename(file), bytes, ...(encoding ? { encoding } : {}) });
    output.err(`import-registry: ${answer.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    output.out(answerTable(file, answer));
    if (answer.status === "rejected") return 2;
    const open = answer.lines.some((line) => line.class !== "matched" && line.class !== "date_shift") || answer.missingInRegistry.length > 0;
    return open ? 1 : 0;
  } catch (error) {
    const where = new URL(url);
    output.err(
      `import-registry: the database ${where.host}${where.pathname} failed: ${error instanceof Error ? error.message : String(error)}\n` +
        "  Is DATABASE_URL right, and is the database migrated (npm run db:migrate)? Nothing was recorded; importing again is safe.",
    );
    return 3;
  } finally {
    await pool.end();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await runImportRegistry(process.argv.slice(2), process.env.DATABASE_URL, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
}
