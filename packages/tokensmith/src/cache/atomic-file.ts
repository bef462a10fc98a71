import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Replace `target` with `text` so that a reader sees the old content or the new, never a part: write
 * the temp file `temp` (same folder, created exclusively, mode 0600, fsync), rename it over `target`,
 * then sync the folder. The temp file is removed when anything fails, and the error is thrown.
 * Used by the file cache and by the CLI's token files.
 */
export async function writeFileAtomic(target: string, temp: string, text: string): Promise<void> {
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      // The umask can only narrow 0600; chmod states it whatever the umask.
      await handle.chmod(0o600);
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDir(dirname(target));
}

/** Make a rename durable: without it a power loss may forget the new directory entry. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on directories; the rename itself is still atomic.
  }
}
