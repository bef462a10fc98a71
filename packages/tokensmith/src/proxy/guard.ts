/**
 * Who may use the proxy's credential. A browser is the one client that can be steered by someone
 * else: DNS rebinding points a hostile name at the proxy (the browser then sends that name in `Host`),
 * and any page can send requests to a loopback port (the browser marks them with `Origin` and
 * `Sec-Fetch-Site`). So the proxy answers only for its own names, and for browser requests only from
 * its own origin or from origins it was told to allow.
 * @module
 */

import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { TokensmithError } from '../core/errors.js';
import { isLoopbackHost } from '../core/http.js';

/** A request the proxy will not forward: the status to answer and the error for the JSON body. */
export interface Refusal {
  status: number;
  error: TokensmithError;
}

/** Checks a request's headers before anything is forwarded; `undefined` means it may go on. */
export type RequestGuard = (req: IncomingMessage) => Refusal | undefined;

const invalid = (message: string) => new TokensmithError('ERR_CONFIG_INVALID', `proxy: ${message}`);

/** A host name, IPv4 address or IPv6 address (without brackets), as allowed in an `acceptHosts` entry. */
const HOST_NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/;

/**
 * The `Host` names the proxy answers for: the address it listens on, `localhost` when that is a
 * loopback address, every local interface address when it listens on all of them, and `extra`
 * (names given with `acceptHosts`; case-insensitive, without a port). Throws `ERR_CONFIG_INVALID`
 * for an entry that is not a host name or IP address.
 */
export function acceptedHostNames(listenHost: string, extra: readonly string[] = []): Set<string> {
  const names = new Set<string>([bare(listenHost)]);
  if (isLoopbackHost(listenHost)) names.add('localhost');
  if (listenHost === 'localhost') names.add('127.0.0.1').add('::1');
  if (listenHost === '0.0.0.0' || listenHost === '::') {
    names.add('localhost');
    for (const list of Object.values(networkInterfaces())) {
      for (const i of list ?? []) names.add(i.address.toLowerCase());
    }
  }
  for (const entry of extra) {
    const name = bare(String(entry).trim());
    if (!HOST_NAME.test(name) && !isIPv6(name)) {
      throw invalid(
        `acceptHosts entry "${entry}" is not a host name (give names without scheme, port or path)`,
      );
    }
    names.add(name);
  }
  return names;
}

/**
 * Browser origins allowed to use the proxy from another site, serialised as browsers send them in
 * `Origin` (`http://localhost:3000`). Throws `ERR_CONFIG_INVALID` for anything but an origin.
 */
export function allowedOrigins(entries: readonly string[] = []): Set<string> {
  const origins = new Set<string>();
  for (const entry of entries) {
    let url: URL | undefined;
    try {
      url = new URL(String(entry));
    } catch {
      url = undefined;
    }
    if (
      !url ||
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.username ||
      url.password ||
      url.pathname !== '/' ||
      url.search ||
      url.hash
    ) {
      throw invalid(`allowOrigins entry "${entry}" is not an origin such as http://localhost:3000`);
    }
    origins.add(url.origin);
  }
  return origins;
}

/** The guard for a proxy that answers for `hosts` and lets pages from `origins` in. */
export function requestGuard(hosts: ReadonlySet<string>, origins: ReadonlySet<string>): RequestGuard {
  return (req) => {
    const host = req.headers.host;
    // No Host at all is an HTTP/1.0 client, never a browser (which always sends one).
    if (host !== undefined) {
      const name = hostnameOf(host);
      if (name === undefined || !hosts.has(name)) {
        return {
          status: 421,
          error: new TokensmithError(
            'ERR_HOST_NOT_ALLOWED',
            `this proxy does not answer for Host ${name === undefined ? '(malformed)' : `"${name}"`}; ` +
              'add the name with acceptHosts (--accept-hosts) if it is yours',
          ),
        };
      }
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (origins.has(origin) || (host !== undefined && isSameOrigin(origin, host))) return undefined;
      return refuseOrigin(`from ${origin === 'null' ? 'an opaque origin' : `"${origin}"`}`);
    }
    // Without Origin (a GET from <img>, a link, a form in some browsers), fetch metadata tells.
    const site = req.headers['sec-fetch-site'];
    if (site === undefined || site === 'same-origin' || site === 'none') return undefined;
    return refuseOrigin(`(Sec-Fetch-Site: ${site})`);
  };
}

function refuseOrigin(what: string): Refusal {
  return {
    status: 403,
    error: new TokensmithError(
      'ERR_ORIGIN_NOT_ALLOWED',
      `cross-site browser request ${what} refused; allow its origin with allowOrigins (--allow-origin)`,
    ),
  };
}

/** The name in a `Host` header value (`name`, `name:port`, `[v6]:port`), lower-cased; undefined when malformed. */
function hostnameOf(host: string): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::\d*)?$/.exec(host);
  const name = (m?.[1] ?? m?.[2])?.toLowerCase();
  return name !== undefined && (HOST_NAME.test(name) || isIPv6(name)) ? name : undefined;
}

/** True when `origin` is the proxy's own origin as the browser reached it (`http://` + Host). */
function isSameOrigin(origin: string, host: string): boolean {
  try {
    return origin === new URL(`http://${host}`).origin;
  } catch {
    return false;
  }
}

/** Lower case, without the brackets of an IPv6 literal. */
function bare(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}
