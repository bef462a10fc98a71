import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Output of one CLI run. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const here = fileURLToPath(import.meta.url);
const compiled = here.includes('/dist/');
const root = here.slice(0, here.lastIndexOf(compiled ? '/dist/' : '/test/'));

const testCacheHome = mkdtempSync(join(tmpdir(), 'tokensmith-cli-test-'));

/** Command line that runs the CLI: the built one under `npm test`, the TypeScript source otherwise. */
export function cliArgs(): string[] {
  return compiled ? [`${root}/dist/src/cli/index.js`] : ['--import', 'tsx', `${root}/src/cli/index.ts`];
}

/** Run `tokensmith ...args` as a child process. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliArgs(), ...args], {
      // A private cache folder per test process, so runs never see a developer's own tokens.
      env: {
        ...process.env,
        TOKENSMITH_LOG: 'warn',
        NO_COLOR: '1',
        XDG_CACHE_HOME: testCacheHome,
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
