/**
 * Kalliope connection strings, `scheme://user:password@host:port/tenant_domain`, with the rules of
 * the Python client's `parse_conn_str`: scheme optional (http) but `//` required, credentials
 * percent-decoded and both-or-neither, domain `default` when absent.
 */
import { TokensmithError } from '../core/errors.js';
import { getLogger } from '../core/log.js';
import { registerSecret } from '../core/redact.js';

const log = getLogger('kalliope');

/** The tenant domain of single-tenant systems. */
export const DEFAULT_DOMAIN = 'default';

/** A parsed connection string. `password` is a secret (it is registered for redaction). */
export interface KalliopeConnection {
  scheme: 'http' | 'https';
  /** True when the string had no scheme and `http` was assumed. */
  schemeDefaulted: boolean;
  /** Host name or IP address (IPv6 in brackets). */
  host: string;
  /** Port, when the string had one. */
  port?: number;
  /** `scheme://host[:port]`, where `/rest/...` paths start. */
  baseUrl: string;
  username?: string;
  password?: string;
  /** Tenant domain (`default` when absent). */
  domain: string;
  /** True when the string had no domain and `default` was assumed. */
  domainDefaulted: boolean;
}

const ENCODE_HINT = '; percent-encode "/", "?", "#" and "@" inside user and password';

function invalid(message: string): TokensmithError {
  return new TokensmithError('ERR_CONFIG_INVALID', `Kalliope connection string: ${message}`);
}

/** Percent-decode one credential; whitespace-only counts as absent (as in the Python client). */
function decodeCredential(raw: string | undefined, what: string): string | undefined {
  if (raw === undefined) return undefined;
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    // The text is not quoted: it may hold the password.
    throw invalid(`${what} has malformed percent-encoding (write "%" as %25)`);
  }
  return value.trim() === '' ? undefined : value;
}

/** Split `scheme://` off, or assume http for `//host`; refuse anything else with a precise reason. */
function splitScheme(text: string): { scheme: 'http' | 'https'; defaulted: boolean; rest: string } {
  if (text.startsWith('//')) return { scheme: 'http', defaulted: true, rest: text.slice(2) };
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/)?/.exec(text);
  const scheme = m?.[1]?.toLowerCase();
  // `host:8080` looks like scheme `host`; a digit after the colon means a port, so the host lacks `//`.
  if (m && scheme && (m[2] || !/^\d/.test(text.slice(m[0].length)))) {
    if (scheme !== 'http' && scheme !== 'https') {
      throw invalid(`unsupported scheme "${scheme}" (use http or https)`);
    }
    if (!m[2]) throw invalid(`missing host: write ${scheme}://host`);
    return { scheme, defaulted: false, rest: text.slice(m[0].length) };
  }
  throw invalid('missing host: write //host, http://host or https://host (the "//" is required)');
}

function parsePort(raw: string): number | undefined {
  if (raw === '') return undefined;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    // The text is not quoted: with an unencoded "/" in the password, it would be part of it.
    throw invalid(`bad port (expected 1-65535)${ENCODE_HINT}`);
  }
  return Number(raw);
}

function splitHostPort(hostPort: string): { host: string; port?: number } {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    if (end < 0) throw invalid('unterminated IPv6 address');
    const after = hostPort.slice(end + 1);
    if (after !== '' && !after.startsWith(':')) throw invalid('unexpected text after the IPv6 address');
    return { host: hostPort.slice(0, end + 1), port: parsePort(after.slice(1)) };
  }
  const colon = hostPort.lastIndexOf(':');
  if (colon < 0) return { host: hostPort };
  return { host: hostPort.slice(0, colon), port: parsePort(hostPort.slice(colon + 1)) };
}

/**
 * Parse `scheme://user:password@host:port/tenant_domain`. Throws `ERR_CONFIG_INVALID` with a
 * precise, secret-free reason. Plain http (also the default scheme) is allowed here but logged as a
 * warning; the signer then refuses it for non-loopback hosts unless `allowInsecureHttp` is set.
 */
export function parseConnectionString(connectionString: string): KalliopeConnection {
  const text = connectionString.trim();
  if (text === '') throw invalid('it is empty');
  const { scheme, defaulted, rest } = splitScheme(text);

  // The authority ends at the first "/", "?" or "#"; everything after "/" is the domain.
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const tail = end < 0 ? '' : rest.slice(end);
  if (/[?#]/.test(tail)) throw invalid('a query or fragment is not allowed');

  // The last "@" ends the credentials and the first ":" splits them, as in Python's urllib.
  const at = authority.lastIndexOf('@');
  const userInfo = at < 0 ? undefined : authority.slice(0, at);
  const hostPort = at < 0 ? authority : authority.slice(at + 1);
  const colon = userInfo?.indexOf(':') ?? -1;
  const rawUser = userInfo === undefined ? undefined : colon < 0 ? userInfo : userInfo.slice(0, colon);
  const rawPassword = userInfo === undefined || colon < 0 ? undefined : userInfo.slice(colon + 1);
  const password = decodeCredential(rawPassword, 'password');
  // registerSecret also covers the percent-encoded form, which is what the string usually holds.
  registerSecret(password);
  const username = decodeCredential(rawUser, 'username')?.trim();
  if ((username === undefined) !== (password === undefined)) {
    throw invalid('incomplete credentials: give both user and password, or neither');
  }

  const { host, port } = splitHostPort(hostPort);
  if (host === '') throw invalid('missing host');
  let baseUrl: string;
  try {
    const url = new URL(`${scheme}://${host}${port === undefined ? '' : `:${port}`}`);
    baseUrl = url.origin;
  } catch {
    throw invalid(`invalid host${ENCODE_HINT}`);
  }

  const path = tail.replace(/^\/+|\/+$/g, '');
  if (defaulted) {
    log.warn(`no scheme in the connection string for ${host}: using http, so requests travel unencrypted`);
  }
  return {
    scheme,
    schemeDefaulted: defaulted,
    host,
    ...(port === undefined ? {} : { port }),
    baseUrl,
    ...(username === undefined ? {} : { username, password }),
    domain: path || DEFAULT_DOMAIN,
    domainDefaulted: path === '',
  };
}
