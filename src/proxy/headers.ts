/**
 * Header rewriting between the client, the proxy and the upstream (RFC 9110 §7.6.1: hop-by-hop
 * headers belong to one connection and are never forwarded).
 * @module
 */

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Request headers never forwarded: hop-by-hop ones, the client's own credentials (the proxy supplies
 * them), `host` (set for the upstream by the client library) and `expect` (Node answered it already).
 */
const DROP_FROM_REQUEST = new Set([...HOP_BY_HOP, 'authorization', 'proxy-authorization', 'host', 'expect']);

/** Names listed in a `Connection` header are hop-by-hop too. */
function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (!value) return undefined;
  const names = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s && s !== 'close' && s !== 'keep-alive');
  return names.length > 0 ? new Set(names) : undefined;
}

/**
 * Headers for the upstream, as a flat `[name, value, ...]` list: the client's headers (raw, in order,
 * duplicates kept) without the dropped ones, then the credential's headers, which win over any
 * client header of the same name.
 */
export function upstreamRequestHeaders(
  rawHeaders: readonly string[],
  connection: string | undefined,
  credential: Record<string, string>,
): string[] {
  const extra = connectionTokens(connection);
  const credentialNames = Object.keys(credential).map((n) => n.toLowerCase());
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (DROP_FROM_REQUEST.has(lower) || extra?.has(lower) || credentialNames.includes(lower)) continue;
    out.push(name, rawHeaders[i + 1] as string);
  }
  for (const [name, value] of Object.entries(credential)) out.push(name, value);
  return out;
}

/** Response headers for the client: the upstream's, without hop-by-hop ones. */
export function clientResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const connection = headers.connection;
  const extra = connectionTokens(Array.isArray(connection) ? connection.join(',') : connection);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || extra?.has(name)) continue;
    out[name] = value;
  }
  return out;
}
