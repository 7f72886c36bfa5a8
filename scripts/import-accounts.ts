/**
 * `npm run import:accounts -- <file.csv>`: imports the subscriber base from a CSV export into the database named by
 * DATABASE_URL (default: the local development database). Progress goes to stderr, the summary to stdout.
 *
 * Exit codes: 0 every row imported; 1 some rows rejected (the others are imported); 2 the file could not be read
 * (missing, not UTF-8, no usable header); 3 the database failed (unreachable, not migrated).
 * Running the same file again is safe: accounts are matched by number and updated.
 */
import { createReadStream } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describeProgress, importAccounts, IMPORT_COLUMNS, type ImportReport } from "../src/accounts/import-accounts.ts";
import { createDb } from "../src/db.ts";
import { LOCAL_POSTGRES_URL } from "../src/infra/local-services.ts";

const SHOWN_REJECTIONS = 10;

export interface CommandOutput {
  /** The summary (stdout). */
  out: (line: string) => void;
  /** Progress and errors (stderr). */
  err: (line: string) => void;
}

function summary(file: string, report: ImportReport): string {
  const lines = [`${file}: ${describeProgress(report)} in ${(report.elapsedMs / 1000).toFixed(1)} s.`];
  if (report.rejected > 0) {
    const shown = report.rejections.slice(0, SHOWN_REJECTIONS);
    lines.push(`${report.rejected} row${report.rejected === 1 ? " was" : "s were"} rejected; the first ${shown.length}:`);
    for (const rejection of shown) {
      lines.push(`  line ${rejection.line}${rejection.number ? ` (account ${rejection.number.slice(0, 20)})` : ""}: ${rejection.reason}`);
    }
    lines.push("Fix these rows and import the file again: imported rows are updated, not doubled.");
  }
  return lines.join("\n");
}

/** The command without the process around it: returns the exit code. */
export async function runImportCommand(args: string[], databaseUrl: string | undefined, output: CommandOutput): Promise<number> {
  const files = args.filter((arg) => arg !== "--");
  if (files.length !== 1 || files[0]!.startsWith("-")) {
    output.err(
      `usage: npm run import:accounts -- <file.csv>\n` +
        `  The file: a header row "${IMPORT_COLUMNS.join(",")}" (";" works as the delimiter too), UTF-8.\n` +
        `  The database: DATABASE_URL, else ${LOCAL_POSTGRES_URL}.`,
    );
    return 2;
  }
  const file = files[0]!;
  const url = databaseUrl ?? LOCAL_POSTGRES_URL;
  const db = createDb(url, 2);
  try {
    const result = await importAccounts(db, createReadStream(file), {
      onProgress: (progress) => output.err(`import-accounts: ${describeProgress(progress)}`),
    });
    if (!result.ok) {
      output.err(`import-accounts: ${file} could not be read: ${result.problem}`);
      if (result.report.rowsRead > 0) output.out(summary(file, result.report));
      return 2;
    }
    output.out(summary(file, result.report));
    return result.report.rejected > 0 ? 1 : 0;
  } catch (error) {
    const where = new URL(url);
    output.err(
      `import-accounts: the database ${where.host}${where.pathname} failed: ${error instanceof Error ? error.message : String(error)}\n` +
        "  Is DATABASE_URL right, and is the database migrated (npm run db:migrate)? Rows already imported stay; importing again is safe.",
    );
    return 3;
  } finally {
    await db.$disconnect();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await runImportCommand(process.argv.slice(2), process.env.DATABASE_URL, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
}
