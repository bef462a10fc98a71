import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { registerSecret } from 'tokensmith/internal/core/redact.js';
import { isSecretRef } from './secret-ref.js';

/** Profile types and the keys each accepts. */
type FieldType = 'string' | 'number' | 'boolean' | 'strings' | 'table';
interface Field {
  type: FieldType;
  secret?: boolean;
  /** Also takes `profile:NAME`: another profile's token (see profile-token.ts). */
  profileRef?: boolean;
}

// TLS (see tls-files.ts): paths; the key may also be a secret reference. A private CA or a client
// certificate is a fact of the network, so every profile type that talks to a server takes them.
const TLS: Record<string, Field> = {
  ca_file: { type: 'string' },
  client_cert: { type: 'string' },
  client_key: { type: 'string' },
  client_key_passphrase: { type: 'string', secret: true },
};

const OAUTH: Record<string, Field> = {
  issuer: { type: 'string' },
  token_endpoint: { type: 'string' },
  revocation_endpoint: { type: 'string' },
  grant: { type: 'string' },
  client_id: { type: 'string' },
  client_secret: { type: 'string', secret: true },
  client_auth: { type: 'string' },
  // private_key_jwt: a PEM private key or a private JWK (file: and cmd: keep every line).
  private_key: { type: 'string', secret: true },
  username: { type: 'string' },
  password: { type: 'string', secret: true },
  refresh_token: { type: 'string', secret: true },
  subject_token: { type: 'string', secret: true, profileRef: true },
  subject_token_type: { type: 'string' },
  actor_token: { type: 'string', secret: true, profileRef: true },
  actor_token_type: { type: 'string' },
  requested_token_type: { type: 'string' },
  scope: { type: 'string' },
  audience: { type: 'string' },
  resource: { type: 'strings' },
  allow_insecure_http: { type: 'boolean' },
  // DPoP (RFC 9449): bind tokens to a key pair kept with the cached token.
  dpop: { type: 'boolean' },
  redirect_port: { type: 'number' },
  // Extra authorization request parameters (authorization_code): `{ prompt = "login" }`.
  auth_params: { type: 'table' },
  ...TLS,
};

const COMMON: Record<string, Field> = {
  type: { type: 'string' },
  description: { type: 'string' },
  refresh_window_seconds: { type: 'number' },
  cache: { type: 'string' },
  redis_url: { type: 'string' },
  redis_fallback: { type: 'boolean' },
};

/** Hosts whose git or docker credential helper may hand out the profile's token (see tool-hosts.ts). */
const TOOL_HOSTS: Record<string, Field> = {
  git_hosts: { type: 'strings' },
  git_username: { type: 'string' },
  docker_registries: { type: 'strings' },
  docker_username: { type: 'string' },
};

/** The keys every profile type accepts. */
export const PROFILE_SCHEMAS: Record<string, Record<string, Field>> = {
  oauth2: { ...COMMON, ...OAUTH, ...TOOL_HOSTS },
  keycloak: {
    ...COMMON,
    ...OAUTH,
    ...TOOL_HOSTS,
    base_url: { type: 'string' },
    realm: { type: 'string' },
    legacy_auth_prefix: { type: 'boolean' },
  },
  'kaltura-app-token': {
    ...COMMON,
    service_url: { type: 'string' },
    partner_id: { type: 'number' },
    app_token_id: { type: 'string' },
    app_token: { type: 'string', secret: true },
    hash_type: { type: 'string' },
    user_id: { type: 'string' },
    session_type: { type: 'string' },
    expiry: { type: 'number' },
    privileges: { type: 'string' },
    ks: { type: 'string', secret: true },
    allow_insecure_http: { type: 'boolean' },
    ...TLS,
  },
  'kaltura-admin': {
    ...COMMON,
    service_url: { type: 'string' },
    partner_id: { type: 'number' },
    admin_secret: { type: 'string', secret: true },
    user_id: { type: 'string' },
    session_type: { type: 'string' },
    expiry: { type: 'number' },
    privileges: { type: 'string' },
    local: { type: 'boolean' },
    allow_insecure_http: { type: 'boolean' },
    ...TLS,
  },
  kalliope: {
    ...COMMON,
    url: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string', secret: true },
    domain: { type: 'string' },
    allow_insecure_http: { type: 'boolean' },
    ...TLS,
  },
};

/** Required keys per type (beyond `type`). */
const REQUIRED: Record<string, string[]> = {
  oauth2: ['client_id'],
  keycloak: ['base_url', 'realm', 'client_id'],
  'kaltura-app-token': ['service_url', 'partner_id', 'app_token_id', 'app_token'],
  'kaltura-admin': ['service_url', 'partner_id', 'admin_secret'],
  kalliope: ['url'],
};

/** A validated profile: its name, type, values and where it came from. Secret values stay references. */
export interface Profile {
  name: string;
  type: keyof typeof PROFILE_SCHEMAS;
  values: Record<string, string | number | boolean | string[] | Record<string, string>>;
  /** Config file path, for messages. */
  file: string;
  /** Line of each key, for messages. */
  lines: Record<string, number>;
  /** True when the file is private (mode 0600 or stricter), which allows literal secrets. */
  privateFile: boolean;
}

/** The parsed config file. */
export interface Config {
  file: string;
  /** `default_profile` at the top level. */
  defaultProfile?: string;
  profiles: Record<string, Profile>;
}

/** What {@link defaultConfigPath} reads; each part defaults to this process's. */
export interface ConfigPathEnvironment {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** The user's home folder (default `os.homedir()`, which asks the system when HOME is unset). */
  home?: string;
}

/**
 * The config file when `--config` is not given: `$XDG_CONFIG_HOME/tokensmith/config.toml` when that
 * variable is an absolute path (the XDG spec calls a relative one invalid), else
 * `$HOME/.config/tokensmith/config.toml`. Without HOME (usual on Windows), the platform's config
 * folder: `%APPDATA%\tokensmith` (Windows), `~/Library/Application Support/tokensmith` (macOS),
 * `~/.config/tokensmith` (others), from the system's idea of the home folder. Never a path relative
 * to the current folder: without any home this is `ERR_CONFIG_INVALID`.
 */
export function defaultConfigPath(environment: ConfigPathEnvironment = {}): string {
  const env = environment.env ?? process.env;
  const platform = environment.platform ?? process.platform;
  const path = platform === 'win32' ? win32 : posix;
  const absolute = (dir: string | undefined) => (dir && path.isAbsolute(dir) ? dir : undefined);
  const file = (dir: string) => path.join(dir, 'tokensmith', 'config.toml');
  const xdg = absolute(env.XDG_CONFIG_HOME);
  if (xdg) return file(xdg);
  const envHome = absolute(env.HOME);
  if (envHome) return file(path.join(envHome, '.config'));
  if (platform === 'win32' && absolute(env.APPDATA)) return file(env.APPDATA!);
  const home = absolute(environment.home ?? systemHome());
  if (!home) {
    throw invalid(
      'cannot find a config folder (no home folder): set XDG_CONFIG_HOME or HOME, or give --config',
    );
  }
  if (platform === 'win32') return file(path.join(home, 'AppData', 'Roaming'));
  if (platform === 'darwin') return file(path.join(home, 'Library', 'Application Support'));
  return file(path.join(home, '.config'));
}

/** `os.homedir()`, or undefined when the system knows no home for this user (it then throws). */
function systemHome(): string | undefined {
  try {
    return homedir();
  } catch {
    return undefined;
  }
}

function invalid(message: string, field?: string): TokensmithError {
  return new TokensmithError('ERR_CONFIG_INVALID', message, { field, source: 'config file' });
}

/** Read and validate a config file. A missing file at the default path is an empty config. */
export async function loadConfig(path?: string): Promise<Config> {
  const file = path ?? defaultConfigPath();
  let text: string;
  let mode: number;
  try {
    text = await readFile(file, 'utf8');
    mode = (await stat(file)).mode;
  } catch (cause) {
    if (!path && (cause as NodeJS.ErrnoException).code === 'ENOENT') return { file, profiles: {} };
    throw invalid(`cannot read config file ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseConfig(text, file, (mode & 0o077) === 0);
}

/** Validate config text; `privateFile` says whether literal secrets are allowed. */
export function parseConfig(text: string, file: string, privateFile: boolean): Config {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (cause) {
    const line = cause instanceof TomlError ? cause.line : undefined;
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : 'syntax error';
    throw invalid(`${file}${line ? `:${line}` : ''}: invalid TOML: ${reason}`);
  }
  const lines = keyLines(text);
  const at = (table: string, key: string) => {
    const line = lines.get(`${table}\u0000${key}`);
    return `${file}${line ? `:${line}` : ''}`;
  };
  const config: Config = { file, profiles: {} };
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'default_profile' && typeof value === 'string') config.defaultProfile = value;
    else if (key !== 'profiles') throw invalid(`${at('', key)}: unknown top-level key "${key}"`, key);
  }
  const profiles = Object.hasOwn(doc, 'profiles') ? doc.profiles : {};
  if (typeof profiles !== 'object' || Array.isArray(profiles))
    throw invalid(`${file}: "profiles" must be a table`);
  for (const [name, raw] of Object.entries(profiles as Record<string, unknown>)) {
    const table = `profiles.${name}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      throw invalid(`${at('profiles', name)}: profile "${name}" must be a table`);
    }
    const values = raw as Record<string, unknown>;
    const type = values.type;
    if (typeof type !== 'string' || !Object.hasOwn(PROFILE_SCHEMAS, type)) {
      throw invalid(
        `${at(table, 'type')}: profile "${name}" key "type" must be one of ${Object.keys(PROFILE_SCHEMAS).join(', ')}`,
        'type',
      );
    }
    const schema = PROFILE_SCHEMAS[type]!;
    const profileLines: Record<string, number> = {};
    for (const [key, value] of Object.entries(values)) {
      const line = lines.get(`${table}\u0000${key}`);
      if (line) profileLines[key] = line;
      const field = Object.hasOwn(schema, key) ? schema[key] : undefined;
      if (!field)
        throw invalid(`${at(table, key)}: profile "${name}" has unknown key "${key}" for type ${type}`, key);
      if (!hasType(value, field.type)) {
        throw invalid(
          `${at(table, key)}: profile "${name}" key "${key}" must be ${describe(field.type)}`,
          key,
        );
      }
      const byProfile = field.profileRef && typeof value === 'string' && value.startsWith('profile:');
      if (field.secret && typeof value === 'string' && !isSecretRef(value) && !byProfile) {
        registerSecret(value);
        if (!privateFile) {
          throw invalid(
            `${at(table, key)}: profile "${name}" key "${key}" holds a literal secret but the file is readable by others; use env:, file:, cmd: or keyring:, or chmod 600`,
            key,
          );
        }
      }
    }
    const redisUrl = values.redis_url;
    if (
      typeof redisUrl === 'string' &&
      /^(rediss?|redis\+sentinel|redis\+cluster):\/\/[^/@]*:[^/@]+@/.test(redisUrl)
    ) {
      registerSecret(redisUrl);
      if (!privateFile) {
        throw invalid(
          `${at(table, 'redis_url')}: profile "${name}" key "redis_url" holds a password but the file is readable by others; chmod 600`,
          'redis_url',
        );
      }
    }
    for (const key of REQUIRED[type] ?? []) {
      if (!(key in values))
        throw invalid(`${at(table, 'type')}: profile "${name}" is missing key "${key}"`, key);
    }
    config.profiles[name] = {
      name,
      type: type as Profile['type'],
      values: values as Profile['values'],
      file,
      lines: profileLines,
      privateFile,
    };
  }
  return config;
}

/** Pick a profile by name (flag, `TOKENSMITH_PROFILE`, or `default_profile`). */
export function selectProfile(config: Config, name?: string): Profile {
  const chosen = name ?? process.env.TOKENSMITH_PROFILE ?? config.defaultProfile;
  if (!chosen)
    throw invalid(`no profile given (--profile, TOKENSMITH_PROFILE or default_profile in ${config.file})`);
  const profile = Object.hasOwn(config.profiles, chosen) ? config.profiles[chosen] : undefined;
  if (!profile) {
    const known = Object.keys(config.profiles);
    throw invalid(
      `profile "${chosen}" is not in ${config.file}${known.length ? ` (known: ${known.join(', ')})` : ''}`,
    );
  }
  return profile;
}

function hasType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'strings':
      return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    case 'table':
      return (
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every((v) => typeof v === 'string')
      );
  }
}

function describe(type: FieldType): string {
  if (type === 'table') return 'a table of strings, e.g. { prompt = "login" }';
  return type === 'strings' ? 'a string or a list of strings' : `a ${type}`;
}

/**
 * Line numbers of `key = …` lines by table, from the raw text: smol-toml does not keep positions,
 * and "file, line and key" is what a user needs to fix a mistake.
 */
function keyLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let table = '';
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    // A header may carry a comment: `[profiles.crm]   # Keycloak`, as in the README.
    const header = /^\[\s*([^\]]+?)\s*\]\s*(?:#.*)?$/.exec(line);
    if (header) {
      table = header[1]!.replace(/"/g, '').replace(/\s*\.\s*/g, '.');
      const dot = table.lastIndexOf('.');
      out.set(`${dot < 0 ? '' : table.slice(0, dot)}\u0000${table.slice(dot + 1)}`, i + 1);
      return;
    }
    const kv = /^("?)([\w-]+)\1\s*=/.exec(line);
    if (kv && !out.has(`${table}\u0000${kv[2]}`)) out.set(`${table}\u0000${kv[2]}`, i + 1);
  });
  return out;
}
