#!/usr/bin/env node
// Stand-in for Prisma's native `schema-engine` binary, for machines that reach the npm registry but not Prisma's
// binary CDN (see shared/notes/prisma-offline.md). prisma.config.ts points PRISMA_SCHEMA_ENGINE_BINARY here.
//
// The Prisma 7 CLI spawns the engine binary and talks to it in one of three ways; this script answers all three:
//   * `--version`                                   -> one line on stdout;
//   * `--datasource '{"url":…}' cli <command>`      -> `can-connect-to-database` / `create-database`, answered with
//                                                      plain `pg`; failures are reported the way the native engine
//                                                      does (a JSON log line on stderr, exit code 1), because the
//                                                      CLI parses exactly that to decide whether to create the DB;
//   * `--datamodels <file>… --datasource '{…}'`     -> JSON-RPC 2.0, one JSON object per line over stdin/stdout.
//                                                      Each request is forwarded to the same engine compiled to
//                                                      WebAssembly (@prisma/schema-engine-wasm), which reaches
//                                                      PostgreSQL through @prisma/adapter-pg.
//
// Beyond forwarding, it works around what the Wasm engine + @prisma/adapter-pg 7.10.1 get wrong (each marked
// below): `"char"` columns (fix 1), the shadow database (fixes 2 and 3), `$$` bodies in migration scripts (fix 4),
// and migrate dev's "shadow DB must be provided through an external factory" after applying pending migrations.
//
// Everything is pinned to exact versions in package.json on purpose: this file relies on how those exact versions
// behave, and (fix 1) on one internal method of @prisma/adapter-pg 7.10.1, `performIO`.
//
// Plain ESM JavaScript, no build step, no network: run directly by `node` (the CLI executes it via the shebang).

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum, DriverAdapterError } from '@prisma/driver-adapter-utils';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

// `@prisma/schema-engine-wasm`'s entry point does `import * as wasm from "./schema_engine_bg.wasm"`, which Node 20
// cannot load (no ESM integration for Wasm without a flag). So import only the generated JS glue (a declared
// package export) and instantiate the .wasm file next to it ourselves; the glue's functions are the module's imports.
const WASM_GLUE = '@prisma/schema-engine-wasm/schema_engine_bg';

// ---------------------------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const args = { datamodels: [], datasource: undefined, cliCommand: undefined, version: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--version' || a === '-V') args.version = true;
    else if (a === '--datamodels') args.datamodels.push(argv[++i]);
    else if (a === '--datasource') args.datasource = JSON.parse(argv[++i]);
    // Accepted for compatibility and ignored: the Wasm engine takes no preview features or extension types.
    else if (a === '--enabled-preview-features' || a === '--extension-types') i++;
    else if (a === 'cli') args.cliCommand = argv[++i];
    else throw new Error(`prisma-schema-engine shim: unknown argument ${JSON.stringify(a)}`);
  }
  return args;
}

// The native engine logs JSON lines (tracing's format) on stderr. The CLI keeps the ERROR ones to build its error
// messages (and, for `cli …` commands, reads `fields.error_code` from them), so we log in the same shape.
function logJson(level, message, extra = {}) {
  process.stderr.write(
    JSON.stringify({
      timestamp: new Date().toISOString(),
      level,
      fields: { message, ...extra },
      target: 'schema_engine::logger',
    }) + '\n',
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Connection settings
// ---------------------------------------------------------------------------------------------------------------

// Turn a postgresql:// URL into *discrete* pg settings. Never hand `connectionString` to pg here: pg lets a
// connectionString override an explicit `database`, and adapter-pg opens other databases with
// `{ ...config, database }` (pitfall 2 in the note: the "shadow" database silently became the main one).
function pgConfigFromUrl(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new Error('The datasource URL is not a valid URL.');
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') {
    throw new Error(`This schema engine stand-in supports PostgreSQL only, not "${u.protocol.slice(0, -1)}".`);
  }
  const q = u.searchParams;
  const dec = (s) => (s ? decodeURIComponent(s) : undefined);
  const config = {
    // `?host=/run/postgresql` selects a Unix socket directory, as with libpq and Prisma.
    host: q.get('host') || dec(u.hostname.replace(/^\[(.*)\]$/, '$1')) || 'localhost',
    port: Number(q.get('port') || u.port || 5432),
    user: dec(u.username) || q.get('user') || undefined, // undefined: pg falls back to PGUSER / the OS user
    password: u.password ? dec(u.password) : q.get('password') ?? undefined,
    database: dec(u.pathname.slice(1)) || 'postgres', // Prisma's default when the URL names no database
  };
  if (q.get('connect_timeout')) config.connectionTimeoutMillis = Number(q.get('connect_timeout')) * 1000;
  if (q.get('application_name')) config.application_name = q.get('application_name');
  const sslmode = q.get('sslmode');
  if (sslmode === 'require' || sslmode === 'no-verify' || q.get('sslaccept') === 'accept_invalid_certs') {
    config.ssl = { rejectUnauthorized: false };
  } else if (sslmode === 'verify-ca' || sslmode === 'verify-full') {
    config.ssl = q.get('sslrootcert') ? { ca: readFileSync(q.get('sslrootcert'), 'utf8') } : true;
  }
  // Prisma's `?schema=` names the schema the engine manages; unqualified SQL in migrations must land there too.
  const schema = q.get('schema') || undefined;
  if (schema) config.options = `-c search_path="${schema.replaceAll('"', '""')}"`;
  return { config, schema };
}

const quoteIdent = (name) => `"${name.replaceAll('"', '""')}"`;
const where = (c) => (c.host.startsWith('/') ? `unix:${c.host}` : `${c.host}:${c.port}`);

// One short-lived pg connection, for statements that must run outside the database they concern
// (CREATE/DROP DATABASE) or before any engine exists (`cli can-connect-to-database`).
async function withClient(config, fn) {
  const client = new pg.Client(config);
  client.on('error', () => {}); // a dropped idle connection must not crash the process; the query reports it
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

// Run `sql` connected to the maintenance database, as the native engine does for CREATE DATABASE: first the
// `postgres` database, then `template1` when `postgres` does not exist.
async function adminQuery(config, sql) {
  try {
    return await withClient({ ...config, database: 'postgres' }, (c) => c.query(sql));
  } catch (e) {
    if (e.code !== '3D000') throw e;
    return await withClient({ ...config, database: 'template1' }, (c) => c.query(sql));
  }
}

// Map a pg / socket error to Prisma's user-facing connection error codes (P1000…), as the CLI expects them.
function connectionError(e, config) {
  const at = `\`${where(config)}\``;
  switch (e.code) {
    case '3D000':
      return { code: 'P1003', message: `Database \`${config.database}\` does not exist on the database server at ${at}.` };
    case '28P01':
      return {
        code: 'P1000',
        message: `Authentication failed against database server at ${at}, the provided database credentials for \`${config.user ?? ''}\` are not valid.`,
      };
    case '28000':
    case '42501':
      return { code: 'P1010', message: `User \`${config.user ?? ''}\` was denied access on the database \`${config.database}\`` };
    case '42P04':
      return { code: 'P1009', message: `Database \`${config.database}\` already exists on the database server at ${at}` };
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ENOENT': // Unix socket directory without a server
      return { code: 'P1001', message: `Can't reach database server at ${at}\n\nPlease make sure your database server is running at ${at}.` };
    case 'ETIMEDOUT':
      return { code: 'P1002', message: `The database server at ${at} was reached but timed out.` };
    default:
      return { code: undefined, message: e.message };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// `cli can-connect-to-database` / `cli create-database`
// ---------------------------------------------------------------------------------------------------------------

async function runCliCommand(command, datasource) {
  if (!datasource?.url) throw new Error('`cli` commands need --datasource with a url');
  const { config } = pgConfigFromUrl(datasource.url);
  // The CLI skips the first stderr line (the native engine's start-up log line) and parses the rest as JSON
  // lines, so an error on the first line would go unseen: start with an INFO line, as the native engine does.
  logJson('INFO', `Starting schema engine CLI (Wasm stand-in): ${command}`);
  try {
    if (command === 'can-connect-to-database') {
      await withClient(config, (c) => c.query('SELECT 1'));
      process.stdout.write('Connection successful\n');
    } else if (command === 'create-database') {
      await adminQuery(config, `CREATE DATABASE ${quoteIdent(config.database)}`);
      process.stdout.write(`Database '${config.database}' was successfully created.\n`);
    } else {
      throw Object.assign(new Error(`Unknown cli command: ${command}`), { code: undefined });
    }
    return 0;
  } catch (e) {
    const { code, message } = connectionError(e, config);
    logJson('ERROR', message, code ? { error_code: code } : {});
    return 1;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The driver adapter handed to the Wasm engine: @prisma/adapter-pg with fixes 1-4
// ---------------------------------------------------------------------------------------------------------------

// pg error -> the adapter's error shape, so the engine shows the database's own message and SQLSTATE.
function toDriverAdapterError(e) {
  if (e instanceof DriverAdapterError || typeof e?.code !== 'string' || typeof e?.severity !== 'string') return e;
  return new DriverAdapterError({
    kind: 'postgres',
    code: e.code,
    severity: e.severity,
    message: e.message,
    detail: e.detail,
    column: e.column,
    hint: e.hint,
    originalCode: e.code,
    originalMessage: e.message,
  });
}

const PG_CHAR_OID = 18; // the one-byte internal type `"char"` (pg_constraint.contype, pg_class.relkind, …)
const PG_TEXT_OID = 25;
// Columns of `"char"` type per in-flight query object (queryRaw passes the same object on to performIO).
const charColumnsOfQuery = new WeakMap();

// Apply fixes 1 and 4 to an adapter (or transaction) object returned by adapter-pg.
function patchQueryable(q) {
  // Fix 1: the engine's catalog queries return `"char"` columns, and adapter-pg 7.10.1 rejects OID 18 ("Unsupported
  // column type char"). Reporting them as Text is not enough: the schema describer reads e.g.
  // pg_constraint.contype with `get_expect_char`, which accepts only a Character value, and the engine panics
  // ("sql-schema-describer/src/postgres.rs … as char failed") as soon as the database has a CHECK constraint or a
  // constraint trigger. The native engine's driver decodes `"char"` as Character, so report exactly that:
  //  * performIO (adapter-pg's internal, TypeScript-private method that queryRaw and executeRaw go through; the
  //    only hook between the wire result and the type check) relabels those columns as text so the check passes,
  //    and remembers their positions;
  //  * queryRaw then marks them ColumnTypeEnum.Character; pg already decodes `"char"` as a one-character string,
  //    which is what the engine expects for Character.
  const performIO = q.performIO;
  const queryRaw = q.queryRaw;
  if (typeof performIO !== 'function' || typeof queryRaw !== 'function') {
    throw new Error('@prisma/adapter-pg changed (no performIO/queryRaw); revisit scripts/prisma-schema-engine.mjs');
  }
  q.performIO = async function (query) {
    const result = await performIO.call(this, query);
    const charColumns = [];
    result?.fields?.forEach((field, i) => {
      if (field.dataTypeID === PG_CHAR_OID) {
        field.dataTypeID = PG_TEXT_OID;
        charColumns.push(i);
      }
    });
    if (charColumns.length) charColumnsOfQuery.set(query, charColumns);
    return result;
  };
  q.queryRaw = async function (query) {
    const resultSet = await queryRaw.call(this, query);
    for (const i of charColumnsOfQuery.get(query) ?? []) resultSet.columnTypes[i] = ColumnTypeEnum.Character;
    charColumnsOfQuery.delete(query);
    return resultSet;
  };

  if (typeof q.startTransaction === 'function') {
    const startTransaction = q.startTransaction;
    q.startTransaction = async function (...args) {
      return patchQueryable(await startTransaction.apply(this, args));
    };
  }

  // Fix 4: adapter-pg's executeScript splits the script on every `;`, which cuts `$$ … $$` function bodies (and
  // string literals) apart. Send the whole script as one simple-protocol query instead, as the native engine
  // does: PostgreSQL then runs it as one implicit transaction, so a failing migration rolls back as a unit.
  if (typeof q.executeScript === 'function') {
    q.executeScript = async function (script) {
      try {
        await this.underlyingDriver().query(script);
      } catch (e) {
        throw toDriverAdapterError(e);
      }
    };
  }
  return q;
}

// Shadow databases that exist right now, so that an interrupted run (Ctrl-C) can still drop them.
const liveShadowDbs = new Map(); // name -> discrete pg config

class PgMigrationAdapterFactory {
  provider = 'postgres';
  adapterName = '@prisma/adapter-pg';

  constructor(datasource) {
    this.shadowDatabaseUrl = datasource?.shadowDatabaseUrl;
    if (datasource?.url) {
      const { config, schema } = pgConfigFromUrl(datasource.url);
      this.config = config;
      this.options = schema ? { schema } : undefined;
    }
    this.mainDatabase = this.config?.database; // which database the engine's main connection opens
  }

  #requireConfig() {
    if (!this.config) throw new Error('No datasource URL was given to the schema engine (set datasource.url in prisma.config.ts).');
    return this.config;
  }

  async connect() {
    const config = { ...this.#requireConfig(), database: this.mainDatabase };
    return patchQueryable(await new PrismaPg(config, this.options).connect());
  }

  // Replaces adapter-pg's connectToShadowDb, which has pitfalls 2 and 3 (see the note):
  //  * 2: the shadow pool is built from discrete settings (pgConfigFromUrl never yields a connectionString), so it
  //       really opens the shadow database;
  //  * 3: adapter-pg drops the shadow database while its own pool is still connected to it, so the DROP fails and
  //       the database leaks; here the pool is closed first, then the database is dropped.
  // The name starts with the main database's name (payhub_dev -> payhub_dev_shadow_…), so shadows are easy to
  // attribute, and stays within PostgreSQL's 63-byte identifier limit.
  async connectToShadowDb() {
    const config = this.#requireConfig();
    if (this.shadowDatabaseUrl) {
      // The Wasm engine expects a fresh database from this factory and never resets one; a configured shadow
      // database would need a reset the native engine does and this stand-in does not. Fail loudly instead of
      // silently using something else.
      throw new Error(
        'datasource.shadowDatabaseUrl is not supported by scripts/prisma-schema-engine.mjs: it creates and drops ' +
          'a temporary shadow database itself, which needs a role allowed to CREATE DATABASE.',
      );
    }
    const name = `${config.database.slice(0, 40)}_shadow_${randomBytes(6).toString('hex')}`;
    try {
      await adminQuery(config, `CREATE DATABASE ${quoteIdent(name)}`);
    } catch (e) {
      throw toDriverAdapterError(e);
    }
    liveShadowDbs.set(name, config);
    const shadow = patchQueryable(await new PrismaPg({ ...config, database: name }, this.options).connect());
    const closePool = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      try {
        await closePool();
      } finally {
        await adminQuery(config, `DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
        liveShadowDbs.delete(name);
      }
    };
    return shadow;
  }
}

async function dropLiveShadowDbs() {
  for (const [name, config] of liveShadowDbs) {
    // WITH (FORCE) (PostgreSQL 13+) because the interrupted engine may still hold connections to it.
    await adminQuery(config, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch((e) =>
      logJson('WARN', `could not drop shadow database ${name}: ${e.message}`),
    );
    liveShadowDbs.delete(name);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The Wasm engine
// ---------------------------------------------------------------------------------------------------------------

let lastWasmPanic; // set by the engine's panic hook just before it traps

async function loadWasmEngine(datamodels, adapterFactory) {
  // The engine's Rust panic hook reports the panic message through this global before trapping; without it the
  // hook itself would throw and the real message would be lost.
  globalThis.PRISMA_WASM_PANIC_REGISTRY = { set_message: (m) => (lastWasmPanic = m) };

  const glue = await import(WASM_GLUE);
  const wasmPath = fileURLToPath(import.meta.resolve(WASM_GLUE)).replace(/\.js$/, '.wasm');
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  // The module imports everything from one namespace, named after the glue file (see schema_engine.js).
  const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();

  // The engine's own tracing lines are already in the native engine's JSON log format: pass them through.
  const log = (line) => process.stderr.write(line.endsWith('\n') ? line : line + '\n');
  // bindMigrationAwareSqlAdapterFactory wraps every adapter call so that it returns a Result ({ ok, value/error })
  // instead of throwing: the shape the Wasm engine expects from a driver adapter.
  const bound = bindMigrationAwareSqlAdapterFactory(adapterFactory);
  // `datamodels` must be undefined or non-empty ([path, content] pairs).
  const engine = await glue.SchemaEngine.new({ datamodels: datamodels.length ? datamodels : undefined }, log, bound);
  return { engine, glue, errorRegistry: bound.errorRegistry };
}

// ---------------------------------------------------------------------------------------------------------------
// JSON-RPC server
// ---------------------------------------------------------------------------------------------------------------

// Same envelope as the native engine: the CLI reads `error.data.{is_panic,message,error_code,meta}`.
function rpcError(e, errorRegistry) {
  // A JS exception inside the adapter (not a database error) reaches the engine only as { kind: "GenericJs", id },
  // which it prints as "External error id#<id>": fetch the original from the registry so the user sees it.
  const genericId = /External error id#(\d+)/.exec(String(e?.message))?.[1];
  const original = genericId !== undefined ? errorRegistry?.consumeError(Number(genericId))?.error : undefined;
  if (original) logJson('ERROR', `driver adapter error: ${original.stack ?? original}`);

  if (e instanceof WebAssembly.RuntimeError) {
    const message = lastWasmPanic ?? e.message;
    return { code: 4466, message, data: { is_panic: true, message, backtrace: e.stack } };
  }
  const message = original ? `${e?.message ?? e}\n${original.message ?? original}` : e?.message ?? String(e);
  return {
    code: 4466,
    message: 'An error happened. Check the data field for details.',
    data: { is_panic: false, message, error_code: e?.code ?? null, meta: e?.meta ?? null },
  };
}

// `url` / `schemaDatasource` diff targets are the live database; `empty`, `schemaDatamodel`, `migrations` are not.
const diffReadsLiveDatabase = (p) => [p?.from?.tag, p?.to?.tag].some((t) => t === 'url' || t === 'schemaDatasource');

// serde_wasm_bindgen may hand back BigInts (u64); JSON cannot carry them.
const toJson = (v) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
const send = (msg) => process.stdout.write(toJson(msg) + '\n');

async function serveJsonRpc(args) {
  const datamodels = args.datamodels.map((path) => [path, readFileSync(path, 'utf8')]);
  const adapterFactory = new PgMigrationAdapterFactory(args.datasource);
  let loaded; // created on the first request, so a start-up failure is answered as an RPC error
  let fatal = false;

  // Requests *we* send to the CLI (the native engine prints `migrate diff` output by asking the CLI to print it).
  let nextOwnId = 1;
  const ownPending = new Map();
  const askCli = (method, params) =>
    new Promise((resolve) => {
      const id = `shim-${nextOwnId++}`;
      ownPending.set(id, resolve);
      send({ jsonrpc: '2.0', id, method, params });
    });

  async function call(method, params) {
    if (!loaded && method === 'diff' && adapterFactory.config && !diffReadsLiveDatabase(params)) {
      // The Wasm engine queries its main connection on start-up (server version, schema existence), even for a
      // diff that never reads the live database, e.g. the drift check `--from-migrations … --to-schema …`, which
      // only needs a server where it may create a shadow database. The native engine needs no main database
      // there, so, in that case only, open the maintenance database when the configured one does not exist.
      await withClient(adapterFactory.config, (c) => c.query('SELECT 1')).catch((e) => {
        if (e.code === '3D000') adapterFactory.mainDatabase = 'postgres';
      });
    }
    loaded ??= await loadWasmEngine(datamodels, adapterFactory);
    const { engine } = loaded;
    switch (method) {
      case 'diff': {
        // The Wasm engine returns the human-readable diff (or SQL script) as `stdout`, whereas the native engine
        // prints it through the CLI's `print` method and returns only the exit code. Do what the native one does,
        // so `--output` capture and `--exit-code` behave unchanged.
        const { stdout, ...rest } = await engine.diff(params);
        if (stdout) await askCli('print', { content: stdout.replace(/\n$/, '') });
        return { ...rest, stdout: null };
      }
      case 'getDatabaseVersion':
        // The Wasm engine ignores the parameter (it always asks its own connection); don't let it parse the CLI's.
        return await engine.version();
      case 'createDatabase': {
        // Not part of the Wasm API; same work as `cli create-database`.
        const url = params?.datasource?.url ?? args.datasource?.url;
        const { config } = pgConfigFromUrl(url);
        await adminQuery(config, `CREATE DATABASE ${quoteIdent(config.database)}`);
        return { databaseName: config.database };
      }
      case 'debugPanic':
        return engine.debugPanic();
      case 'evaluateDataLoss':
      case 'createMigration':
        try {
          return await engine[method](params);
        } catch (e) {
          // In this Wasm engine, evaluateDataLoss and createMigration take the schema that the migrations
          // directory produces only from a cache that devDiagnostic/diagnoseMigrationHistory fill (they alone get
          // the shadow-database factory); on a cache miss they fail with this message. `migrate dev` misses
          // whenever it has just applied pending migrations: devDiagnostic cached the schema of the migrations
          // that were applied *before*. So fill the cache for the current list the same way, then retry once.
          if (!/shadow DB must be provided through an external factory/.test(e?.message)) throw e;
          await engine.diagnoseMigrationHistory({
            migrationsList: params.migrationsList,
            optInToShadowDatabase: true,
            filters: params.filters,
          });
          return await engine[method](params);
        }
      case 'applyMigrations':
      case 'dbExecute':
      case 'devDiagnostic':
      case 'diagnoseMigrationHistory':
      case 'ensureConnectionValidity':
      case 'introspect':
      case 'introspectSql':
      case 'markMigrationApplied':
      case 'markMigrationRolledBack':
      case 'reset':
      case 'schemaPush':
        // Call as a method: wasm-bindgen methods need `this` (the engine pointer).
        return await engine[method](params);
      default:
        throw Object.assign(new Error(`Method not supported by the Wasm schema engine stand-in: ${method}`), {
          rpcCode: -32601,
        });
    }
  }

  // One request at a time, in order, like the native engine: the Wasm engine is not re-entrant.
  let queue = Promise.resolve();
  let current; // the request being handled
  const handle = async (req) => {
    current = req;
    try {
      const result = await call(req.method, req.params);
      send({ jsonrpc: '2.0', id: req.id, result: result === undefined ? {} : result });
    } catch (e) {
      const error = e?.rpcCode ? { code: e.rpcCode, message: e.message } : rpcError(e, loaded?.errorRegistry);
      send({ jsonrpc: '2.0', id: req.id, error });
      // After a trap the Wasm instance's memory is in an unknown state: stop like the native engine's panic exit.
      if (e instanceof WebAssembly.RuntimeError) fatal = true;
    }
    current = undefined;
    if (fatal) await dropLiveShadowDbs().finally(() => process.exit(101));
  };

  // A Rust panic can also trap inside a callback that the engine scheduled on Node's task queue; it then surfaces
  // here instead of rejecting the engine's promise. Answer the request in flight as a panic (so the CLI shows the
  // panic message) and exit with the native engine's panic exit code.
  process.on('uncaughtException', (e) => {
    logJson('ERROR', `${lastWasmPanic ?? ''}\n${e?.stack ?? e}`);
    if (current) send({ jsonrpc: '2.0', id: current.id, error: rpcError(e, loaded?.errorRegistry) });
    dropLiveShadowDbs().finally(() => process.exit(101));
  });

  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
      return;
    }
    if (msg.method === undefined) {
      // A response to one of our own requests (print).
      ownPending.get(msg.id)?.(msg);
      ownPending.delete(msg.id);
      return;
    }
    queue = queue.then(() => handle(msg));
  });
  // The CLI ends the session by closing our stdin (and signalling us right after).
  lines.on('close', () => {
    queue.then(async () => {
      await dropLiveShadowDbs();
      process.exit(0);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.version) {
    // Only the engine's git hash matters to the CLI's `prisma version`; reading it needs no Wasm instantiation.
    const { version } = JSON.parse(
      readFileSync(fileURLToPath(new URL('package.json', import.meta.resolve(WASM_GLUE))), 'utf8'),
    );
    process.stdout.write(`schema-engine-cli ${version.split('.').at(-1)} (Wasm stand-in: @prisma/schema-engine-wasm ${version})\n`);
    return;
  }
  if (args.cliCommand) {
    process.exitCode = await runCliCommand(args.cliCommand, args.datasource);
    return;
  }
  // On an interrupt, do not leave a shadow database behind.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      dropLiveShadowDbs().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  await serveJsonRpc(args);
}

main().catch((e) => {
  logJson('ERROR', e?.stack ?? String(e));
  process.exit(1);
});
