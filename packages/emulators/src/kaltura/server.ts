/**
 * A local Kaltura api_v3 emulator for the auth-relevant endpoints (sessions, app tokens, roles,
 * users, category users) and multirequest, answering as the server does (docs/kaltura-emulator-rules.md):
 * XML unless `format=1` asks for JSON. node:http only; state in memory or in a JSON file written
 * atomically. For demos and tests: it listens on 127.0.0.1 unless told otherwise.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createListener, type EmulatorTls } from '../https-listener.js';
import { ApiError, errors } from './api-error.js';
import { type DispatchDeps, dispatch } from './dispatch.js';
import { runMultiRequest } from './multirequest.js';
import { bodyParams, mergeFlat, type Params, pathPairs } from './params.js';
import { serializerFor } from './serialize.js';
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
  /** Serve https with this certificate (and, with `ca`, require client certificates); http without. */
  tls?: EmulatorTls;
}

/** Counters of what the emulator did. */
export interface KalturaEmulatorStats {
  /** HTTP requests (a multirequest is one). */
  requests: number;
  /** Calls per `service.action` (lower case); each call of a multirequest counts. */
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

  const deps: DispatchDeps = { state, sessions, now, stats, save };

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    text: string,
    extra: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(text),
      date: new Date(now()).toUTCString(),
      ...extra,
    });
    res.end(text);
  };

  /** KalturaFrontController::getExceptionObject: anything but an API exception is an internal error. */
  const toApiError = (err: unknown): ApiError => {
    const apiError = err instanceof ApiError ? err : errors.internal();
    stats.errors[apiError.code] = (stats.errors[apiError.code] ?? 0) + 1;
    return apiError;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    const started = performance.now();
    const uri = req.url ?? '/';
    const url = new URL(uri, 'http://emulator');
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    // /api_v3[/index.php]/service/{service}/action/{action}[/k/v...]; service and action may also come as parameters.
    if (segments[0] !== 'api_v3') {
      send(
        res,
        404,
        'application/json',
        JSON.stringify({ error: 'not found: use /api_v3/service/{service}/action/{action}' }),
      );
      return;
    }
    const rest = segments[1] === 'index.php' ? segments.slice(2) : segments.slice(1);
    const body = req.method === 'POST' ? await readBody(req) : '';
    // infraRequestUtils::getRequestParams: the query over the body, the path pairs (first one wins) over both.
    const params: Params = bodyParams(req.headers['content-type'], body);
    mergeFlat(params, url.searchParams);
    mergeFlat(params, pathPairs(rest));
    const facts = { uri, remoteAddress: req.socket.remoteAddress ?? '' };
    const serializer = serializerFor(params.format, params.ignoreNull);
    if (!serializer) {
      // setSerializerByFormat fails: kRendererDieError, headers and no body.
      const e = errors.unknownFormat(params.format);
      send(res, 200, 'text/plain', '', {
        'x-kaltura': `error- ${e.code}`,
        // The format is the caller's text: keep the header value printable.
        'x-kaltura-app': `exiting on error ${e.code} - ${e.message}`.replace(/[^\x20-\x7e]/g, '?'),
      });
      return;
    }
    const elapsed = () => (performance.now() - started) / 1000;
    if (params.service === 'multirequest') {
      const results = await runMultiRequest(params, (p) => dispatch(deps, p, facts), toApiError);
      send(res, 200, serializer.contentType, serializer.multi(results.map(serializer.serialize), elapsed()));
      return;
    }
    let result: unknown;
    try {
      result = await dispatch(deps, params, facts);
    } catch (err) {
      result = toApiError(err);
    }
    send(res, 200, serializer.contentType, serializer.single(serializer.serialize(result), elapsed()));
  };

  const server = createListener((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: 'internal error' }));
      else res.destroy();
    });
  }, options.tls);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`,
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
