import type { Credential } from 'tokensmith/internal/core/credential.js';
import { isoTime } from 'tokensmith/internal/core/time-bounds.js';
import { UsageError } from './io.js';

/** Output formats of `tokensmith token`. */
export const TOKEN_FORMATS = ['raw', 'json', 'header', 'env', 'exec-credential'] as const;
/** One of {@link TOKEN_FORMATS}. */
export type TokenFormat = (typeof TOKEN_FORMATS)[number];

/** Check a `--format` value. */
export function parseTokenFormat(value: string): TokenFormat {
  if (!(TOKEN_FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`--format must be one of ${TOKEN_FORMATS.join(', ')} (got "${value}")`);
  }
  return value as TokenFormat;
}

/**
 * The text `tokensmith token` prints. `json` never includes the refresh token; `exec-credential` is
 * the Kubernetes `client.authentication.k8s.io/v1` ExecCredential that kubectl reads.
 */
export function formatToken(c: Credential, format: TokenFormat): string {
  // Credentials bound their expiry (10 years at most); isoTime never throws even so.
  const expiresAt = c.expiresAt === undefined ? undefined : isoTime(c.expiresAt);
  switch (format) {
    case 'raw':
      return c.token;
    case 'json':
      return JSON.stringify({
        token: c.token,
        type: c.tokenType,
        expiresAt,
        expiresIn:
          c.expiresAt === undefined ? undefined : Math.max(0, Math.floor((c.expiresAt - Date.now()) / 1000)),
        scope: c.scope,
      });
    case 'header':
      return Object.entries(c.headers)
        .map(([name, value]) => `${headerCase(name)}: ${value}`)
        .join('\n');
    case 'env':
      return [
        `TOKENSMITH_TOKEN=${shellQuote(c.token)}`,
        `TOKENSMITH_TOKEN_TYPE=${shellQuote(c.tokenType)}`,
        ...(expiresAt ? [`TOKENSMITH_EXPIRES_AT=${expiresAt}`] : []),
      ].join('\n');
    case 'exec-credential':
      return JSON.stringify({
        apiVersion: 'client.authentication.k8s.io/v1',
        kind: 'ExecCredential',
        status: { token: c.token, ...(expiresAt ? { expirationTimestamp: expiresAt } : {}) },
      });
  }
}

function headerCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
}

function shellQuote(s: string): string {
  return /^[\w./:+=@%-]*$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
