/**
 * The fast path of the `tokensmith` command: `token` (any `--format`) and the git credential helper's
 * `get`, answered from a warm file cache without the argument parser, the command tree, the OAuth
 * client, any grant's code, `child_process` or the OS keyring. It writes its answer only once it has
 * it; anything it cannot answer for certain (see argv.ts, profile-key.ts, warm-entry.ts), and any
 * error, is handed to the full CLI before a byte is written, so output and exit codes stay the full
 * path's. It serves only a fresh credential, so no background renewal is left to wait for.
 */
import { loadConfig, selectProfile } from '../config/profiles.js';
import { gitProfileFor } from '../config/tool-hosts.js';
import { gitAnswer, parseGitRequest, readGitRequest } from '../git-credential-protocol.js';
import { EXIT, reportError } from '../io.js';
import { execInfo, formatToken, parseTokenFormat } from '../token-format.js';
import { type FastRequest, fastRequest } from './argv.js';
import { warmProfile } from './profile-key.js';
import { warmCredential } from './warm-entry.js';
import { writeOut } from './write-out.js';

/**
 * What {@link runFast} did: answered (with the exit code), or left the command to the full CLI
 * (with the stdin it read, for the full path to read again).
 */
export type FastOutcome = { answered: true; exitCode: number } | { answered: false; stdin?: string };

/**
 * Answer `args` (process.argv without node and the script) from the warm cache when possible. Never
 * throws; `answered: false` means nothing was written and the full CLI must run.
 */
export async function runFast(args: readonly string[]): Promise<FastOutcome> {
  const request = fastRequest(args);
  // Debug and info logging say more than a cache hit prints here: the full path logs it.
  if (!request || /^(debug|info)$/i.test(process.env.TOKENSMITH_LOG ?? '')) return { answered: false };
  if (request.command === 'token') {
    const answer = await tokenAnswer(request).catch(() => undefined);
    if (answer === undefined) return { answered: false };
    writeOut(answer);
    return { answered: true, exitCode: EXIT.ok };
  }
  // A person typing the request at a terminal is left to the full path, which sees the terminal.
  if (process.stdin.isTTY) return { answered: false };
  let text: string;
  try {
    text = await readGitRequest();
  } catch (err) {
    // Too large, or stdin failed: the full path, reading the same stream, would end the same way.
    return { answered: true, exitCode: reportError(err) };
  }
  const answer = await gitGetAnswer(request, text).catch(() => undefined);
  if (answer === undefined) return { answered: false, stdin: text };
  writeOut(answer);
  return { answered: true, exitCode: EXIT.ok };
}

/** What `tokensmith token` prints for a fresh cached token, or undefined. */
async function tokenAnswer(request: Extract<FastRequest, { command: 'token' }>): Promise<string | undefined> {
  const format = parseTokenFormat(request.format);
  const kube = format === 'exec-credential' ? execInfo() : undefined;
  const profile = selectProfile(await loadConfig(request.config), request.profile);
  const warm = warmProfile(profile);
  const credential = warm && (await warmCredential(warm));
  if (!credential) return undefined;
  return formatToken(credential, format, { tokenType: 'access', execInfo: kube });
}

/** What `tokensmith git-credential get` answers for a fresh cached token, or undefined. */
async function gitGetAnswer(
  request: Extract<FastRequest, { command: 'git-credential-get' }>,
  text: string,
): Promise<string | undefined> {
  const git = parseGitRequest(text);
  const protocol = git.values.get('protocol');
  const host = git.values.get('host');
  if (!protocol || !host) return undefined;
  const config = await loadConfig(request.config);
  const lookup = gitProfileFor(config, { protocol, host, path: git.values.get('path') });
  if (!lookup.match) return undefined;
  const warm = warmProfile(selectProfile(config, lookup.match.profile.name));
  const credential = warm && (await warmCredential(warm));
  if (!credential) return undefined;
  return gitAnswer(git, credential, lookup.match.username);
}
