import type { Credential } from 'tokensmith/internal/core/credential.js';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { isoTime } from 'tokensmith/internal/core/time-bounds.js';
import {
  expiryOf,
  headersOf,
  isTokenType,
  TOKEN_TYPES,
  type TokenType,
  tokenOf,
} from 'tokensmith/internal/core/token-type.js';
import { UsageError } from './io.js';

/** Output formats of `tokensmith token`. */
export const TOKEN_FORMATS = ['raw', 'json', 'header', 'env', 'exec-credential'] as const;
/** One of {@link TOKEN_FORMATS}. */
export type TokenFormat = (typeof TOKEN_FORMATS)[number];

/**
 * What `tokensmith token` adds on stderr for a DPoP-bound token: on its own (without a proof signed
 * with the key that stays in tokensmith) the token is of no use.
 */
export const DPOP_NOTE =
  'tokensmith: note: this token is DPoP-bound: each request needs a fresh DPoP proof signed with a key that stays in tokensmith; `tokensmith request` and `tokensmith proxy` add it';

/**
 * The note for `c` written as `format`, or undefined: a DPoP-bound access token in any format but
 * `json` (which says `type: "DPoP"`) and `exec-credential` (refused by {@link formatToken}).
 */
export function dpopNote(
  c: Credential,
  format: TokenFormat,
  tokenType: TokenType = 'access',
): string | undefined {
  if (tokenType !== 'access' || c.tokenType !== 'DPoP' || format === 'json') return undefined;
  return DPOP_NOTE;
}

/** Check a `--format` value. */
export function parseTokenFormat(value: string): TokenFormat {
  if (!(TOKEN_FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`--format must be one of ${TOKEN_FORMATS.join(', ')} (got "${value}")`);
  }
  return value as TokenFormat;
}

/** Check a `--token-type` value (default `access`). */
export function parseTokenType(value: string | undefined): TokenType {
  const type = value ?? 'access';
  if (!isTokenType(type)) {
    throw new UsageError(`--token-type must be one of ${TOKEN_TYPES.join(', ')} (got "${type}")`);
  }
  return type;
}

/** The ExecCredential API versions kubectl may ask for that tokensmith answers in. */
export const EXEC_CREDENTIAL_VERSIONS = [
  'client.authentication.k8s.io/v1',
  'client.authentication.k8s.io/v1beta1',
] as const;

/** What kubectl says in `KUBERNETES_EXEC_INFO` when it runs an exec credential plugin. */
export interface ExecInfo {
  /** The apiVersion of the kubeconfig's `exec` entry: the answer must be in the same one. */
  apiVersion: (typeof EXEC_CREDENTIAL_VERSIONS)[number];
  /** `spec.interactive`: false when no person can answer a prompt (absent from kubectl < 1.22). */
  interactive?: boolean;
}

/**
 * `KUBERNETES_EXEC_INFO` read: undefined when unset (run by hand; the answer is then v1). An
 * apiVersion tokensmith cannot answer in, or text that is no ExecCredential, is `ERR_CONFIG_INVALID`.
 */
export function execInfo(env: NodeJS.ProcessEnv = process.env): ExecInfo | undefined {
  const text = env.KUBERNETES_EXEC_INFO;
  if (!text) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  const info = doc as { apiVersion?: unknown; spec?: { interactive?: unknown } } | undefined;
  if (!info || typeof info !== 'object' || typeof info.apiVersion !== 'string') {
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      'KUBERNETES_EXEC_INFO is not an ExecCredential JSON object',
    );
  }
  const apiVersion = EXEC_CREDENTIAL_VERSIONS.find((v) => v === info.apiVersion);
  if (!apiVersion) {
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      `KUBERNETES_EXEC_INFO asks for apiVersion ${JSON.stringify(info.apiVersion)}; use client.authentication.k8s.io/v1 or v1beta1 in the kubeconfig`,
    );
  }
  const interactive = info.spec?.interactive;
  return { apiVersion, ...(typeof interactive === 'boolean' ? { interactive } : {}) };
}

/** How {@link formatToken} writes a credential. */
export interface FormatOptions {
  /** The token to write (default `access`). */
  tokenType?: TokenType;
  /** Variable name of `env` (default from {@link defaultEnvName}). */
  envName?: string;
  /** What kubectl asked for (`exec-credential`; default v1). */
  execInfo?: ExecInfo;
}

/** The variable `--format env` and `exec` set when no `--env` is given: `KS` for a Kaltura session, else `TOKEN`. */
export function defaultEnvName(kind: string): string {
  return kind === 'kaltura' ? 'KS' : 'TOKEN';
}

/** Check an `--env` name: a POSIX shell variable name. */
export function parseEnvName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new UsageError(`--env must be a variable name (letters, digits, _; got "${name}")`);
  }
  return name;
}

/**
 * The text `tokensmith token` prints. `json` never includes the refresh token; `env` is an
 * `export NAME=…` line for `eval`; `exec-credential` is the Kubernetes ExecCredential in the
 * apiVersion kubectl asked for (`ERR_UNSUPPORTED` for a DPoP-bound token: kubectl sends Bearer).
 */
export function formatToken(c: Credential, format: TokenFormat, options: FormatOptions = {}): string {
  const type = options.tokenType ?? 'access';
  const token = tokenOf(c, type);
  const expiry = expiryOf(c, type);
  // Credentials bound their expiry (10 years at most); isoTime never throws even so.
  const expiresAt = expiry === undefined ? undefined : isoTime(expiry);
  switch (format) {
    case 'raw':
      return token;
    case 'json':
      return JSON.stringify({
        token,
        type: type === 'access' ? c.tokenType : 'Bearer',
        expiresAt,
        expiresIn: expiry === undefined ? undefined : Math.max(0, Math.floor((expiry - Date.now()) / 1000)),
        scope: c.scope,
      });
    case 'header':
      return Object.entries(headersOf(c, type))
        .map(([name, value]) => `${headerCase(name)}: ${value}`)
        .join('\n');
    case 'env':
      return `export ${options.envName ?? defaultEnvName(c.kind)}=${shellQuote(token)}`;
    case 'exec-credential':
      if (type === 'access' && c.tokenType === 'DPoP') {
        // RFC 9449 §7.2: a server must refuse a DPoP-bound token sent as Bearer, as kubectl would.
        throw new TokensmithError(
          'ERR_UNSUPPORTED',
          '--format exec-credential cannot carry a DPoP-bound token: kubectl sends it as Bearer, which the server refuses; use a profile without dpop',
        );
      }
      return JSON.stringify({
        apiVersion: options.execInfo?.apiVersion ?? EXEC_CREDENTIAL_VERSIONS[0],
        kind: 'ExecCredential',
        status: { token, ...(expiresAt ? { expirationTimestamp: expiresAt } : {}) },
      });
  }
}

function headerCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
}

/** `s` as one word for a POSIX shell: bare when only safe characters, else single-quoted. */
export function shellQuote(s: string): string {
  return /^[\w./:+=@%-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
