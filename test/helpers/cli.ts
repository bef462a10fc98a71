import { spawn } from 'node:child_process';
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
      env: { ...process.env, TOKENSMITH_LOG: 'warn', NO_COLOR: '1', ...options.env },
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
