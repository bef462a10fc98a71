/**
 * The outbound HTTP proxy the environment names (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, in either
 * case, lower case first as curl reads them), for every request tokensmith makes. Node's fetch
 * ignores these variables; undici's `EnvHttpProxyAgent` honours them. undici is loaded only when one
 * of the proxy variables is set: without them nothing changes and nothing more is loaded.
 * @module
 */
import type { Dispatcher, EnvHttpProxyAgent } from 'undici';
import { TokensmithError } from './errors.js';
import { registerSecret } from './redact.js';

/** The proxies the environment names, as URLs. */
export interface EnvProxies {
  /** For `http:` URLs (`http_proxy`, else `HTTP_PROXY`); also for `https:` ones when `httpsProxy` is unset. */
  httpProxy?: string;
  /** For `https:` URLs (`https_proxy`, else `HTTPS_PROXY`). */
  httpsProxy?: string;
}

/**
 * The proxies `env` names, or undefined when it names none (then every request goes direct).
 * A value without a scheme is taken as `http://` (as curl does). `NO_PROXY` is not read here: the
 * agent reads it on each request. Throws `ERR_CONFIG_INVALID` naming the variable, never its value
 * (it may hold a password), when a value is not an http(s) URL.
 */
export function envProxies(env: NodeJS.ProcessEnv = process.env): EnvProxies | undefined {
  const httpProxy = proxyUrl(env, 'http_proxy', 'HTTP_PROXY');
  const httpsProxy = proxyUrl(env, 'https_proxy', 'HTTPS_PROXY');
  return httpProxy || httpsProxy ? { httpProxy, httpsProxy } : undefined;
}

function proxyUrl(env: NodeJS.ProcessEnv, lower: string, upper: string): string | undefined {
  // The lower-case variable wins even when empty, as in undici (and curl).
  const name = env[lower] !== undefined ? lower : upper;
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new TokensmithError('ERR_CONFIG_INVALID', `${name} is not a valid proxy URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TokensmithError('ERR_CONFIG_INVALID', `${name} must be an http:// or https:// proxy URL`);
  }
  if (url.password) {
    registerSecret(url.password);
    try {
      registerSecret(decodeURIComponent(url.password));
    } catch {
      // Not percent-decodable: the raw form is registered.
    }
  }
  return url.href;
}

/** The part of undici these options need (passed in, so that this module never loads it itself). */
type UndiciClient = Pick<typeof import('undici'), 'Client'>;

/**
 * Options for an `EnvHttpProxyAgent` that uses exactly `proxies`, reads `NO_PROXY` from the
 * environment on each request, tunnels `https:` requests with CONNECT and sends `http:` ones to the
 * proxy in absolute form (as curl does; many proxies allow CONNECT only to port 443).
 */
export function proxyAgentOptions(proxies: EnvProxies, undici: UndiciClient): EnvHttpProxyAgent.Options {
  return {
    httpProxy: proxies.httpProxy,
    httpsProxy: proxies.httpsProxy,
    proxyTunnel: false,
    clientFactory: (origin, options) => tunnelClient(new undici.Client(origin, options)),
  };
}

/**
 * undici 7 retries a CONNECT, at once and forever, when the proxy closes the connection instead of
 * answering it (nodejs/undici#3897, fixed in undici 8, which needs Node 22): its error is taken
 * for a dropped idle connection. The proxy's client here reports it as a plain error instead, so
 * the request fails (ERR_NETWORK) after one attempt.
 */
function tunnelClient<C extends InstanceType<UndiciClient['Client']>>(client: C): C {
  const connect = client.connect.bind(client) as (options: unknown) => Promise<unknown>;
  const tunnel = (options: unknown) =>
    connect(options).catch((err: { code?: string }) => {
      if (err?.code !== 'UND_ERR_SOCKET') throw err;
      throw new Error('the proxy closed the connection instead of opening a tunnel', { cause: err });
    });
  // ProxyAgent calls connect(options) only in its promise form.
  client.connect = tunnel as C['connect'];
  return client;
}

let shared: { key: string; agent: Promise<Dispatcher> } | undefined;

/**
 * The dispatcher for tokensmith's fetches when the environment names a proxy, else undefined.
 * One agent per process, made again (and the old one closed once idle) when the proxy variables
 * change; `NO_PROXY` changes need no new agent.
 */
export function envProxyDispatcher(): Promise<Dispatcher> | undefined {
  const proxies = envProxies();
  if (!proxies) return undefined;
  const key = `${proxies.httpProxy ?? ''} ${proxies.httpsProxy ?? ''}`;
  if (shared?.key !== key) {
    const previous = shared?.agent;
    const agent = import('undici').then(
      (undici) => new undici.EnvHttpProxyAgent(proxyAgentOptions(proxies, undici)),
    );
    shared = { key, agent };
    previous?.then((d) => d.close()).catch(() => {});
  }
  return shared.agent;
}
