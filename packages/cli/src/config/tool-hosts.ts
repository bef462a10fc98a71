/**
 * Which profile answers a git or docker credential helper: profiles list the hosts they serve
 * (`git_hosts`, `docker_registries`), and a token goes only to a host its profile lists.
 */
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { isLoopbackHost } from 'tokensmith/internal/core/http.js';
import type { Config, Profile } from './profiles.js';

/** Username sent with the token when the profile sets none (`git_username`, `docker_username`). */
const DEFAULT_TOOL_USERNAME = 'oauth2';

/** What git asks a credential helper about: protocol, host (with port) and, when configured, the path. */
export interface GitTarget {
  protocol: string;
  host: string;
  /** Sent by git only with `credential.useHttpPath = true`; no leading slash. */
  path?: string;
}

/** The profile that serves a git or docker request, and the username to send with its token. */
export interface ToolMatch {
  profile: Profile;
  username: string;
}

/** Outcome of {@link gitProfileFor}: a match, or none with a hint for the person. */
export type GitLookup = { match: ToolMatch } | { match?: undefined; hint?: string };

/**
 * The profile whose `git_hosts` serves `target`: same origin, and the entry's path (if any) a
 * prefix of git's path at a `/` boundary. The longest path wins; two profiles with the same
 * winning entry are a configuration error, not a coin toss.
 */
export function gitProfileFor(config: Config, target: GitTarget): GitLookup {
  const origin = originOf(target.protocol, target.host);
  if (!origin) return {};
  const path = trimSlashes(target.path ?? '');
  let best: { match: ToolMatch; length: number } | undefined;
  let tie: Profile | undefined;
  let needsPath = false;
  for (const profile of Object.values(config.profiles)) {
    for (const entry of gitEntries(profile)) {
      if (entry.origin !== origin) continue;
      if (entry.path && target.path === undefined) {
        needsPath = true;
        continue;
      }
      if (entry.path && path !== entry.path && !path.startsWith(`${entry.path}/`)) continue;
      const length = entry.path.length;
      if (best && length < best.length) continue;
      if (best && length === best.length) {
        if (best.match.profile !== profile) tie = profile;
        continue;
      }
      best = { match: { profile, username: username(profile, 'git_username') }, length };
      tie = undefined;
    }
  }
  if (best && tie) {
    throw keyError(
      tie,
      'git_hosts',
      `profiles "${best.match.profile.name}" and "${tie.name}" both serve ${origin}${
        best.length ? `/${path.slice(0, best.length)}` : ''
      } in git_hosts; keep it in one`,
    );
  }
  if (best) return { match: best.match };
  return needsPath
    ? {
        hint: `git_hosts entries for ${origin} name a path, but git sent none: set credential.useHttpPath = true for ${origin}`,
      }
    : {};
}

/** The profile whose `docker_registries` lists `serverUrl` (any form docker uses: host, URL, Hub). */
export function dockerProfileFor(config: Config, serverUrl: string): ToolMatch | undefined {
  const key = registryKey(serverUrl);
  if (!key) return undefined;
  let found: ToolMatch | undefined;
  for (const profile of Object.values(config.profiles)) {
    if (!dockerEntries(profile).some((e) => e.key === key)) continue;
    if (found && found.profile !== profile) {
      throw keyError(
        profile,
        'docker_registries',
        `profiles "${found.profile.name}" and "${profile.name}" both list registry ${key}; keep it in one`,
      );
    }
    found = { profile, username: username(profile, 'docker_username') };
  }
  return found;
}

/** Every registry the config lists, as written, with the username its helper answers. */
export function dockerRegistries(config: Config): Map<string, string> {
  const out = new Map<string, string>();
  for (const profile of Object.values(config.profiles)) {
    for (const entry of dockerEntries(profile)) out.set(entry.raw, username(profile, 'docker_username'));
  }
  return out;
}

interface GitEntry {
  origin: string;
  /** Without leading or trailing slashes; empty for the whole host. */
  path: string;
}

function gitEntries(profile: Profile): GitEntry[] {
  return list(profile, 'git_hosts').map((raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw keyError(
        profile,
        'git_hosts',
        `git_hosts entry "${raw}" is not a URL like https://git.example.com`,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw keyError(profile, 'git_hosts', `git_hosts entry "${raw}" must be an https URL`);
    }
    if (url.username || url.password || url.search || url.hash) {
      throw keyError(
        profile,
        'git_hosts',
        `git_hosts entry "${raw}" must be scheme, host, port and path only`,
      );
    }
    checkTransport(profile, 'git_hosts', url);
    return { origin: url.origin, path: trimSlashes(decodeURIComponent(url.pathname)) };
  });
}

interface DockerEntry {
  raw: string;
  key: string;
}

function dockerEntries(profile: Profile): DockerEntry[] {
  return list(profile, 'docker_registries').map((raw) => {
    const key = registryKey(raw);
    if (!key || !/^([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/.test(key)) {
      throw keyError(
        profile,
        'docker_registries',
        `docker_registries entry "${raw}" is not a registry like registry.example.com or localhost:5000`,
      );
    }
    if (/^http:\/\//i.test(raw.trim())) checkTransport(profile, 'docker_registries', new URL(raw.trim()));
    return { raw: raw.trim(), key };
  });
}

/**
 * A registry as docker names it, reduced to `host[:port]` in lower case: docker passes
 * `registry.example.com`, `https://registry.example.com` or, for Docker Hub, `https://index.docker.io/v1/`.
 */
function registryKey(serverUrl: string): string | undefined {
  const host = serverUrl
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/\/.*$/, '');
  if (host === 'docker.io' || host === 'registry-1.docker.io') return 'index.docker.io';
  return host || undefined;
}

/**
 * `protocol://host[:port]` (lower case, default port dropped), or undefined for a protocol that never
 * gets a token or a host that is not a plain host name or address.
 */
function originOf(protocol: string, host: string): string | undefined {
  if (protocol !== 'https' && protocol !== 'http') return undefined;
  if (!/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(host)) return undefined;
  try {
    return new URL(`${protocol}://${host}/`).origin;
  } catch {
    return undefined;
  }
}

/** Plain http only to loopback, unless the profile says `allow_insecure_http = true`. */
function checkTransport(profile: Profile, key: string, url: URL): void {
  if (url.protocol !== 'http:' || isLoopbackHost(url.hostname)) return;
  if (profile.values.allow_insecure_http === true) return;
  throw new TokensmithError(
    'ERR_INSECURE_HTTP',
    `${where(profile, key)}: profile "${profile.name}": ${key} entry "${url.origin}" would send the token in the clear; use https (or allow_insecure_http = true)`,
    { field: key, source: 'config file' },
  );
}

function list(profile: Profile, key: string): string[] {
  const value = profile.values[key];
  return typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
}

function username(profile: Profile, key: string): string {
  const value = profile.values[key];
  if (typeof value !== 'string') return DEFAULT_TOOL_USERNAME;
  // git's protocol is one value per line, docker's a JSON string: a control character breaks either.
  if (!value || /[\u0000-\u001f\u007f]/.test(value)) {
    throw keyError(profile, key, `${key} must be a non-empty name without control characters`);
  }
  return value;
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

function where(profile: Profile, key: string): string {
  const line = profile.lines[key];
  return `${profile.file}${line ? `:${line}` : ''}`;
}

function keyError(profile: Profile, key: string, message: string): TokensmithError {
  return new TokensmithError(
    'ERR_CONFIG_INVALID',
    `${where(profile, key)}: profile "${profile.name}": ${message}`,
    {
      field: key,
      source: 'config file',
    },
  );
}
