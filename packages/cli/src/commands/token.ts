import { credentialFor } from 'tokensmith/internal/core/token-type.js';
import type { SourceFlags } from '../credential-source.js';
import { info, out, UsageError } from '../io.js';
import { parseMinValidity } from '../min-validity.js';
import {
  dpopNote,
  execInfo,
  formatToken,
  parseEnvName,
  parseTokenFormat,
  parseTokenType,
} from '../token-format.js';
import type { TokenFile } from '../watch/token-file.js';
import { signOnce, withSource } from '../with-source.js';

/** Flags of `tokensmith token`. */
export interface TokenFlags extends SourceFlags {
  format: string;
  forceRefresh?: boolean;
  /** `access` (default) or `id`. */
  tokenType?: string;
  /** Variable name for `--format env`. */
  env?: string;
  /** Write the token to this file (atomically, mode 0600) instead of stdout. */
  output?: string;
  /** With `output`: keep the file fresh until SIGTERM or SIGINT. */
  watch?: boolean;
  /** `--min-validity SECONDS`: a token valid at least this long. */
  minValidity?: string;
}

/**
 * `tokensmith token`: print a valid token, and nothing else, on stdout (or write it to `--output`,
 * and with `--watch` keep rewriting it before it expires). For a Kalliope profile (no reusable
 * token) it prints a fresh `X-authenticate` header value for one request.
 */
export async function tokenCommand(flags: TokenFlags): Promise<void> {
  const format = parseTokenFormat(flags.format);
  const minValiditySeconds = parseMinValidity(flags.minValidity);
  const tokenType = parseTokenType(flags.tokenType);
  const envName = flags.env === undefined ? undefined : parseEnvName(flags.env);
  if (flags.watch && !flags.output) throw new UsageError('--watch needs --output FILE');
  if (envName !== undefined && format !== 'env') throw new UsageError('--env goes with --format env');
  // kubectl says which ExecCredential version to answer in, and whether a person can answer prompts.
  const kube = format === 'exec-credential' ? execInfo() : undefined;
  const render = { tokenType, envName, execInfo: kube };
  // On stderr, once (a watch renders many times): stdout keeps the token and nothing else.
  let noted = false;
  const noteOnce = (note: string | undefined) => {
    if (note === undefined || noted) return;
    noted = true;
    info(note);
  };
  await withSource(
    flags,
    async (source) => {
      if (source.kind === 'signer') {
        if (format === 'env' || format === 'exec-credential' || tokenType === 'id' || flags.output) {
          const what = flags.output
            ? '--output'
            : tokenType === 'id'
              ? '--token-type id'
              : `--format ${format}`;
          throw new UsageError(
            `${what} needs a token; profile "${source.name}" signs each request (use \`tokensmith exec\` or \`tokensmith proxy\`)`,
          );
        }
        const headers = await signOnce(source.signer);
        const [name, value] = Object.entries(headers)[0] ?? ['', ''];
        out(format === 'raw' ? value : format === 'json' ? JSON.stringify({ headers }) : `${name}: ${value}`);
        return;
      }
      if (flags.output) {
        const [{ TokenFile }, { watchToken }] = await Promise.all([
          import('../watch/token-file.js'),
          import('../watch/watch-token.js'),
        ]);
        const file = new TokenFile(flags.output);
        if (!flags.watch) {
          const credential = await credentialFor(source.manager, tokenType, {
            forceRefresh: flags.forceRefresh,
            minValiditySeconds,
          });
          const text = formatToken(credential, format, render);
          noteOnce(dpopNote(credential, format, tokenType));
          await file.write(text);
          return;
        }
        await untilStopped(file, (signal) =>
          watchToken({
            manager: source.manager,
            tokenType,
            file,
            render: (credential) => {
              const text = formatToken(credential, format, render);
              noteOnce(dpopNote(credential, format, tokenType));
              return text;
            },
            signal,
            log: info,
          }),
        );
        return;
      }
      const credential = await credentialFor(source.manager, tokenType, {
        forceRefresh: flags.forceRefresh,
        minValiditySeconds,
      });
      out(formatToken(credential, format, render));
      noteOnce(dpopNote(credential, format, tokenType));
    },
    { interactive: kube?.interactive },
  );
}

/**
 * Run the watch until SIGTERM or SIGINT, which end it cleanly: a renewal in flight is aborted, a
 * write in flight finishes, then the command returns (exit 0) with the file kept and no temp file
 * of ours left.
 */
async function untilStopped(file: TokenFile, run: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    received ??= signal;
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await run(stop.signal);
  } catch (err) {
    // A signal during the first login or renewal aborts it: that is a clean stop too.
    if (!received) throw err;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    file.removeTemps();
  }
  if (received) info(`tokensmith: stopped on ${received}; ${file.path} kept`);
}
