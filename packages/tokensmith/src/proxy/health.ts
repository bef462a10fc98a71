import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../core/errors.js';
import type { CredentialSupply } from './credentials.js';
import { forwardingError } from './errors.js';

/** Path the proxy answers itself instead of forwarding. */
export const HEALTH_PATH = '/.well-known/tokensmith/health';

/** The health answer. It says when the credential expires, never what it is. */
export interface HealthReport {
  /** `ok` when a credential could be had (or the source signs per request), `error` otherwise. */
  status: 'ok' | 'error';
  /** Upstream base URL. */
  upstream: string;
  /** Provider or signer family. */
  kind: string;
  /** Expiry of the current credential, epoch ms (`null` when unknown); `null` for signers or on error. */
  credential: { expiresAt: number | null } | null;
  /** Why the credential could not be had, when `status` is `error`: the code a forwarded request would get. */
  error?: { code: ErrorCode };
}

/** True when `url` (path and query of a request) is the health endpoint. */
export function isHealthPath(url: string | undefined): boolean {
  if (!url?.startsWith(HEALTH_PATH)) return false;
  const rest = url.length - HEALTH_PATH.length;
  return rest === 0 || url[HEALTH_PATH.length] === '?';
}

/**
 * Answer the health endpoint: 200 with a {@link HealthReport} when a credential is at hand (obtaining
 * one if needed, through the manager's cache), 503 when it cannot be had, 405 for methods other than GET/HEAD.
 */
export async function answerHealth(
  req: IncomingMessage,
  res: ServerResponse,
  supply: CredentialSupply,
  upstream: string,
): Promise<number> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
    return 405;
  }
  let report: HealthReport;
  try {
    report = { status: 'ok', upstream, kind: supply.kind, credential: await supply.expiry() };
  } catch (err) {
    // The same code a forwarded request gets for this failure (a foreign error is coded there too).
    const { code } = forwardingError(err, upstream);
    report = { status: 'error', upstream, kind: supply.kind, credential: null, error: { code } };
  }
  const status = report.status === 'ok' ? 200 : 503;
  const body = JSON.stringify(report);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return status;
}
