/** Sends OSMP requests the way a terminal network does and reads the XML answer. */

export interface OsmpAnswer {
  status: number;
  contentType: string;
  body: string;
  result: number | undefined;
  prvTxn: string | undefined;
  osmpTxnId: string | undefined;
  sum: string | undefined;
  comment: string | undefined;
  fio: string | undefined;
  balance: string | undefined;
}

export interface OsmpRequestOptions {
  method?: "GET" | "POST";
  profile?: string;
  authorization?: string;
}

export async function osmp(baseUrl: string, params: Record<string, string>, options: OsmpRequestOptions = {}): Promise<OsmpAnswer> {
  const url = `${baseUrl}/webhooks/osmp/${options.profile ?? "qiwi"}`;
  const query = new URLSearchParams(params).toString();
  const headers: Record<string, string> = {};
  if (options.authorization) headers.authorization = options.authorization;
  const send = () =>
    options.method === "POST"
      ? fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/x-www-form-urlencoded" }, body: query })
      : fetch(`${url}?${query}`, { headers });
  // A terminal network re-sends a request whose connection broke, as the protocol expects (pay is idempotent). Under
  // heavy load a keep-alive connection can be closed by the server just as the client reuses it (ECONNRESET).
  for (let attempt = 1; ; attempt++) {
    try {
      return await readOsmpAnswer(await send());
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (attempt >= 3 || !["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"].includes(code ?? "")) throw error;
    }
  }
}

export async function readOsmpAnswer(response: Response): Promise<OsmpAnswer> {
  const body = await response.text();
  const element = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
  const result = element("result");
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    body,
    result: result === undefined ? undefined : Number(result),
    prvTxn: element("prv_txn"),
    osmpTxnId: element("osmp_txn_id"),
    sum: element("sum"),
    comment: element("comment"),
    fio: element("fio"),
    balance: element("balance"),
  };
}

/** A pay request as a network sends it: txn_date in YYYYMMDDHHMMSS. */
export function payParams(txnId: string | number, account: string, sum: string): Record<string, string> {
  return { command: "pay", txn_id: String(txnId), account, sum, txn_date: "20261124103000" };
}
