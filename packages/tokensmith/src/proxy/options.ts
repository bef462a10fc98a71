import { TokensmithError } from '../core/errors.js';
import { assertSecureUrl, DEFAULT_TIMEOUT_MS, isLoopbackHost } from '../core/http.js';
import type { TokenManager } from '../core/manager.js';
import { isRequestSigner, type Provider, type RequestSigner } from '../core/provider.js';
import { type TlsConnectOptions, type TlsOptions, tlsConnectOptions } from '../core/tls.js';
import { isTokenType, TOKEN_TYPES, type TokenType } from '../core/token-type.js';
import { acceptedHostNames, allowedOrigins } from './guard.js';

/** Options for {@link start}. */
export interface ProxyOptions {
  /** Where credentials come from: a manager, a provider (wrapped in a new manager) or a per-request signer. */
  source: TokenManager | Provider | RequestSigner;
  /** Base URL every request is forwarded to; its path is put in front of each request's path. */
  upstream: string;
  /** `host:port` to listen on (default `127.0.0.1:0`, a free port). `[::1]:8080` for IPv6. */
  listen?: string;
  /** Allow listening on a non-loopback address, where anyone who can reach it borrows the credential. */
  allowNonLoopback?: boolean;
  /**
   * More `Host` names to answer for (case-insensitive, without a port), e.g. a name in /etc/hosts or
   * a container's name. By default the proxy answers only for the address it listens on (and
   * `localhost` on loopback) and refuses other names with 421, which defeats DNS rebinding.
   */
  acceptHosts?: string[];
  /**
   * Browser origins (`http://localhost:3000`) whose pages may use the proxy. Other cross-site browser
   * requests (by `Origin` or `Sec-Fetch-Site`) are refused with 403; pages of the proxy's own origin
   * and non-browser clients are always served.
   */
  allowOrigins?: string[];
  /** Allow a plain `http:` upstream that is not on loopback (credentials cross the network in the clear). */
  allowInsecureHttp?: boolean;
  /**
   * Which token goes upstream: the access token (default), or the ID token as `Authorization: Bearer`
   * (for APIs behind an OIDC authenticator). The ID token is renewed in the same window as the access
   * token. A per-request signer has no ID token.
   */
  tokenType?: TokenType;
  /** Time limit for the upstream's response headers and for each pause in a body, ms (default 30 s). */
  timeoutMs?: number;
  /** Most connections kept open to the upstream (default 128). */
  connections?: number;
  /** Request bodies up to this size (declared by Content-Length) are held so a 401 can be replayed (default 64 KiB). */
  maxReplayBodyBytes?: number;
  /** How long `close()` lets in-flight requests finish before cutting them off, ms (default 10 s). */
  closeGraceMs?: number;
  /** CAs to trust and a client certificate for the upstream (mutual TLS, certificate-bound tokens). */
  tls?: TlsOptions;
}

/** {@link ProxyOptions} checked once, with defaults filled in. */
export interface NormalizedOptions {
  source: TokenManager | Provider | RequestSigner;
  tokenType: TokenType;
  upstream: URL;
  /** Upstream path prefix without its trailing slash (`''` for the root). */
  basePath: string;
  host: string;
  port: number;
  /** `Host` names answered (see {@link acceptedHostNames}). */
  hosts: Set<string>;
  /** Origins whose cross-site browser requests are served. */
  origins: Set<string>;
  timeoutMs: number;
  connections: number;
  maxReplayBodyBytes: number;
  closeGraceMs: number;
  /** TLS options for the upstream connections, when given. */
  tls?: TlsConnectOptions;
}

const invalid = (message: string) => new TokensmithError('ERR_CONFIG_INVALID', `proxy: ${message}`);

/** Check and complete the options; throws `ERR_CONFIG_INVALID` (or `ERR_INSECURE_HTTP`) on the first problem. */
export function normalizeOptions(options: ProxyOptions): NormalizedOptions {
  if (!options?.source) throw invalid('source (a TokenManager, Provider or RequestSigner) is required');
  if (!options.upstream) throw invalid('upstream URL is required');
  const upstream = assertSecureUrl(options.upstream, options.allowInsecureHttp, 'proxy upstream');
  // A password in the URL would end up in logs and health output; a query or fragment has no clear meaning.
  if (upstream.username || upstream.password) throw invalid('upstream URL must not contain credentials');
  if (upstream.search || upstream.hash)
    throw invalid('upstream URL must not have a query string or fragment');
  const { host, port } = parseListen(options.listen ?? '127.0.0.1:0');
  if (!isLoopbackHost(host) && !options.allowNonLoopback) {
    throw invalid(
      `refusing to listen on ${host}: anyone who can reach it could use the credential; ` +
        'listen on 127.0.0.1 or set allowNonLoopback',
    );
  }
  const tokenType = options.tokenType ?? 'access';
  if (!isTokenType(tokenType)) throw invalid(`tokenType must be one of ${TOKEN_TYPES.join(', ')}`);
  if (tokenType === 'id' && isRequestSigner(options.source)) {
    throw invalid('tokenType "id" needs a token source; a per-request signer has no ID token');
  }
  return {
    source: options.source,
    tokenType,
    upstream,
    basePath: upstream.pathname.replace(/\/+$/, ''),
    host,
    port,
    hosts: acceptedHostNames(host, list(options.acceptHosts, 'acceptHosts')),
    origins: allowedOrigins(list(options.allowOrigins, 'allowOrigins')),
    timeoutMs: positive(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs'),
    connections: positive(options.connections, 128, 'connections'),
    tls: options.tls ? tlsConnectOptions(options.tls) : undefined,
    maxReplayBodyBytes: atLeastZero(options.maxReplayBodyBytes, 64 * 1024, 'maxReplayBodyBytes'),
    closeGraceMs: atLeastZero(options.closeGraceMs, 10_000, 'closeGraceMs'),
  };
}

/** Parse `host:port`, `[v6]:port` or a bare port (on 127.0.0.1). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(listen) ?? /^()()(\d+)$/.exec(listen);
  if (!m) throw invalid(`listen address "${listen}" is not host:port`);
  const host = m[1] || m[2] || '127.0.0.1';
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port > 65535) throw invalid(`listen port ${m[3]} is out of range`);
  return { host, port };
}

function list(value: string[] | undefined, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(`${name} must be a list of strings`);
  return value;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw invalid(`${name} must be a number > 0`);
  return value;
}

function atLeastZero(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw invalid(`${name} must be a number ≥ 0`);
  return value;
}
