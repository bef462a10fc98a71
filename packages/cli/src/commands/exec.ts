import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { credentialFor, tokenOf } from 'tokensmith/internal/core/token-type.js';
import type { SourceFlags } from '../credential-source.js';
import { info, UsageError } from '../io.js';
import { parseMinValidity } from '../min-validity.js';
import { defaultEnvName, dpopNote, parseEnvName, parseTokenType } from '../token-format.js';
import { withSource } from '../with-source.js';

/** Flags of `tokensmith exec`. */
export interface ExecFlags extends SourceFlags {
  /** Variable that carries the credential (default TOKEN, KS for Kaltura, KALLIOPE_URL for Kalliope). */
  env?: string;
  /** `access` (default) or `id`. */
  tokenType?: string;
  /** `--min-validity SECONDS`: a token valid at least this long. */
  minValidity?: string;
}

/** Signals passed on to the command: it decides how to end, and its exit status becomes ours. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Variable a Kalliope profile sets: the URL of a loopback proxy that signs each request for the PBX. */
const KALLIOPE_VARIABLE = 'KALLIOPE_URL';

/**
 * `tokensmith exec -- CMD ARGS…`: run a command with the profile's credential in its environment
 * (`TOKEN`, or `KS` for a Kaltura session; `--env NAME` chooses), passing SIGINT, SIGTERM and SIGHUP
 * on, and exit with the command's status (128 + the signal's number when a signal killed it).
 *
 * A Kalliope profile has no token: each request needs its own signed header. The command gets
 * `KALLIOPE_URL` instead, the address of a loopback proxy (as `tokensmith proxy`) that signs every
 * request it forwards to the PBX, for as long as the command runs.
 */
export async function execCommand(command: string, args: string[], flags: ExecFlags): Promise<void> {
  const tokenType = parseTokenType(flags.tokenType);
  const minValiditySeconds = parseMinValidity(flags.minValidity);
  const envName = flags.env === undefined ? undefined : parseEnvName(flags.env);
  const status = await withSource(flags, async (source) => {
    if (source.kind === 'signer') {
      if (tokenType === 'id') {
        throw new UsageError(`--token-type id needs a token; profile "${source.name}" signs each request`);
      }
      const proxy = await import('tokensmith/internal/proxy/index.js');
      const upstream = (source.signer as { baseUrl?: string }).baseUrl;
      if (!upstream) throw new UsageError(`profile "${source.name}" has no base URL to proxy`);
      // The signer checked its URL's scheme when the profile was opened.
      const handle = await proxy.start({ source: source.signer, upstream, allowInsecureHttp: true });
      try {
        return await run(command, args, { [envName ?? KALLIOPE_VARIABLE]: handle.url });
      } finally {
        await handle.close();
      }
    }
    const credential = await credentialFor(source.manager, tokenType, { minValiditySeconds });
    const name = envName ?? defaultEnvName(credential.kind);
    // The program gets the token, not the key: it must prove possession itself (as for `token`).
    const note = dpopNote(credential, 'raw', tokenType);
    if (note) info(note);
    return () => run(command, args, { [name]: tokenOf(credential, tokenType) });
  });
  // A token travels in the environment: the source (a Redis connection) need not stay open meanwhile.
  process.exitCode = typeof status === 'function' ? await status() : status;
}

/** Run the command with `extra` added to this environment; resolves with its exit status. */
function run(command: string, args: string[], extra: Record<string, string>): Promise<number> {
  return new Promise<number>((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...extra } });
    let settled = false;
    const forward = (signal: NodeJS.Signals) => {
      child.kill(signal);
    };
    for (const signal of FORWARDED) process.on(signal, forward);
    const finish = (status: number) => {
      if (settled) return;
      settled = true;
      for (const signal of FORWARDED) process.off(signal, forward);
      resolve(status);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      // The shell's statuses: 127 not found, 126 found but not runnable.
      const status = err.code === 'ENOENT' ? 127 : 126;
      info(`tokensmith: cannot run ${JSON.stringify(command)}: ${err.code ?? err.message}`);
      finish(status);
    });
    child.on('exit', (code, signal) => {
      finish(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
