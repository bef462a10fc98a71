#!/usr/bin/env node
/**
 * First step of `npm test`: the programs the suite needs from outside npm. Each is checked; when
 * some are missing, they are installed from Debian with `apt-get` if this process may (root, with
 * apt-get on PATH), and otherwise the run stops at once, naming the command to run. When everything
 * is present it exits without calling apt at all.
 *
 *   node scripts/provision.js            check, install what is missing (or stop)
 *   node scripts/provision.js --dry-run  check and say what would be done; install nothing
 *
 * TOKENSMITH_PROVISION_MISSING=chromium,curl treats those packages as missing (to try the messages
 * on a machine that has them; use it with --dry-run).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Whether `file` exists and is executable. */
function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether `name` is an executable on PATH. */
function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, name)));
}

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** What the suite runs that npm does not bring, and the Debian package that provides it. */
const NEEDS = [
  {
    pkg: 'chromium',
    why: `the browser-login test drives it with playwright-core (${chromium})`,
    present: () => executable(chromium),
  },
  {
    pkg: 'redis-server',
    why: 'the Redis cache tests start their own',
    present: () => onPath('redis-server'),
  },
  { pkg: 'curl', why: 'the shell test sends $(tokensmith token) with it', present: () => onPath('curl') },
  {
    pkg: 'openssl',
    why: 'the security and TLS tests make their test certificates and CAs with it',
    present: () => onPath('openssl'),
  },
  {
    pkg: 'git',
    why: 'the git credential helper test runs git ls-remote and clone against git http-backend',
    present: () => onPath('git'),
  },
  {
    pkg: 'kubernetes-client',
    why: 'the kubectl test runs kubectl with tokensmith as its exec credential plugin',
    present: () => onPath('kubectl'),
  },
  {
    pkg: 'nginx',
    why: 'npm run bench proxy measures the proxy next to it (one worker, proxy_pass)',
    present: () => executable('/usr/sbin/nginx') || onPath('nginx'),
  },
];

const dryRun = process.argv.includes('--dry-run');
const pretend = new Set(
  (process.env.TOKENSMITH_PROVISION_MISSING ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const missing = NEEDS.filter((n) => pretend.has(n.pkg) || !n.present());

if (missing.length === 0) {
  console.error(`test prerequisites present: ${NEEDS.map((n) => n.pkg).join(', ')}`);
  process.exit(0);
}

const packages = missing.map((n) => n.pkg);
const list = missing.map((n) => `  ${n.pkg.padEnd(13)} ${n.why}`).join('\n');
const hasApt = onPath('apt-get');
const mayInstall = hasApt && process.getuid?.() === 0;

if (!mayInstall) {
  const how = hasApt
    ? 'npm test installs them itself when run as root; otherwise install them with:'
    : 'apt-get was not found; on Debian or Ubuntu install them with the command below, elsewhere with your package manager (set CHROMIUM_PATH to the browser):';
  console.error(
    `npm test needs programs that are not installed:\n${list}\n${how}\n\n  sudo apt-get install -y ${packages.join(' ')}\n\nthen run npm test again.`,
  );
  process.exit(1);
}

const steps = [
  ['apt-get', ['update', '-qq']],
  ['apt-get', ['install', '-y', '-qq', ...packages]],
];
console.error(`npm test needs programs that are not installed:\n${list}\ninstalling them from Debian:`);
for (const [command, args] of steps) {
  console.error(`  ${command} ${args.join(' ')}`);
  if (dryRun) continue;
  const run = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (run.status !== 0) {
    console.error(
      `\`${command} ${args.join(' ')}\` failed (exit ${run.status ?? run.signal}); install by hand:`,
    );
    console.error(`  sudo apt-get install -y ${packages.join(' ')}`);
    process.exit(1);
  }
}
if (dryRun) {
  console.error('(dry run: nothing installed)');
  process.exit(0);
}
const still = missing.filter((n) => !n.present());
if (still.length > 0) {
  console.error(`still missing after the install: ${still.map((n) => `${n.pkg} (${n.why})`).join(', ')}`);
  process.exit(1);
}
console.error(`installed: ${packages.join(', ')}`);
