/**
 * TLS settings for the servers tokensmith talks to: extra trusted CA certificates (a private CA) and
 * a client certificate (mutual TLS, RFC 8705). They become one undici dispatcher here, composed
 * with the environment's outbound proxy (env-proxy.ts); never a process-wide change (no
 * `NODE_TLS_REJECT_UNAUTHORIZED`, no global dispatcher), so other code in the process is unaffected.
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import type { Dispatcher } from 'undici';
import { envProxies, proxyAgentOptions } from './env-proxy.js';
import { TokensmithError } from './errors.js';
import type { FetchLike } from './http.js';
import { registerSecret } from './redact.js';

/** TLS options of an HTTP client: PEM text or bytes, as Node's `tls.connect` takes them. */
export interface TlsOptions {
  /** CA certificates (PEM) trusted in addition to Node's default roots, e.g. a company's private CA. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Client certificate (PEM, with its chain), sent when a server asks for one (mutual TLS). */
  cert?: string | Buffer;
  /** The client certificate's private key (PEM). A secret: never printed. */
  key?: string | Buffer;
  /** Passphrase of an encrypted `key`. A secret: never printed. */
  passphrase?: string;
}

/** What undici's `connect` option gets: Node's `tls.connect` options. */
export type TlsConnectOptions = Pick<tls.ConnectionOptions, 'ca' | 'cert' | 'key' | 'passphrase'>;

/**
 * Check `options` and turn them into `tls.connect` options: `ca` is added to the default roots
 * (Node's bundled ones and `NODE_EXTRA_CA_CERTS`), not put in their place. Throws
 * `ERR_CONFIG_INVALID` when a certificate or key cannot be read, or they do not match; the message
 * names OpenSSL's reason, never the key.
 */
export function tlsConnectOptions(options: TlsOptions): TlsConnectOptions {
  if (!!options.cert !== !!options.key) {
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      'a TLS client certificate needs its key, and a key its certificate',
    );
  }
  for (const secret of [options.key, options.passphrase]) {
    if (secret) registerSecret(String(secret));
  }
  const extra = [options.ca ?? []].flat();
  for (const bundle of extra) checkCaBundle(bundle);
  const connect: TlsConnectOptions = {
    ...(extra.length > 0 ? { ca: [...defaultRoots(), ...extra] } : {}),
    ...(options.cert ? { cert: options.cert, key: options.key, passphrase: options.passphrase } : {}),
  };
  try {
    // Parses every certificate and the key now, so a bad file is a configuration error, not a
    // network failure at the first request.
    tls.createSecureContext(connect);
  } catch (cause) {
    const reason = (cause as { code?: string; message?: string })?.code ?? 'unreadable';
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      `the TLS ${options.cert ? 'CA bundle, client certificate or key' : 'CA bundle'} cannot be used (${reason})`,
    );
  }
  return connect;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * Node skips what it cannot read in `ca` without a word: then a typo in the bundle would show up
 * only as an untrusted server. Every bundle must hold certificates, and each must parse.
 */
function checkCaBundle(bundle: string | Buffer): void {
  const found = String(bundle).match(PEM_CERTIFICATE) ?? [];
  const bad =
    found.length === 0
      ? 'no PEM certificate'
      : found.some((pem) => !parses(pem)) && 'an unreadable certificate';
  if (bad) throw new TokensmithError('ERR_CONFIG_INVALID', `the TLS CA bundle holds ${bad}`);
}

function parses(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/**
 * Node's default trusted roots: the bundled ones and `NODE_EXTRA_CA_CERTS`, which an explicit `ca`
 * would otherwise replace (Node 22.15+ lists both; on Node 20 the variable's file is read here).
 */
function defaultRoots(): string[] {
  const withDefaults = tls as { getCACertificates?: (type: 'default') => string[] };
  if (typeof withDefaults.getCACertificates === 'function') return withDefaults.getCACertificates('default');
  const roots = [...tls.rootCertificates];
  const extraFile = process.env.NODE_EXTRA_CA_CERTS;
  if (extraFile) {
    try {
      roots.push(readFileSync(extraFile, 'utf8'));
    } catch {
      // Node warns about an unreadable file itself at start-up.
    }
  }
  return roots;
}

/**
 * A fetch whose connections use `options` (trusted CAs, client certificate), through the proxy the
 * environment names as {@link defaultFetch} does. `options` may be a function, called once on the
 * first request (a profile's key then is read only when a request is made); its failure is
 * thrown by that request and the next one tries again. One dispatcher per fetch, made again when
 * the proxy variables change.
 */
export function tlsFetch(options: TlsOptions | (() => Promise<TlsOptions>)): FetchLike {
  let connect: Promise<TlsConnectOptions> | undefined =
    typeof options === 'function' ? undefined : Promise.resolve(tlsConnectOptions(options));
  let current: { key: string; dispatcher: Promise<Dispatcher> } | undefined;
  const resolve = (): Promise<TlsConnectOptions> => {
    connect ??= (options as () => Promise<TlsOptions>)()
      .then(tlsConnectOptions)
      .catch((err: unknown) => {
        connect = undefined;
        throw err;
      });
    return connect;
  };
  const dispatcher = (tlsOptions: TlsConnectOptions): Promise<Dispatcher> => {
    const proxies = envProxies();
    const key = proxies ? `${proxies.httpProxy ?? ''} ${proxies.httpsProxy ?? ''}` : '';
    if (current?.key !== key) {
      const previous = current?.dispatcher;
      current = { key, dispatcher: tlsDispatcher(tlsOptions, proxies) };
      previous?.then((d) => d.close()).catch(() => {});
    }
    return current.dispatcher;
  };
  return async (input, init) => {
    const d = await dispatcher(await resolve());
    // `dispatcher` is undici's extension of RequestInit, which Node's fetch accepts.
    return globalThis.fetch(input, { ...init, dispatcher: d } as RequestInit);
  };
}

async function tlsDispatcher(
  connect: TlsConnectOptions,
  proxies: ReturnType<typeof envProxies>,
): Promise<Dispatcher> {
  const undici = await import('undici');
  if (!proxies) return new undici.Agent({ connect });
  return new undici.EnvHttpProxyAgent({
    ...proxyAgentOptions(proxies, undici),
    // Direct connections (NO_PROXY), and the server's TLS inside the proxy's CONNECT tunnel.
    connect,
    requestTls: connect,
    // An https:// proxy may be signed by the same private CA; it gets no client certificate.
    proxyTls: connect.ca ? { ca: connect.ca } : undefined,
  });
}
