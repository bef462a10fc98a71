#!/usr/bin/env node
// First step of `npm run build`: remove every dist/ (the root's tests and each package's build), so nothing deleted from the sources (a test, a module)
// lives on as stale compiled output that `npm test` would still run.
import { rmSync } from 'node:fs';

for (const dir of [
  '../dist',
  '../packages/tokensmith/dist',
  '../packages/emulators/dist',
  '../packages/cli/dist',
]) {
  rmSync(new URL(dir, import.meta.url), { recursive: true, force: true });
}
