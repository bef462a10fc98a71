/**
 * A local Kaltura api_v3 emulator for the auth-relevant endpoints (sessions, app tokens, roles,
 * users, category users). node:http only; state in memory or in a JSON file written atomically.
 * For demos and tests: it listens on 127.0.0.1 unless told otherwise.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ActionDef, actions, type CallContext } from './actions.js';
import { ApiError, errors } from './api-error.js';
import { bodyParams, mergeFlat, type Params, pathPairs, pStr } from './params.js';
import { Sessions } from './sessions.js';
import { type EmulatorState, loadState, newState, saveState } from './state.js';

/** Options for {@link startKalturaEmulator}. */
export interface KalturaEmulatorOptions {
  /** Port (default 0: any free port). */
  port?: number;
  /** Address (default 127.0.0.1). */
  host?: string;
  /** Partner id of a new state (default 100). Ignored when `stateFile` already exists. */
  partnerId?: number;
  /** Admin secret of a new state (default: random). Ignored when `stateFile` already exists. */
  adminSecret?: string;
  /** Persist to this JSON file (mode 0600); memory only when absent. */
  stateFile?: string;
  /** Clock, epoch ms (tests move it to expire KSs and tokens). Also used for the `Date` header. */
  now?: () => number;
  /** KS version issued (default 2). */
  ksVersion?: 1 | 2;
  /** Categories that exist from the start (default `[1]`). */
  categoryIds?: number[];
}

/** Counters of what the emulator did. */
export interface KalturaEmulatorStats {
  requests: number;
  /** Calls per `service.action` (lower case). */
  calls: Record<string, number>;
  /** Errors per Kaltura code. */
  errors: Record<string, number>;
  /** KSs issued. */
  ksIssued: number;
}

/** A running emulator. */
export interface KalturaEmulator {
  /** Service URL, e.g. `http://127.0.0.1:53121`. */
  url: string;
  partnerId: number;
  adminSecret: string;
  /** The partner's user secret (non-ADMIN `session.start`). */
  userSecret: string;
  stats: KalturaEmulatorStats;
  /** Live state, for tests that need to arrange what the API cannot (e.g. a DISABLED token). */
  state: EmulatorState;
  /** Write the state file now (no-op in memory mode). */
  save(): Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Start the emulator. */
export async function startKalturaEmulator(options: KalturaEmulatorOptions = {}): Promise<KalturaEmulator> {
  const now = options.now ?? Date.now;
  const loaded = options.stateFile ? await loadState(options.stateFile) : undefined;
  const state = loaded ?? newState(options.partnerId ?? 100, options.adminSecret, options.categoryIds);
  if (!loaded && options.ksVersion) state.partner.ksVersion = options.ksVersion;
  const sessions = new Sessions(() => state, now);
  const stats: KalturaEmulatorStats = { requests: 0, calls: {}, errors: {}, ksIssued: 0 };

  // Saves run one after another so an older snapshot never overwrites a newer one.
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    if (!options.stateFile) return Promise.resolve();
    const file = options.stateFile;
    saving = saving.catch(() => {}).then(() => saveState(file, state));
    return saving;
  };
  if (options.stateFile && !loaded) await save();

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      date: new Date(now()).toUTCString(),
    });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    const uri = req.url ?? '/';
    const url = new URL(uri, 'http://emulator');
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    // /api_v3/service/{service}/action/{action}[/k/v...]
    if (
      segments[0] !== 'api_v3' ||
      segments[1] !== 'service' ||
      segments[3] !== 'action' ||
      !segments[2] ||
      !segments[4]
    ) {
      send(res, 404, { error: 'not found: use /api_v3/service/{service}/action/{action}' });
      return;
    }
    const service = segments[2].toLowerCase();
    const action = segments[4].toLowerCase();
    let result: unknown;
    try {
      const body = req.method === 'POST' ? await readBody(req) : '';
      const params: Params = bodyParams(req.headers['content-type'], body);
      mergeFlat(params, pathPairs(segments.slice(5)));
      mergeFlat(params, url.searchParams);
      result = await run(service, action, params, { uri, remoteAddress: req.socket.remoteAddress ?? '' });
    } catch (err) {
      const apiError =
        err instanceof ApiError
          ? err
          : new ApiError('INTERNAL_SERVER_ERROR', 'Internal server error occurred');
      stats.errors[apiError.code] = (stats.errors[apiError.code] ?? 0) + 1;
      send(res, 200, apiError.toJSON());
      return;
    }
    send(res, 200, result ?? null);
  };

  const run = async (
    service: string,
    action: string,
    params: Params,
    facts: { uri: string; remoteAddress: string },
  ): Promise<unknown> => {
    const key = `${service}.${action}`;
    stats.calls[key] = (stats.calls[key] ?? 0) + 1;
    const def: ActionDef | undefined = actions[key];
    if (!def) {
      if (!Object.keys(actions).some((k) => k.startsWith(`${service}.`))) throw errors.noService(service);
      throw errors.noAction(action, service);
    }
    let dirty = false;
    const ctx: CallContext = { state, sessions, now: now(), changed: () => (dirty = true) };
    if (def.access !== 'none') {
      const ks = pStr(params, 'ks');
      if (!ks) throw errors.missingKs();
      ctx.session = sessions.check(ks, facts);
      if (def.access === 'admin' && ctx.session.decoded.type !== 2)
        throw errors.serviceForbidden(service, action);
    }
    const before = sessions.issued;
    const result = def.run(params, ctx);
    stats.ksIssued += sessions.issued - before;
    if (dirty) await save();
    return result;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    partnerId: state.partner.id,
    adminSecret: state.partner.adminSecret,
    userSecret: state.partner.secret,
    stats,
    state,
    save,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      await saving.catch(() => {});
    },
  };
}
