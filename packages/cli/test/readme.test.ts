import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildProgram } from '@tokensmith/cli/internal/program.js';
import type { Command } from 'commander';

// Tests run from the repository root (npm test, node --test).
const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');

describe('README stays true to the CLI', () => {
  it('every `tokensmith <command>` and flag in the README exists', () => {
    const program = buildProgram();
    const find = (cmd: Command, name: string) => cmd.commands.find((c) => c.name() === name);
    const lines = readme.split('\n').filter((l) => /^tokensmith [a-z]/.test(l.trim()));
    assert.ok(lines.length >= 10, `only ${lines.length} example lines`);
    for (const line of lines) {
      const words = line.trim().split(/\s+/);
      const top = find(program, words[1]!);
      assert.ok(top, `README mentions unknown command: ${line}`);
      const flags = new Set(
        [top, ...top.commands].flatMap((c) => c.options.flatMap((o) => [o.long, o.short])),
      );
      for (const w of words.slice(2)) {
        const flag = /^(--?[a-z][\w-]*)/.exec(w)?.[1];
        if (flag && !w.startsWith('--format') && flag !== '-') {
          assert.ok(
            flags.has(flag),
            `README uses ${flag}, which \`tokensmith ${words[1]}\` does not have: ${line}`,
          );
        }
      }
    }
  });
});
