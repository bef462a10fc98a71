import { readFile } from 'node:fs/promises';
import { isTokensmithError } from 'tokensmith/internal/core/errors.js';
import { redact } from 'tokensmith/internal/core/redact.js';
import { terminalSafe } from 'tokensmith/internal/core/terminal-text.js';
import { loadConfig } from '../config/profiles.js';
import { dockerProfileFor, dockerRegistries } from '../config/tool-hosts.js';
import { readStdin, UsageError } from '../io.js';
import { withSource } from '../with-source.js';

/** The helper's name as docker knows it (`credsStore` / `credHelpers` value `tokensmith`). */
const DOCKER_HELPER_NAME = 'docker-credential-tokensmith';

/** The exact messages docker recognises (docker-credential-helpers `credentials/error.go`). */
const NOT_FOUND = 'credentials not found in native keychain';
const MISSING_SERVER_URL = 'no credentials server URL';
const MISSING_USERNAME = 'no credentials username';

/** What docker reads from `get` and writes to `store`. */
interface DockerCredentials {
  ServerURL: string;
  Username: string;
  Secret: string;
}

/** A failure told to docker: one line on stdout and exit 1, as docker's own helpers do. */
class HelperError extends Error {}

/** Options of {@link dockerCredentialMain}. */
export interface DockerCredentialFlags {
  config?: string;
}

/**
 * docker's credential helper protocol: `get` (server URL on stdin, JSON credentials on stdout),
 * `list` (JSON map of server URL to username), `store` (accepted, nothing kept: the token comes
 * from the profile), `erase` (forget the profile's cached credential, what `docker logout` means),
 * `version`. Registries map to profiles by `docker_registries`. Errors go to stdout with exit 1,
 * since docker shows the helper's stdout and ignores its stderr. Returns the exit code.
 */
export async function dockerCredentialMain(
  args: string[],
  flags: DockerCredentialFlags = {},
): Promise<number> {
  try {
    if (args.length !== 1)
      throw new HelperError(`Usage: ${DOCKER_HELPER_NAME} <store|get|erase|list|version>`);
    const action = args[0]!;
    switch (action) {
      case 'get':
        await get(flags);
        return 0;
      case 'list': {
        const registries = dockerRegistries(await loadConfig(flags.config));
        // Sorted like the Go helpers' JSON maps, so the answer is the same on every run.
        const sorted = Object.fromEntries([...registries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        process.stdout.write(`${JSON.stringify(sorted)}\n`);
        return 0;
      }
      case 'store':
        store(await readStdin());
        return 0;
      case 'erase':
        await erase(flags);
        return 0;
      case 'version':
        process.stdout.write(`${DOCKER_HELPER_NAME} (tokensmith) ${await packageVersion()}\n`);
        return 0;
      default:
        throw new HelperError(`Unknown credential action \`${terminalSafe(action)}\``);
    }
  } catch (err) {
    process.stdout.write(`${oneLine(err)}\n`);
    return 1;
  }
}

async function serverUrl(): Promise<string> {
  const url = (await readStdin()).trim();
  if (!url) throw new HelperError(MISSING_SERVER_URL);
  return url;
}

async function get(flags: DockerCredentialFlags): Promise<void> {
  const url = await serverUrl();
  const match = dockerProfileFor(await loadConfig(flags.config), url);
  if (!match) throw new HelperError(NOT_FOUND);
  await withSource({ config: flags.config, profile: match.profile.name }, async (source) => {
    if (source.kind !== 'manager') throw new HelperError(NOT_FOUND); // the schema gives signers no registries
    const credential = await source.manager.getCredential();
    const answer: DockerCredentials = { ServerURL: url, Username: match.username, Secret: credential.token };
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
}

function store(input: string): void {
  let creds: Partial<DockerCredentials>;
  try {
    creds = JSON.parse(input) as Partial<DockerCredentials>;
  } catch {
    throw new HelperError('the credentials to store are not JSON');
  }
  if (!creds || typeof creds !== 'object' || !creds.ServerURL) throw new HelperError(MISSING_SERVER_URL);
  if (!creds.Username) throw new HelperError(MISSING_USERNAME);
  // Nothing is kept: `docker login` succeeds, and `get` keeps answering with the profile's token.
}

async function erase(flags: DockerCredentialFlags): Promise<void> {
  const match = dockerProfileFor(await loadConfig(flags.config), await serverUrl());
  if (!match) throw new HelperError(NOT_FOUND);
  await withSource({ config: flags.config, profile: match.profile.name }, async (source) => {
    if (source.kind === 'manager') await source.manager.forget();
  });
}

/** The CLI package's version (`package.json` is two levels up from src/commands and dist/commands). */
async function packageVersion(): Promise<string> {
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** One secret-free line for docker to show. */
function oneLine(err: unknown): string {
  if (err instanceof HelperError) return err.message;
  if (isTokensmithError(err)) return `tokensmith: ${err.code}: ${err.message}`.replace(/\s*\n\s*/g, ' ');
  const message = err instanceof UsageError || err instanceof Error ? err.message : String(err);
  return `tokensmith: ${terminalSafe(redact(message))}`.replace(/\s*\n\s*/g, ' ');
}
