import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from 'tokensmith/internal/cache/atomic-file.js';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';

/**
 * A token file for tools that read one (AWS `web_identity_token_file`, GCP file-sourced credentials,
 * Kubernetes-style projected tokens): each write goes to a temp file of ours in the same folder
 * (mode 0600, fsync), renamed over the file, so a reader sees the old token or the new one, never a
 * part. Only our own temp files are ever removed; the file itself stays when we stop.
 */
export class TokenFile {
  /** The file, as an absolute path. */
  readonly path: string;
  readonly #dir: string;
  /** Temp files being written now, removed by {@link removeTemps} if a write is cut short. */
  readonly #temps = new Set<string>();

  constructor(path: string) {
    this.path = resolve(path);
    this.#dir = dirname(this.path);
  }

  /** Replace the file's content with `text`, atomically; `ERR_CONFIG_INVALID` when the path cannot be written. */
  async write(text: string): Promise<void> {
    const temp = join(
      this.#dir,
      `.${basename(this.path)}.tokensmith-${process.pid}-${randomBytes(6).toString('hex')}.tmp`,
    );
    this.#temps.add(temp);
    try {
      await writeFileAtomic(this.path, temp, text);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new TokensmithError(
        'ERR_CONFIG_INVALID',
        `--output ${this.path}: cannot write the file (${reason})`,
        {
          cause: err,
        },
      );
    } finally {
      this.#temps.delete(temp);
    }
  }

  /** Remove the temp files of writes still in progress (the process is ending); never anything else. */
  removeTemps(): void {
    for (const temp of this.#temps) {
      try {
        unlinkSync(temp);
      } catch {
        // already renamed or gone
      }
    }
    this.#temps.clear();
  }
}
