import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import { captureLogs } from './fixtures/logs.js';
import { spawnWorker } from './fixtures/spawn.js';
import { serialRecord } from './fixtures/worker-config.js';

const ITERATIONS = 200;
/** Two lanes (separate folders) run side by side: modest on a shared 2-core machine. */
const LANES = 2;
const logs = captureLogs();
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tokensmith-kill-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The serial of the complete entry in `file`; fails on anything torn or mixed. */
async function completeSerial(file: string): Promise<number> {
  const doc = JSON.parse(await readFile(file, 'utf8'));
  const n = doc.record?.meta?.serial;
  assert.equal(typeof n, 'number', 'the entry has its serial');
  assert.deepEqual(doc, { v: 1, key: 'kill-me', record: serialRecord(n) }, `entry ${n} is whole`);
  return n;
}

/** Kill writers at random moments, over and over, checking after each kill. */
async function lane(dir: string, iterations: number, stats: { old: number; newer: number }): Promise<void> {
  const cache = new FileCache({ dir });
  await cache.set('kill-me', serialRecord(0));
  let last = 0;
  for (let i = 0; i < iterations; i++) {
    const writer = spawnWorker({
      mode: 'write-loop',
      cache: { type: 'file', dir },
      key: 'kill-me',
      startSerial: last + 1,
    });
    await writer.waitFor('ready');
    // Uniform over a few write cycles, so kills land before the first write, inside one and between.
    await new Promise((r) => setTimeout(r, Math.random() * 12));
    writer.child.kill('SIGKILL');
    const { signal } = await writer.exited;
    assert.equal(signal, 'SIGKILL', writer.stderr());
    const serial = await completeSerial(cache.fileFor('kill-me'));
    assert.ok(
      serial === last || serial > last,
      `never older than the last complete entry (${serial} < ${last})`,
    );
    if (serial === last) stats.old++;
    else stats.newer++;
    last = serial;
    assert.equal((await cache.get('kill-me'))?.meta?.serial, serial, 'the cache reads it back');
  }
}

describe('FileCache writes', () => {
  it(`a writer killed at random points (${ITERATIONS} times) leaves the old or the new entry, never a torn file`, async () => {
    const stats = { old: 0, newer: 0 };
    const dirs = Array.from({ length: LANES }, (_, i) => join(root, `lane-${i}`));
    await Promise.all(dirs.map((dir) => lane(dir, ITERATIONS / LANES, stats)));
    assert.equal(stats.old + stats.newer, ITERATIONS);
    assert.equal(
      logs.filter((l) => l.includes('ERR_CACHE_CORRUPT')).length,
      0,
      'no corrupt entry was ever seen',
    );
    for (const dir of dirs) {
      await new FileCache({ dir }).keys(); // a fresh cache sweeps the temp files of dead writers
      assert.deepEqual(
        (await readdir(dir)).filter((n) => n.endsWith('.tmp')),
        [],
        'no temp file is left',
      );
    }
    // Not an assertion on timing: just what the random kills hit, for whoever reads the output.
    console.log(`kills: ${stats.old} left the previous entry, ${stats.newer} a newer one`);
  });
});
