#!/usr/bin/env node
/**
 * The `tokensmith` command. Only this file exits. `token` and the git credential helper's `get` are
 * first offered to the fast path (fast/run.ts), which answers from a warm cache with a handful of
 * modules; everything else, and whatever the fast path declines, goes to the full command tree, whose
 * command modules are imported when their command runs.
 */
import type { FastOutcome } from './fast/run.js';

/**
 * The fast path as the build bundles it (`npm run build` writes dist/fast-bundle/: one file to load
 * instead of ~40 modules, about 15 ms less per run), else its modules as compiled or as sources.
 */
const FAST_BUNDLE: string = './fast-bundle/run.js';

const fast = await runFast();
if (fast.answered) {
  process.exitCode = fast.exitCode;
} else {
  // The fast path read git's request from stdin: the full path reads the same text again.
  if (fast.stdin !== undefined) await replayStdin(`${fast.stdin}\n\n`);
  await runFull();
}

/**
 * Offer the command line to the fast path; if it cannot even load, the full path runs.
 * `TOKENSMITH_NO_FAST_PATH=1` skips it (to rule it out when something looks wrong; tests compare both).
 */
async function runFast(): Promise<FastOutcome> {
  if (process.env.TOKENSMITH_NO_FAST_PATH === '1') return { answered: false };
  // Other commands need not pay for loading it.
  const command = process.argv[2];
  if (command !== 'token' && command !== 'git-credential') return { answered: false };
  try {
    const fastPath = (await import(FAST_BUNDLE).catch((err: { code?: string }) => {
      // Node's code for a missing file (written as in core/optional-dependency.ts: not one of ours).
      if (!/^ERR_MODULE_NOT_FOUND$/.test(String(err.code))) throw err;
      return import('./fast/run.js');
    })) as typeof import('./fast/run.js');
    return await fastPath.runFast(process.argv.slice(2));
  } catch {
    return { answered: false };
  }
}

/** Parse `process.argv` with the full command tree and run the command, setting the exit code. */
async function runFull(): Promise<void> {
  const [{ CommanderError }, { EXIT, reportError }, { buildProgram }] = await Promise.all([
    import('commander'),
    import('./io.js'),
    import('./program.js'),
  ]);
  try {
    await buildProgram().parseAsync(process.argv);
    process.exitCode ??= EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with exitCode 0; everything else from the parser is a usage error.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else {
      process.exitCode = reportError(err);
    }
  }
}

/** Make `process.stdin` a stream that yields `text` and ends. */
async function replayStdin(text: string): Promise<void> {
  const { PassThrough } = await import('node:stream');
  const stream = new PassThrough();
  stream.end(text);
  Object.defineProperty(process, 'stdin', { value: stream, configurable: true, writable: true });
}
