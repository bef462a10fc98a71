import { Credential } from 'tokensmith/internal/core/credential.js';
import type { TokenManager } from 'tokensmith/internal/core/manager.js';
import { loadConfig } from '../config/profiles.js';
import { type GitTarget, gitProfileFor, type ToolMatch } from '../config/tool-hosts.js';
import {
  type GitCredentialRequest,
  gitAnswer,
  parseGitRequest,
  readGitRequest,
} from '../git-credential-protocol.js';
import { info, out } from '../io.js';
import { withSource } from '../with-source.js';

/** Flags of `tokensmith git-credential`. */
export interface GitCredentialFlags {
  config?: string;
}

/**
 * `tokensmith git-credential get|store|erase`: git's credential helper. `get` answers with a token
 * of the profile whose `git_hosts` lists the remote, and with nothing for any other host (git then
 * asks its next helper or the person). `erase` (git's report that the server refused a credential)
 * drops the cached token if it is the refused one; `store` does nothing: tokensmith keeps its own.
 */
export async function gitCredentialCommand(action: string, flags: GitCredentialFlags): Promise<void> {
  // Read the request whatever the action: git writes it to every helper and must not get EPIPE.
  const request = parseGitRequest(await readGitRequest());
  if (action !== 'get' && action !== 'erase') return; // store, and actions of later gits: nothing to do
  const target = gitTarget(request);
  if (!target) return;
  const lookup = gitProfileFor(await loadConfig(flags.config), target);
  if (!lookup.match) {
    if (lookup.hint) info(`tokensmith: ${lookup.hint}`);
    return;
  }
  if (action === 'get') await answer(request, lookup.match, flags);
  else await forgetRejected(request, lookup.match, flags);
}

function gitTarget(request: GitCredentialRequest): GitTarget | undefined {
  const protocol = request.values.get('protocol');
  const host = request.values.get('host');
  if (!protocol || !host) return undefined;
  return { protocol, host, path: request.values.get('path') };
}

async function answer(request: GitCredentialRequest, match: ToolMatch, flags: GitCredentialFlags) {
  await withSource({ config: flags.config, profile: match.profile.name }, async (source) => {
    // Profiles that sign each request (Kalliope) take no git_hosts: the schema refuses the key.
    if (source.kind !== 'manager') return;
    const credential = await source.manager.getCredential();
    out(gitAnswer(request, credential, match.username));
  });
}

async function forgetRejected(request: GitCredentialRequest, match: ToolMatch, flags: GitCredentialFlags) {
  const rejected = request.values.get('credential') || request.values.get('password');
  if (!rejected) return;
  await withSource({ config: flags.config, profile: match.profile.name }, async (source) => {
    if (source.kind === 'manager') await expireIfCurrent(source.manager, rejected);
  });
}

/**
 * Mark the cached credential expired when its token is the one git reports refused, under the
 * cache lock: a token another process has renewed meanwhile stays. The refresh token is kept, so
 * the next `get` renews without a new login where the grant allows it.
 */
async function expireIfCurrent(manager: TokenManager, rejected: string): Promise<void> {
  await manager.cache.withLock(manager.key, async () => {
    const record = await manager.cache.get(manager.key);
    if (!record) return;
    let cached: Credential;
    try {
      cached = Credential.fromRecord(record);
    } catch {
      return; // a malformed entry is the manager's to replace
    }
    if (cached.token !== rejected) return;
    await manager.cache.set(manager.key, cached.with({ expiresAt: 0 }).toRecord());
  });
}
