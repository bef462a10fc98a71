import { runDemo } from '../demo/run.js';
import { EXIT, info, out, useColor } from '../io.js';

/** `tokensmith demo`: run every flow against the built-in emulators and print a summary table. */
export async function demoCommand(flags: { json?: boolean }): Promise<void> {
  info('tokensmith demo: starting the emulators on 127.0.0.1 and running each flow…');
  const results = await runDemo((r) => info(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.step}`));
  if (flags.json) {
    out(JSON.stringify(results));
  } else {
    const color = useColor() && !!process.stdout.isTTY;
    const mark = (ok: boolean) =>
      color ? (ok ? '\x1b[32mPASS\x1b[0m' : '\x1b[31mFAIL\x1b[0m') : ok ? 'PASS' : 'FAIL';
    const width = Math.max(...results.map((r) => r.step.length), 4);
    const lines = [
      `${'Step'.padEnd(width)}  Result  Time     Detail`,
      `${'-'.repeat(width)}  ------  -------  ${'-'.repeat(40)}`,
      ...results.map(
        (r) =>
          `${r.step.padEnd(width)}  ${mark(r.ok)}    ${`${r.ms.toFixed(0)} ms`.padStart(7)}  ${r.detail}`,
      ),
    ];
    const passed = results.filter((r) => r.ok).length;
    lines.push('', `${passed}/${results.length} steps passed`);
    out(lines.join('\n'));
  }
  process.exitCode = results.every((r) => r.ok) ? EXIT.ok : EXIT.failure;
}
