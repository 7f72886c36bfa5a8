import { createHash } from "node:crypto";
import { StaffActionError } from "../staff/actor.ts";

/** What a payer brings: a receipt or a printed screenshot, as an image or a PDF. */
export const EVIDENCE_TYPES = ["image/png", "image/jpeg", "application/pdf"] as const;
export type EvidenceType = (typeof EVIDENCE_TYPES)[number];

/** One file at most this big: a phone photo of a receipt or a scanned page fits comfortably. */
export const EVIDENCE_MAX_BYTES = 5 * 1024 * 1024;
/** Files with one request (more can be added while it is pending only by filing anew). */
export const EVIDENCE_MAX_FILES = 5;

/** A file as staff upload it. */
export interface EvidenceUpload {
  fileName: string;
  /** The declared type: must be what the content's first bytes say it is. */
  contentType: string;
  content: Buffer;
}

/** A file checked and ready to store. */
export interface CheckedEvidence {
  fileName: string;
  contentType: EvidenceType;
  content: Buffer;
  sizeBytes: number;
  sha256: string;
}

const MAGIC: { type: EvidenceType; bytes: number[] }[] = [
  { type: "image/png", bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: "image/jpeg", bytes: [0xff, 0xd8, 0xff] },
  // "%PDF-"
  { type: "application/pdf", bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
];

/** The type the content's first bytes (its magic number) say it is, whatever its name or declared type claims. */
export function sniffEvidenceType(content: Buffer): EvidenceType | undefined {
  return MAGIC.find(({ bytes }) => content.length >= bytes.length && bytes.every((byte, index) => content[index] === byte))?.type;
}

/** A file name safe to store and to send back: no directories, no control characters, at most 200 characters. */
export function cleanFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, "").trim().slice(0, 200);
  return clean === "" || clean === "." || clean === ".." ? "evidence" : clean;
}

/** Checks one upload: an allowed declared type, content that really is of that type, not empty, not too big. */
export function checkEvidence(upload: EvidenceUpload, index = 0): CheckedEvidence {
  const where = `evidence ${index + 1} (${upload.fileName})`;
  const declared = upload.contentType.trim().toLowerCase();
  if (!(EVIDENCE_TYPES as readonly string[]).includes(declared)) {
    throw new StaffActionError("evidence_type", `${where}: ${upload.contentType} is not accepted; send a receipt or screenshot as PNG, JPEG or PDF`);
  }
  if (upload.content.length === 0) throw new StaffActionError("evidence_empty", `${where} is empty`);
  if (upload.content.length > EVIDENCE_MAX_BYTES) {
    throw new StaffActionError("evidence_too_large", `${where} is ${upload.content.length} bytes; at most ${EVIDENCE_MAX_BYTES} (5 MB) per file`);
  }
  const sniffed = sniffEvidenceType(upload.content);
  if (sniffed === undefined) throw new StaffActionError("evidence_type", `${where} is not a PNG, JPEG or PDF file (its content says otherwise)`);
  if (sniffed !== declared) throw new StaffActionError("evidence_type", `${where} is declared ${declared} but its content is ${sniffed}`);
  return {
    fileName: cleanFileName(upload.fileName),
    contentType: sniffed,
    content: upload.content,
    sizeBytes: upload.content.length,
    sha256: createHash("sha256").update(upload.content).digest("hex"),
  };
}

/** Checks a request's files: at least one (the handbook asks for the receipt), at most EVIDENCE_MAX_FILES. */
export function checkEvidenceFiles(uploads: EvidenceUpload[]): CheckedEvidence[] {
  if (uploads.length === 0) throw new StaffActionError("evidence_required", "attach the payer's receipt or a screenshot showing the account, date and sum");
  if (uploads.length > EVIDENCE_MAX_FILES) throw new StaffActionError("evidence_too_many", `at most ${EVIDENCE_MAX_FILES} files per request`);
  return uploads.map((upload, index) => checkEvidence(upload, index));
}

/** Content-Disposition for a stored file: attachment, an ASCII fallback name and the real one (RFC 6266 / 5987). */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, "_").replace(/[\\"]/g, "_");
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
