/**
 * `npm run staff:create-admin -- <login> "<full name>"`: creates the first administrator (or another one) in the
 * database named by DATABASE_URL (default: the local development database). The password comes from
 * STAFF_ADMIN_PASSWORD, else from standard input (one line; a terminal does not echo it), never from the command line,
 * where it would stay in the shell's history and the process list. The creation is recorded in the audit log.
 *
 * Exit codes: 0 created; 1 refused (bad login, weak password, login taken); 2 usage; 3 the database failed.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ensureOffices } from "../src/cashier/offices.ts";
import { createDb } from "../src/db.ts";
import { LOCAL_POSTGRES_URL } from "../src/infra/local-services.ts";
import { StaffActionError } from "../src/staff/actor.ts";
import { createStaff, StaffInput } from "../src/staff/staff-users.ts";
import type { CommandOutput } from "./import-accounts.ts";

/** One line from standard input; on a terminal, echo is off while it is typed (stty). */
async function readPassword(output: CommandOutput): Promise<string> {
  const tty = process.stdin.isTTY === true;
  if (tty) {
    output.err("password (at least 10 characters, not shown):");
    spawnSync("stty", ["-echo"], { stdio: "inherit" });
  }
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) return line;
    return "";
  } finally {
    lines.close();
    if (tty) spawnSync("stty", ["echo"], { stdio: "inherit" });
  }
}

export async function runCreateAdmin(
  args: string[],
  env: { databaseUrl: string | undefined; password: string | undefined },
  output: CommandOutput,
  readSecret: () => Promise<string> = () => readPassword(output),
): Promise<number> {
  const [login, fullName, ...rest] = args.filter((arg) => arg !== "--");
  if (!login || !fullName || rest.length > 0) {
    output.err(
      'usage: npm run staff:create-admin -- <login> "<full name>"\n' +
        "  The password: STAFF_ADMIN_PASSWORD, else typed on standard input.\n" +
        `  The database: DATABASE_URL, else ${LOCAL_POSTGRES_URL} (migrated: run npm start once, or npm run db:migrate).`,
    );
    return 2;
  }
  const password = env.password ?? (await readSecret());
  const input = StaffInput.safeParse({ login, fullName, role: "admin", password });
  if (!input.success) {
    output.err(`create-admin: ${input.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`);
    return 1;
  }
  const url = env.databaseUrl ?? LOCAL_POSTGRES_URL;
  const db = createDb(url, 2);
  try {
    await ensureOffices(db);
    const staff = await createStaff(db, undefined, input.data);
    output.out(`create-admin: administrator ${staff.login} (${staff.fullName}) created; sign in at /staff/sign-in.`);
    return 0;
  } catch (error) {
    if (error instanceof StaffActionError) {
      output.err(`create-admin: ${error.message}`);
      return 1;
    }
    const where = new URL(url);
    // Prisma's message quotes our source around the cause; the cause is its last line.
    const cause = (error instanceof Error ? error.message : String(error)).split("\n").map((line) => line.trim()).filter(Boolean).pop();
    output.err(`create-admin: the database ${where.host}${where.pathname} failed: ${cause}`);
    return 3;
  } finally {
    await db.$disconnect();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await runCreateAdmin(process.argv.slice(2), { databaseUrl: process.env.DATABASE_URL, password: process.env.STAFF_ADMIN_PASSWORD || undefined }, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
}
