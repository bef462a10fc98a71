/**
 * git's credential helper protocol (gitcredentials(7), git-credential(1)): `key=value` lines,
 * ended by a blank line or the end of input; keys ending in `[]` may repeat.
 */
import type { Credential } from 'tokensmith/internal/core/credential.js';
import { UsageError } from './io.js';

/** Largest request read from git; real ones are a few hundred bytes. */
const MAX_REQUEST_BYTES = 64 * 1024;

/** A request from git: the last value of each single key, every value of each `[]` key. */
export interface GitCredentialRequest {
  values: Map<string, string>;
  lists: Map<string, string[]>;
}

/**
 * Read git's request from `input` up to the blank line that ends it (or the end of input), without
 * waiting for more: a caller may keep its end of the pipe open.
 */
export function readGitRequest(input: NodeJS.ReadStream = process.stdin): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error) => {
      input.off('data', onData).off('end', onEnd).off('error', onError);
      input.pause();
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      text += chunk;
      const end = text.startsWith('\n') ? 0 : text.indexOf('\n\n');
      if (end >= 0) {
        text = text.slice(0, end);
        finish();
      } else if (text.length > MAX_REQUEST_BYTES) {
        finish(new UsageError('the credential request from git is too large'));
      }
    };
    const onEnd = () => finish();
    const onError = (err: Error) => finish(err);
    input.setEncoding('utf8');
    input.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/** Parse request text. A `url=` line stands for the protocol, host, path and username it holds. */
export function parseGitRequest(text: string): GitCredentialRequest {
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue; // git refuses such lines itself; nothing of ours depends on them
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key.endsWith('[]')) {
      // git's rule: an empty value clears the list so far.
      lists.set(key, value === '' ? [] : [...(lists.get(key) ?? []), value]);
    } else if (key === 'url') {
      fromUrl(values, value);
    } else {
      values.set(key, value);
    }
  }
  return { values, lists };
}

function fromUrl(values: Map<string, string>, text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return;
  }
  for (const key of ['protocol', 'host', 'path', 'username', 'password']) values.delete(key);
  values.set('protocol', url.protocol.replace(/:$/, ''));
  values.set('host', url.host);
  const path = decodeURIComponent(url.pathname).replace(/^\/+/, '');
  if (path) values.set('path', path);
  if (url.username) values.set('username', decodeURIComponent(url.username));
}

/** True when git announced `capability[]=NAME` (git 2.46 and later announce `authtype`). */
function gitAnnounced(request: GitCredentialRequest, capability: string): boolean {
  return (request.lists.get('capability[]') ?? []).includes(capability);
}

/**
 * The answer to `get`: with the `authtype` capability, the credential's own Authorization scheme
 * and value (`authtype=Bearer`, `credential=…`, `ephemeral=1` so no other helper stores it);
 * otherwise `username` and the token as `password`. Both say when the token expires. No value can
 * hold a line break: tokens are header-safe, usernames are checked when the config is read.
 */
export function gitAnswer(request: GitCredentialRequest, credential: Credential, username: string): string {
  const lines: Array<[string, string]> = [];
  const authorization = Object.entries(credential.headers).find(([k]) => k.toLowerCase() === 'authorization');
  const scheme = authorization ? /^([^\s]+) (\S+)$/.exec(authorization[1]) : null;
  if (scheme && gitAnnounced(request, 'authtype')) {
    lines.push(
      ['capability[]', 'authtype'],
      ['authtype', scheme[1]!],
      ['credential', scheme[2]!],
      ['ephemeral', '1'],
    );
  } else {
    lines.push(['username', request.values.get('username') || username], ['password', credential.token]);
  }
  if (credential.expiresAt !== undefined) {
    lines.push(['password_expiry_utc', String(Math.floor(credential.expiresAt / 1000))]);
  }
  return lines.map(([key, value]) => `${key}=${value}\n`).join('');
}
