import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildProgram } from '@tokensmith/cli/internal/program.js';
import { type Command, CommanderError } from 'commander';

/** What the parser made of an argv: the command path, its arguments and its options. */
interface Parsed {
  command: string;
  args: string[];
  opts: Record<string, unknown>;
}

const STOP = new Error('parsed');

/** Parse argv with the real command tree, stopping before any action runs. */
async function parse(argv: string[]): Promise<Parsed | CommanderError> {
  const program = buildProgram();
  const quiet = (cmd: Command) => {
    cmd.configureOutput({ writeErr: () => {}, writeOut: () => {} });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  let parsed: Parsed | undefined;
  program.hook('preAction', (_root, action) => {
    const names: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) names.unshift(c.name());
    parsed = { command: names.join(' '), args: action.args, opts: action.opts() };
    throw STOP;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err === STOP && parsed) return parsed;
    if (err instanceof CommanderError) return err;
    throw err;
  }
  assert.fail('no action was reached');
}

const OK: Array<[string[], string, Record<string, unknown>, string[]?]> = [
  [['token'], 'token', { format: 'raw', cache: true }],
  [
    ['token', '-p', 'dev', '--format', 'exec-credential'],
    'token',
    { profile: 'dev', format: 'exec-credential' },
  ],
  [
    [
      'token',
      '--issuer',
      'https://id',
      '--client-id',
      'c',
      '--client-secret-env',
      'S',
      '--grant',
      'password',
      '--username',
      'u',
      '--password-env',
      'P',
      '--scope',
      'a b',
      '--audience',
      'api',
      '--no-cache',
      '--force-refresh',
    ],
    'token',
    {
      issuer: 'https://id',
      clientId: 'c',
      clientSecretEnv: 'S',
      grant: 'password',
      username: 'u',
      passwordEnv: 'P',
      scope: 'a b',
      audience: 'api',
      cache: false,
      forceRefresh: true,
    },
  ],
  // The grant is checked against the grant registry when the command runs (ERR_CONFIG_INVALID), not by the parser.
  [['token', '--grant', 'implicit'], 'token', { grant: 'implicit' }],
  [
    ['token', '--grant', 'refresh_token', '--refresh-token-env', 'RT', '--subject-token-stdin'],
    'token',
    { grant: 'refresh_token', refreshTokenEnv: 'RT', subjectTokenStdin: true },
  ],
  [['token', '--config', '/tmp/c.toml', '--profile', 'x'], 'token', { config: '/tmp/c.toml', profile: 'x' }],
  [['login', '-p', 'dev', '--force', '--json'], 'login', { profile: 'dev', force: true, json: true }],
  [['logout', '--client', 'cli-app'], 'logout', { client: 'cli-app' }],
  [['status', '--json'], 'status', { json: true }],
  [['decode'], 'decode', {}, []],
  [
    ['decode', 'a.b.c', '--kaltura-secret-env', 'KS_SECRET', '--json'],
    'decode',
    { kalturaSecretEnv: 'KS_SECRET', json: true },
    ['a.b.c'],
  ],
  [
    ['request', 'https://api/x', '-X', 'PUT', '-H', 'A: 1', '-H', 'B: 2', '-d', '@-', '-i', '-p', 'p'],
    'request',
    { request: 'PUT', header: ['A: 1', 'B: 2'], data: '@-', include: true, profile: 'p' },
    ['https://api/x'],
  ],
  [
    ['proxy', '-p', 'p', '--upstream', 'https://api'],
    'proxy',
    { profile: 'p', upstream: 'https://api', listen: '127.0.0.1:0' },
  ],
  [
    ['proxy', '-p', 'p', '--upstream', 'https://api', '--listen', '127.0.0.1:8080', '--json'],
    'proxy',
    { listen: '127.0.0.1:8080', json: true },
  ],
  [
    ['kalliope', 'header', '--url', 'https://pbx/t', '--json'],
    'kalliope header',
    { url: 'https://pbx/t', passwordEnv: 'KALLIOPE_PASSWORD', json: true },
  ],
  [['emulate', 'oidc', '--port', '0'], 'emulate oidc', { port: '0', accessTokenTtl: '300' }],
  [['emulate', 'oidc', '--realm', 'nagra', '--json'], 'emulate oidc', { realm: 'nagra', json: true }],
  [
    ['emulate', 'kalliope'],
    'emulate kalliope',
    { port: '0', host: '127.0.0.1', domain: 'default', username: 'admin' },
  ],
  [['demo', '--json'], 'demo', { json: true }],
];

const USAGE: Array<[string[], RegExp]> = [
  [['token', '--format', 'yaml'], /Allowed choices are raw, json, header, env, exec-credential/],
  [['token', '--refresh-token', 'x'], /unknown option '--refresh-token'/],
  [['token', '--password', 'hunter2'], /unknown option '--password'/],
  [['token', '--client-secret', 'x'], /unknown option '--client-secret'/],
  [['request'], /missing required argument 'url'/],
  [['proxy', '-p', 'p'], /required option '--upstream <url>' not specified/],
  [['kalliope', 'header'], /required option '--url <url>' not specified/],
  [['frobnicate'], /unknown command 'frobnicate'/],
];

describe('argv → options for every command', () => {
  for (const [argv, command, expected, args] of OK) {
    it(`tokensmith ${argv.join(' ')}`, async () => {
      const result = await parse(argv);
      assert.ok(!(result instanceof CommanderError), `usage error: ${(result as Error).message}`);
      assert.equal(result.command, command);
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(result.opts[k], v, `option ${k}`);
      if (args) assert.deepEqual(result.args, args);
    });
  }
  for (const [argv, message] of USAGE) {
    it(`refuses tokensmith ${argv.join(' ')}`, async () => {
      const result = await parse(argv);
      assert.ok(result instanceof CommanderError, 'expected a usage error');
      assert.equal(result.exitCode, 1);
      assert.match(result.message, message);
    });
  }

  it('every command has a description and --help', async () => {
    const program = buildProgram();
    const walk = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(walk)];
    const all = walk(program).slice(1);
    assert.ok(all.length >= 20, `only ${all.length} commands`);
    for (const cmd of all) assert.ok(cmd.description().length > 10, `${cmd.name()} has no description`);
    const help = await parse(['token', '--help']);
    assert.ok(help instanceof CommanderError);
    assert.equal(help.code, 'commander.helpDisplayed');
    assert.equal(help.exitCode, 0);
  });
});
