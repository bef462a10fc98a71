import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../helpers/cli.js';

/**
 * Issue #13: the library works in a project that installed only `tokensmith` and its runtime
 * dependencies: no CLI, no emulators, no optional peers. The project is made by hand (the built
 * package copied, its dependencies linked from this checkout), so no registry is needed.
 */
describe('the tokensmith package on its own', () => {
  let project: string;
  before(() => {
    project = mkdtempSync(join(tmpdir(), 'tokensmith-alone-'));
    const modules = join(project, 'node_modules');
    mkdirSync(modules);
    const lib = join(repoRoot, 'packages', 'tokensmith');
    const manifest = JSON.parse(readFileSync(join(lib, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    // A copy, not a link: resolution must start inside the project, where only these packages are.
    cpSync(join(lib, 'package.json'), join(modules, 'tokensmith', 'package.json'));
    cpSync(join(lib, 'dist'), join(modules, 'tokensmith', 'dist'), { recursive: true });
    for (const dep of Object.keys(manifest.dependencies)) {
      symlinkSync(join(repoRoot, 'node_modules', dep), join(modules, dep));
    }
  });
  after(() => rmSync(project, { recursive: true, force: true }));

  const run = (code: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: project, encoding: 'utf8' });

  it('has exactly the three runtime dependencies the issue allows', () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'packages/tokensmith/package.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.dependencies).sort(), ['jose', 'oauth4webapi', 'undici']);
    assert.deepEqual(Object.keys(manifest.peerDependenciesMeta).sort(), ['@napi-rs/keyring', 'ioredis']);
  });

  it('import { TokenManager, oauth2 } from "tokensmith" works', () => {
    const r = run(
      "import { TokenManager, oauth2, authFetch } from 'tokensmith'; console.log(typeof TokenManager, typeof oauth2.clientCredentials, typeof authFetch);",
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'function function function');
  });

  it('RedisCache without ioredis fails with ERR_DEPENDENCY_MISSING naming the package', () => {
    const r = run(
      "import { RedisCache } from 'tokensmith'; try { await new RedisCache({ url: 'redis://127.0.0.1:1' }).get('k'); console.log('no error'); } catch (e) { console.log(e.code + ' | ' + e.message); }",
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout.trim(),
      'ERR_DEPENDENCY_MISSING | RedisCache needs the optional package "ioredis", which is not installed: npm install ioredis',
    );
  });

  it('a keyring-held cache key without @napi-rs/keyring fails with ERR_DEPENDENCY_MISSING naming the package', () => {
    const r = run(
      "import { FileCache } from 'tokensmith'; const dir = process.cwd() + '/cache'; try { await new FileCache({ dir, encryptionKey: 'keyring' }).set('k', { kind: 'x' }); console.log('no error'); } catch (e) { console.log(e.code + ' | ' + e.message); }",
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout.trim(),
      /^ERR_DEPENDENCY_MISSING \| the OS keyring needs the optional package "@napi-rs\/keyring"/,
    );
  });
});
