import { TokensmithError } from '../core/errors.js';
import { MAX_RESPONSE_BYTES, readBodyLimited } from '../core/http.js';
import { registerSecret } from '../core/redact.js';
import { attemptsOf } from '../core/retry.js';
import { boundLifetimeSeconds } from '../core/time-bounds.js';
import { checkTokenValue } from '../core/token-value.js';
import { oauthError } from './oauth-error.js';

/** What kind of answer a response should be, which decides the checks applied. */
export type ResponseKind = 'token' | 'discovery' | 'device' | 'revocation' | 'jwks';

const SOURCE: Record<ResponseKind, string> = {
  token: 'token endpoint',
  discovery: 'discovery document',
  device: 'device authorization endpoint',
  revocation: 'revocation endpoint',
  jwks: 'JWKS endpoint',
};

/**
 * Read and check a response before oauth4webapi processes it, so each malformed answer gets its own
 * error code (empty, not JSON, too large, missing or malformed field) and an error status names
 * the HTTP status even when the body is HTML or empty. Returns an equivalent, re-readable response.
 *
 * Leniency for real servers: `expires_in` as a numeric string, `token_type` in any case or missing
 * (taken as Bearer), `scope` missing. Strictness for hostile ones: token values must be header-safe
 * (`checkTokenValue`), lifetimes finite and ≥ 0, and are clamped to 10 years (`MAX_LIFETIME_SECONDS`).
 */
export async function checkResponse(response: Response, kind: ResponseKind): Promise<Response> {
  const source = SOURCE[kind];
  const body = await readBodyLimited(response, MAX_RESPONSE_BYTES, source);
  const text = body.toString('utf8');
  const status = response.status;
  const json = parseJsonObject(text);

  if (!response.ok) {
    const attempts = attemptsOf(response);
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    if (json && typeof json.error === 'string') throw oauthError(json, status, source, tries);
    const what =
      text.trim() === '' ? 'an empty body' : looksLikeHtml(text) ? 'an HTML page' : 'a non-OAuth body';
    throw new TokensmithError('ERR_HTTP_STATUS', `${source} answered HTTP ${status} with ${what}${tries}`, {
      status,
      source,
    });
  }
  if (kind === 'revocation') return rebuild(response, text);
  if (text.trim() === '') {
    throw new TokensmithError('ERR_RESPONSE_EMPTY', `${source} answered HTTP ${status} with an empty body`, {
      status,
      source,
    });
  }
  if (!json) {
    const what = looksLikeHtml(text) ? 'an HTML page' : 'a body that is not a JSON object';
    throw new TokensmithError('ERR_RESPONSE_NOT_JSON', `${source} answered HTTP ${status} with ${what}`, {
      status,
      source,
    });
  }
  if (typeof json.error === 'string') throw oauthError(json, status, source);
  if (kind === 'token') normaliseTokenResponse(json, status);
  return rebuild(response, JSON.stringify(json));
}

function normaliseTokenResponse(json: Record<string, unknown>, status: number): void {
  const source = SOURCE.token;
  // Register before any check can fail, so no later message can quote them.
  for (const f of ['access_token', 'refresh_token', 'id_token']) {
    if (typeof json[f] === 'string') registerSecret(json[f] as string, 'transient');
  }
  if (typeof json.access_token !== 'string' || json.access_token === '') {
    throw new TokensmithError(
      'ERR_RESPONSE_MISSING_FIELD',
      `${source} response has no "access_token" string`,
      {
        field: 'access_token',
        status,
        source,
      },
    );
  }
  // They go into Authorization headers, `--format header|env` output and terminals.
  for (const field of ['access_token', 'refresh_token', 'id_token']) {
    if (field === 'access_token' || json[field] !== undefined) {
      checkTokenValue(json[field], field, { source, status });
    }
  }
  if (json.token_type === undefined) json.token_type = 'Bearer';
  // What oauth4webapi would refuse in these two, refused here with its code, so that what it still
  // refuses in a checked response is the ID token's fault (oauth-error.ts, ID_TOKEN_STEP_CODES).
  if (typeof json.token_type !== 'string' || json.token_type === '') {
    throw new TokensmithError(
      'ERR_RESPONSE_INVALID',
      `${source} response has a "token_type" that is not a non-empty string`,
      {
        field: 'token_type',
        status,
        source,
      },
    );
  }
  if (json.scope !== undefined && typeof json.scope !== 'string') {
    throw new TokensmithError(
      'ERR_RESPONSE_INVALID',
      `${source} response has a "scope" that is not a string`,
      {
        field: 'scope',
        status,
        source,
      },
    );
  }
  for (const field of ['expires_in', 'refresh_expires_in']) {
    const value = json[field];
    if (value === undefined || value === null) {
      delete json[field];
      continue;
    }
    const n =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && value.trim() !== ''
          ? Number(value)
          : NaN;
    json[field] = boundLifetimeSeconds(n, field, { source, status });
  }
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function looksLikeHtml(text: string): boolean {
  return /^\s*</.test(text);
}

function rebuild(response: Response, text: string): Response {
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  headers.set('content-type', 'application/json');
  // 204/205 may carry no body (a revocation endpoint answering 204): the constructor would throw.
  const body = response.status === 204 || response.status === 205 ? null : text;
  const rebuilt = new Response(body, { status: response.status, statusText: response.statusText, headers });
  // oauth4webapi checks the URL of some responses (and Response.url is read-only).
  Object.defineProperty(rebuilt, 'url', { value: response.url });
  return rebuilt;
}
