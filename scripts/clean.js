#!/usr/bin/env node
// First step of `npm run build`: remove dist/, so nothing deleted from the sources (a test, a module)
// lives on as stale compiled output that `npm test` would still run.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
