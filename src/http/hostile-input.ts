/**
 * What a request may not carry into PostgreSQL, where it would fail the statement (a 500) instead of being refused:
 * the NUL character (U+0000), which no text value may hold; strings longer than any field payhub keeps; ids beyond
 * the integer and bigint columns. The staff API (src/api/api-input.ts) and the pages (src/pages/page-input.ts) check
 * every string of a request here before a route reads it: path segments, query parameters and the body at any depth,
 * object keys included. The routes' own schemas then check each field's type, format, length and id range
 * (MAX_INT_ID, MAX_BIG_ID).
 */

/** The longest string any field takes: notes and reasons are 500, an address 500; a file's base64 is declared apart. */
export const MAX_TEXT_LENGTH = 4000;
/** Deeper than any body payhub reads (a transfer's evidence is three levels). */
export const MAX_NESTING = 32;

/** The largest ids PostgreSQL holds: integer (int4) and bigint (int8) columns. A larger one fails the cast, not the lookup. */
export const MAX_INT_ID = 2_147_483_647;
export const MAX_BIG_ID = 9_223_372_036_854_775_807n;

export interface InputLimits {
  /**
   * Fields whose strings may be longer than MAX_TEXT_LENGTH (a file as base64): dotted paths below the part checked,
   * `*` standing for any array index or key, as "evidence.*.data". The body's size limit bounds them instead.
   */
  longText?: readonly string[];
}

const NUL = "\u0000";

function isLongTextField(path: readonly (string | number)[], patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    const parts = pattern.split(".");
    return parts.length === path.length && parts.every((part, index) => part === "*" || part === String(path[index]));
  });
}

/** A plain record or array (what JSON and the form parsers produce); anything else (a Buffer, a Date) is not walked. */
function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The first problem of a request part, naming the field as the API's validation does ("body.payment.channel: must
 * not contain the NUL character (U+0000)"); undefined when every string is clean. `where` is the part: "query",
 * "body", "form". The message never quotes the value (it may be a password).
 */
export function inputProblem(value: unknown, where: string, limits: InputLimits = {}): string | undefined {
  const longText = limits.longText ?? [];
  // Iterative, so a hostile nesting cannot exhaust the stack before the depth check sees it.
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (pending.length > 0) {
    const { value: current, path } = pending.pop()!;
    const name = [where, ...path].join(".");
    if (typeof current === "string") {
      if (current.includes(NUL)) return `${name}: must not contain the NUL character (U+0000)`;
      if (current.length > MAX_TEXT_LENGTH && !isLongTextField(path, longText)) return `${name}: must be at most ${MAX_TEXT_LENGTH} characters`;
      continue;
    }
    if (!isContainer(current)) continue;
    if (path.length >= MAX_NESTING) return `${name}: nested deeper than ${MAX_NESTING} levels`;
    if (Array.isArray(current)) {
      current.forEach((item, index) => pending.push({ value: item, path: [...path, index] }));
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      if (key.includes(NUL)) return `${name}: a field name must not contain the NUL character (U+0000)`;
      if (key.length > MAX_TEXT_LENGTH) return `${name}: a field name must be at most ${MAX_TEXT_LENGTH} characters`;
      pending.push({ value: item, path: [...path, key] });
    }
  }
  return undefined;
}

/**
 * The problem of a request's path (as Express's req.path has it, still percent-encoded): a segment that does not
 * decode, or decodes to a NUL or an over-long text. The route's own schema names the parameter; this runs before any
 * route is matched, so it names the path.
 */
export function pathProblem(path: string): string | undefined {
  for (const segment of path.split("/")) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return "path: a segment is not valid percent-encoding";
    }
    if (decoded.includes(NUL)) return "path: must not contain the NUL character (U+0000)";
    if (decoded.length > MAX_TEXT_LENGTH) return `path: a segment must be at most ${MAX_TEXT_LENGTH} characters`;
  }
  return undefined;
}

/** A text fit for PostgreSQL and the audit log: each NUL becomes U+FFFD (the replacement character), cut to `max`. */
export function printable(text: string, max: number): string {
  return text.replaceAll(NUL, "\uFFFD").slice(0, max);
}
