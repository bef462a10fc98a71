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
function connectionTokens(value: string | undefined, into?: Set<string>): Set<string> | undefined {
  // The usual values name no header: skip the split on every keep-alive answer.
  if (!value || value === 'keep-alive' || value === 'close') return into;
  let names = into;
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase();
    if (!name || name === 'close' || name === 'keep-alive') continue;
    names ??= new Set();
    names.add(name);
  }
  return names;
}

/** A credential's headers as a flat list, and their lower-case names. */
interface CredentialList {
  pairs: string[];
  lower: string[];
}

const fixedLists = new WeakMap<Readonly<Record<string, string>>, CredentialList>();

function listOf(credential: Readonly<Record<string, string>>): CredentialList {
  const pairs: string[] = [];
  const lower: string[] = [];
  for (const name in credential) {
    pairs.push(name, credential[name] as string);
    lower.push(name.toLowerCase());
  }
  return { pairs, lower };
}

/**
 * Freeze a credential's headers record that will be sent with many requests (the manager's, for as
 * long as the credential lasts) and work out its header list once. Records not passed through here
 * (a signer's, possibly reused and changed between calls) are read afresh on every request.
 */
export function fixedCredentialHeaders(headers: Record<string, string>): Readonly<Record<string, string>> {
  const frozen = Object.freeze(headers);
  fixedLists.set(frozen, listOf(frozen));
  return frozen;
}

/**
 * Headers for the upstream, as a flat `[name, value, ...]` list: the client's headers (raw, in order,
 * duplicates kept) without the dropped ones, then the credential's headers, which win over any
 * client header of the same name.
 */
export function upstreamRequestHeaders(
  rawHeaders: readonly string[],
  connection: string | undefined,
  credential: Readonly<Record<string, string>>,
): string[] {
  const extra = connectionTokens(connection);
  const { pairs, lower: credentialNames } = fixedLists.get(credential) ?? listOf(credential);
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (DROP_FROM_REQUEST.has(lower) || extra?.has(lower) || credentialNames.includes(lower)) continue;
    out.push(name, rawHeaders[i + 1] as string);
  }
  for (let i = 0; i < pairs.length; i++) out.push(pairs[i] as string);
  return out;
}

/**
 * Response headers for the client, from the upstream's raw ones (as undici hands them over: names
 * and values as bytes, in order): a flat `[name, value, ...]` list for `writeHead`, without
 * hop-by-hop headers. Bytes are read as latin1, so every byte goes back out as it came.
 */
export function clientResponseHeaders(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  let extra: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1');
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection') extra = connectionTokens((raw[i + 1] as Buffer).toString('latin1'), extra);
      continue;
    }
    out.push(name, (raw[i + 1] as Buffer).toString('latin1'));
  }
  if (extra === undefined) return out;
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) {
    const name = out[i] as string;
    if (!extra.has(name.toLowerCase())) kept.push(name, out[i + 1] as string);
  }
  return kept;
}

/** The first value of header `lowerName` (lower-case) in undici's raw list, or undefined. */
export function rawHeaderValue(raw: readonly Buffer[], lowerName: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as Buffer;
    if (name.length === lowerName.length && name.toString('latin1').toLowerCase() === lowerName) {
      return (raw[i + 1] as Buffer).toString('latin1');
    }
  }
  return undefined;
}

/**
 * The upstream's refusal as a fetch `Response` (status and headers, no body), for the credential
 * supply's `renewAfter`: a signer reads the answer itself (its `Date` header, for instance).
 */
export function refusalAnswer(status: number, raw: readonly Buffer[]): Response {
  const headers = new Headers();
  for (let i = 0; i < raw.length; i += 2) {
    try {
      headers.append((raw[i] as Buffer).toString('latin1'), (raw[i + 1] as Buffer).toString('latin1'));
    } catch {
      // A header fetch refuses to hold is of no use to a signer: leave it out.
    }
  }
  return new Response(null, { status, headers });
}
