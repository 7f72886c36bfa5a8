import type { ProtocolError } from "./index.ts";

/** Characters XML 1.0 forbids even as references (controls, lone surrogates, U+FFFE/U+FFFF). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXml(text: string): string {
  // A refused value is quoted in a comment: a hostile `sum=%00` must not make the whole answer unparseable.
  return text.replace(NOT_XML_CHAR, "\uFFFD").replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * A flat `<response>` document (OSMP, bank XML): the fields that are set, in the protocol's order, each escaped,
 * as UTF-8 with its XML declaration.
 */
export function xmlResponse<Fields extends object>(order: readonly (keyof Fields)[], fields: Fields): string {
  const children = order
    .filter((name) => fields[name] !== undefined)
    .map((name) => `  <${String(name)}>${escapeXml(String(fields[name]))}</${String(name)}>`)
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<response>\n${children}\n</response>\n`;
}

/**
 * HTTP status of a refusal by a check/pay protocol whose callers read the result code from the body: 200 for
 * everything the protocol has a code for, and the HTTP meaning for what happened before the protocol was spoken.
 */
export const REFUSAL_HTTP_STATUS: Record<ProtocolError["kind"], number> = {
  malformed: 200,
  badAccountFormat: 200,
  unknownCommand: 200,
  badSignature: 200,
  forbidden: 403,
  unauthorized: 401,
  notFound: 404,
};
