/**
 * `npm run bench`: runs every bench module in turn and prints one table. Compiled to
 * dist/bench/index.js; modules that spawn processes find their compiled workers next to them.
 * `node dist/bench/index.js NAME...` runs only the named modules (e.g. `lookups refresh-ahead`).
 * @module
 */
import { cacheLookups } from './cache-lookups.js';
import { cliStartup } from './cli-startup.js';
import { peerLookups, peerStampede } from './peers.js';
import { proxyMemory, proxyThroughput } from './proxy.js';
import { refreshAhead } from './refresh-ahead.js';

/** One line of the benchmark table. */
export interface BenchRow {
  /** Which bench module produced it. */
  bench: string;
  /** What was measured. */
  case: string;
  /** The figure, formatted with its unit. */
  result: string;
  /** Context for reading the figure. */
  note?: string;
}

/** A bench module: runs its measurements and returns rows for the shared table. */
export interface BenchModule {
  name: string;
  run(): Promise<BenchRow[]>;
}

/** Modules that run only when named (they take minutes): `npm run bench -- proxy-memory`. */
const onRequest: BenchModule[] = [proxyMemory];

const modules: BenchModule[] = [
  peerLookups,
  cacheLookups,
  peerStampede,
  refreshAhead,
  proxyThroughput,
  cliStartup,
];

/** Format rows as a plain-text table with aligned columns. */
export function formatTable(rows: BenchRow[]): string {
  const header = { bench: 'bench', case: 'case', result: 'result', note: 'note' };
  const all = [header, ...rows];
  const width = (k: keyof BenchRow) => Math.max(...all.map((r) => (r[k] ?? '').length));
  const cols: Array<keyof BenchRow> = ['bench', 'case', 'result', 'note'];
  const line = (r: BenchRow) =>
    cols
      .map((k) => (k === 'result' ? (r[k] ?? '').padStart(width(k)) : (r[k] ?? '').padEnd(width(k))))
      .join('  ')
      .trimEnd();
  const rule = cols.map((k) => '-'.repeat(width(k))).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const known = [...modules, ...onRequest];
  const unknown = only.filter((name) => !known.some((m) => m.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown bench module(s): ${unknown.join(', ')}; known: ${known.map((m) => m.name).join(', ')}`,
    );
  }
  const rows: BenchRow[] = [];
  const chosen = only.length === 0 ? modules : known.filter((m) => only.includes(m.name));
  for (const m of chosen) {
    process.stderr.write(`running ${m.name}...\n`);
    try {
      rows.push(...(await m.run()));
    } catch (err) {
      rows.push({
        bench: m.name,
        case: 'failed',
        result: '-',
        note: err instanceof Error ? err.message : String(err),
      });
      process.exitCode = 1;
    }
  }
  process.stdout.write(`${formatTable(rows)}\n`);
}

await main();
