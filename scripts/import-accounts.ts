/**
 * `npm run import:accounts -- <file.csv>`: imports the subscriber base from a CSV export into the database named by
 * DATABASE_URL (default: the local development database). Progress goes to stderr, the summary to stdout.
 *
 * Exit codes: 0 every row imported; 1 some rows rejected (the others are imported); 2 the file could not be read
 * (missing, not UTF-8, no usable header); 3 the database failed (unreachable, not migrated).
 * Running the same file again is safe: accounts are matched by number and updated.
 */
import { createReadStream } from "node:fs";
import { describeProgress, importAccounts, IMPORT_COLUMNS, type ImportReport } from "../src/accounts/import-accounts.ts";
import { createDb } from "../src/db.ts";
import { LOCAL_POSTGRES_URL } from "../src/infra/local-services.ts";

const SHOWN_REJECTIONS = 10;

function usage(): never {
  console.error(
    `usage: npm run import:accounts -- <file.csv>\n` +
      `  The file: a header row "${IMPORT_COLUMNS.join(",")}" (";" works as the delimiter too), UTF-8.\n` +
      `  The database: DATABASE_URL, else ${LOCAL_POSTGRES_URL}.`,
  );
  process.exit(2);
}

function summary(file: string, report: ImportReport): string {
  const lines = [
    `${file}: ${describeProgress(report)} in ${(report.elapsedMs / 1000).toFixed(1)} s.`,
  ];
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

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((arg) => arg !== "--");
  if (args.length !== 1 || args[0]!.startsWith("-")) usage();
  const file = args[0]!;
  const databaseUrl = process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL;
  const db = createDb(databaseUrl, 2);
  try {
    const result = await importAccounts(db, createReadStream(file), {
      onProgress: (progress) => console.error(`import-accounts: ${describeProgress(progress)}`),
    });
    if (!result.ok) {
      console.error(`import-accounts: ${file} could not be read: ${result.problem}`);
      if (result.report.rowsRead > 0) console.log(summary(file, result.report));
      return 2;
    }
    console.log(summary(file, result.report));
    return result.report.rejected > 0 ? 1 : 0;
  } catch (error) {
    const where = new URL(databaseUrl);
    where.password = "";
    console.error(
      `import-accounts: the database at ${where.host}${where.pathname} failed: ${error instanceof Error ? error.message : String(error)}\n` +
        "  Is DATABASE_URL right, and is the database migrated (npm run db:migrate)? Rows already imported stay; importing again is safe.",
    );
    return 3;
  } finally {
    await db.$disconnect();
  }
}

process.exitCode = await main();
