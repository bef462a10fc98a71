import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildProgram } from '@tokensmith/cli/internal/program.js';
import type { Command } from 'commander';
import { repoRoot, runCli } from '../../../test/helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'packages/cli/package.json'), 'utf8')) as {
  version: string;
};

describe('tokensmith --version', () => {
  it('prints the version of packages/cli/package.json and exits 0', async () => {
    for (const flag of ['--version', '-V']) {
      const run = await runCli([flag]);
      assert.equal(run.code, 0);
      assert.equal(run.stdout, `${pkg.version}\n`);
      assert.equal(run.stderr, '');
    }
  });
});

/** Every command of the tree with its path below `tokensmith` ('' for the program). */
function allCommands(cmd: Command, path = ''): Array<[string, Command]> {
  return [
    [path, cmd],
    ...cmd.commands.flatMap((c) => allCommands(c, path ? `${path} ${c.name()}` : c.name())),
  ];
}

describe('every --help has an example', () => {
  it('each command and subcommand ends its help with an "Example" section of tokensmith lines', () => {
    const commands = allCommands(buildProgram());
    assert.ok(commands.length >= 34, `only ${commands.length} commands`);
    for (const [path, cmd] of commands) {
      let text = '';
      cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
      cmd.outputHelp();
      const section = /\nExamples?:\n((?: {2}\$ .+\n)+)\n*$/.exec(text);
      assert.ok(section, `\`tokensmith ${path} --help\` has no Example section:\n${text}`);
      const lines = section[1]!.trim().split('\n');
      assert.ok(
        lines.some((l) => l.includes(`tokensmith ${path}`.trim())),
        `the example of \`tokensmith ${path}\` never runs it: ${lines.join(' | ')}`,
      );
    }
  });

  it('the real CLI prints it too (token --help)', async () => {
    const run = await runCli(['token', '--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /\nExamples:\n {2}\$ tokensmith token -p crm\n/);
    assert.match(run.stdout, /--browser-command <command>/);
  });
});
