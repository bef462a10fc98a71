/**
 * `out()` for the fast path: the same bytes on stdout (the text and one line break), written with
 * `fs.writeSync` so that the run loads no stream module (process.stdout builds a net.Socket or a
 * SyncWriteStream on first use, a dozen internal modules). Whatever writeSync cannot finish (a full
 * pipe, a closed one) goes to process.stdout.write, which behaves exactly as the full path's `out()`.
 */
import { writeSync } from 'node:fs';

/** Write `text` to stdout, ending it with a line break when it has none (io.ts's `out`). */
export function writeOut(text: string): void {
  const bytes = Buffer.from(text.endsWith('\n') ? text : `${text}\n`, 'utf8');
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch {
    process.stdout.write(bytes.subarray(done));
  }
}
