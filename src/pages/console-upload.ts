import express, { type NextFunction, type Request, type Response } from "express";
import type { Db } from "../db.ts";
import { hasRole } from "../staff/actor.ts";
import { pageActor } from "../staff/http-auth.ts";

// The one form of the pages that carries files (the evidence of a transfer request) is multipart/form-data, parsed
// here in a few lines instead of a new dependency: the browser sends the file as it is (no script, no base64), and
// the body is read only for a signed-in supervisor, at most UPLOAD_LIMIT_BYTES.

export interface UploadedFile {
  field: string;
  fileName: string;
  contentType: string;
  content: Buffer;
}

declare module "express-serve-static-core" {
  interface Request {
    /** The files of a multipart form (parsed by `multipartForm`). */
    files?: UploadedFile[];
  }
}

/** The text fields and files of a multipart/form-data body; undefined when it is malformed. */
export function parseMultipart(body: Buffer, contentType: string): { fields: Record<string, string>; files: UploadedFile[] } | undefined {
  const boundary = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`\r\n--${boundary[1] ?? boundary[2]}`);
  // The first delimiter has no CRLF before it: parse as if it had.
  const data = Buffer.concat([Buffer.from("\r\n"), body]);
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  let position = data.indexOf(delimiter);
  if (position !== 0) return undefined;
  for (;;) {
    position += delimiter.length;
    if (data.subarray(position, position + 2).toString() === "--") return { fields, files };
    if (data.subarray(position, position + 2).toString() !== "\r\n") return undefined;
    const headersEnd = data.indexOf("\r\n\r\n", position);
    const next = data.indexOf(delimiter, position);
    if (headersEnd < 0 || next < 0 || headersEnd > next) return undefined;
    const headers = data.subarray(position + 2, headersEnd).toString("utf8");
    const content = data.subarray(headersEnd + 4, next);
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? "";
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) return undefined;
    const fileName = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    if (fileName === undefined) {
      if (!(name in fields)) fields[name] = content.toString("utf8");
    } else if (fileName !== "" || content.length > 0) {
      // A file input left empty is sent with an empty name and no content: no file.
      const type = /^content-type:\s*([^\r\n;]+)/im.exec(headers)?.[1]?.trim() ?? "application/octet-stream";
      files.push({ field: name, fileName: unescapeQuotes(fileName), contentType: type, content: Buffer.from(content) });
    }
    position = next;
  }
}

/** Browsers escape a quote in a file name as %22 (and leave the rest as UTF-8). */
function unescapeQuotes(text: string): string {
  return text.replace(/%22/g, '"');
}

/**
 * Reads a multipart/form-data POST into `req.body` (its text fields, so the CSRF check reads `_csrf` as in every
 * form) and `req.files`. A request without a supervisor's page session is left unread: the session check refuses it.
 */
export function multipartForm(db: Db, limitBytes: number) {
  const raw = express.raw({ type: "multipart/form-data", limit: limitBytes });
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "POST" || !req.is("multipart/form-data")) return next();
    const actor = await pageActor(db, req);
    if (!actor || !hasRole(actor, "supervisor")) return next();
    raw(req, res, (error?: unknown) => {
      if (error) return next(error);
      const parsed = Buffer.isBuffer(req.body) ? parseMultipart(req.body, req.headers["content-type"] ?? "") : undefined;
      if (!parsed) return next(Object.assign(new Error("malformed multipart form"), { status: 400 }));
      req.body = parsed.fields;
      req.files = parsed.files;
      next();
    });
  };
}
