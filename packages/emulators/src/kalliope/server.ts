/**
 * A local Kalliope PBX emulator for the `X-authenticate` scheme: the anonymous salt endpoint,
 * header validation (digest, 5-minute `Created` window, nonce replay refused for 5 minutes) and a
 * couple of protected `/rest/...` endpoints for demos. node:http only; listens on 127.0.0.1 by default.
 *
 * Failure statuses and bodies are an emulator choice (the real server's are not established):
 * - unknown tenant on `GET /rest/salt/{domain}`: 404 `{"error":"unknown_domain","message":…}`;
 * - any refused header: 401 `{"error":"<reason>","message":…}` with `WWW-Authenticate: RestApiUsernameToken`,
 *   reason one of `missing_header`, `malformed_header`, `unknown_domain`, `unknown_user`,
 *   `clock_skew`, `bad_digest`, `replayed_nonce`;
 * - unknown path: 404, other methods than GET/HEAD: 405.
 * The salt answer is JSON when `Accept` asks for it, XML otherwise (the PBX's default is inferred to be XML).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createListener, type EmulatorTls } from '../https-listener.js';
import { NonceStore, REJECT_REASONS, type RejectReason, verifyHeader } from './verify.js';

/** A user of one tenant. */
export interface KalliopeEmulatorUser {
  domain: string;
  username: string;
  password: string;
}

/** Options for {@link startKalliopeEmulator}. */
export interface KalliopeEmulatorOptions {
  /** Port (default 0: any free port). */
  port?: number;
  /** Address (default 127.0.0.1). */
  host?: string;
  /** Users (default: `admin`/`admin` in tenant `default`). Each user's domain becomes a tenant. */
  users?: KalliopeEmulatorUser[];
  /** Salts by tenant domain; tenants without one get a random 32-hex salt. */
  salts?: Record<string, string>;
  /** Server clock, epoch ms (default `Date.now`); also used for the `Date` header. */
  now?: () => number;
  /** Serve https with this certificate (and, with `ca`, require client certificates); http without. */
  tls?: EmulatorTls;
}

/** Counters of what the emulator did. */
export interface KalliopeEmulatorStats {
  /** Every request received. */
  requests: number;
  /** `GET /rest/salt/...` requests, known tenant or not. */
  saltRequests: number;
  /** Protected requests whose header was accepted. */
  accepted: number;
  /** Protected requests refused. */
  rejected: number;
  /** Refusals per reason. */
  rejections: Record<RejectReason, number>;
}

/** A running emulator. */
export interface KalliopeEmulator {
  /** Base URL, e.g. `http://127.0.0.1:53121`. */
  url: string;
  stats: KalliopeEmulatorStats;
  /** The current salt of a tenant. */
  salt(domain: string): string | undefined;
  /** Give a tenant a new salt (random unless given) and return it; signers must refetch. */
  rotateSalt(domain: string, salt?: string): string;
  close(): Promise<void>;
}

const DEFAULT_USERS: KalliopeEmulatorUser[] = [{ domain: 'default', username: 'admin', password: 'admin' }];

/** Start the emulator. */
export async function startKalliopeEmulator(
  options: KalliopeEmulatorOptions = {},
): Promise<KalliopeEmulator> {
  const now = options.now ?? Date.now;
  const users = options.users ?? DEFAULT_USERS;
  const salts = new Map<string, string>(Object.entries(options.salts ?? {}));
  for (const u of users) if (!salts.has(u.domain)) salts.set(u.domain, randomSalt());
  const passwords = new Map(users.map((u) => [userKey(u.domain, u.username), u.password]));
  const nonces = new NonceStore();
  const stats: KalliopeEmulatorStats = {
    requests: 0,
    saltRequests: 0,
    accepted: 0,
    rejected: 0,
    rejections: Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>,
  };

  // Every route returns its reply; one place writes it.
  const route = (req: IncomingMessage, path: string): Reply => {
    const saltMatch = /^\/rest\/salt\/([^/]+)\/?$/.exec(path);
    if (saltMatch?.[1] !== undefined && req.method === 'GET') {
      stats.saltRequests++;
      const domain = safeDecode(saltMatch[1]);
      const salt = domain === undefined ? undefined : salts.get(domain);
      if (salt === undefined) return json(404, { error: 'unknown_domain', message: 'unknown tenant domain' });
      if (/json/i.test(req.headers.accept ?? '')) return json(200, { salt });
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<response><salt>${salt}</salt></response>\n`;
      return { status: 200, type: 'application/xml', text: xml };
    }
    if (!path.startsWith('/rest/')) return json(404, { error: 'not_found', message: 'no such path' });

    const result = verifyHeader(req.headers['x-authenticate'] as string | undefined, {
      salt: (d) => salts.get(d),
      password: (d, u) => passwords.get(userKey(d, u)),
      nonces,
      now: now(),
    });
    if (!result.ok) {
      stats.rejected++;
      stats.rejections[result.reason]++;
      return {
        ...json(401, { error: result.reason, message: result.message }),
        headers: { 'www-authenticate': 'RestApiUsernameToken' },
      };
    }
    stats.accepted++;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return json(405, { error: 'method_not_allowed', message: 'only GET is emulated' });
    }
    if (path === '/rest/dashboard/firmwareVersion') return json(200, { firmwareVersion: '4.9.4-emulator' });
    if (path === '/rest/account' || path === '/rest/account/') {
      return json(
        200,
        users.filter((u) => u.domain === result.domain).map((u) => ({ username: u.username })),
      );
    }
    return json(404, { error: 'not_found', message: 'no such path' });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    stats.requests++;
    req.resume(); // bodies are not used; drain them so keep-alive works
    const reply = route(req, new URL(req.url ?? '/', 'http://emulator').pathname);
    res.writeHead(reply.status, {
      ...reply.headers,
      date: new Date(now()).toUTCString(),
      'content-type': reply.type,
      'content-length': Buffer.byteLength(reply.text),
    });
    res.end(reply.text);
  };

  const server = createListener(handle, options.tls);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`,
    stats,
    salt: (domain) => salts.get(domain),
    rotateSalt(domain, salt = randomSalt()) {
      salts.set(domain, salt);
      return salt;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function randomSalt(): string {
  return randomBytes(16).toString('hex');
}

function userKey(domain: string, username: string): string {
  return `${domain}\n${username}`;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** One HTTP answer. */
interface Reply {
  status: number;
  type: string;
  text: string;
  headers?: Record<string, string>;
}

function json(status: number, body: unknown): Reply {
  return { status, type: 'application/json', text: JSON.stringify(body) };
}
