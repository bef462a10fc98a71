/**
 * Issue 14 item 1: kubectl runs `tokensmith token --format exec-credential` as its exec credential
 * plugin. The real kubectl (Debian's `kubernetes-client`, or any kubectl on PATH; TOKENSMITH_KUBECTL
 * names another) talks to a loopback HTTPS "API server" that trusts only the test certificate and
 * checks the bearer token: an access token by introspection at the OIDC emulator, an ID token by its
 * signature and claims, as the Kubernetes OIDC authenticator does.
 *
 * Debian bookworm's kubectl is 1.20, which knows `client.authentication.k8s.io/v1beta1` but not v1
 * (added in 1.22): with it, v1 is tested by running the CLI with the KUBERNETES_EXEC_INFO that a
 * newer kubectl sends, and v1beta1 through kubectl itself.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { cliArgs, cliEnv, repoRoot, runCli } from '../../../test/helpers/cli.js';
import { introspect } from '../../../test/helpers/introspect.js';
import { profileHome } from '../../../test/helpers/profile-home.js';
import { testTls } from '../../../test/security/hostile-server.js';

const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';

/** The kubectl to drive: TOKENSMITH_KUBECTL, else the first on PATH; a missing one fails the run naming the package. */
function findKubectl(): string {
  if (process.env.TOKENSMITH_KUBECTL) return process.env.TOKENSMITH_KUBECTL;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir, 'kubectl');
    try {
      execFileSync(file, ['version', '--client', '-o', 'json'], { stdio: 'pipe' });
      return file;
    } catch {
      // not here
    }
  }
  throw new Error(
    'kubectl is not installed: the kubectl test needs it (Debian package kubernetes-client; `node scripts/provision.js` installs it)',
  );
}

/** kubectl's client minor version (1.20 → 20). */
function kubectlMinor(kubectl: string): number {
  const out = execFileSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  const minor = (JSON.parse(out) as { clientVersion: { minor: string } }).clientVersion.minor;
  return Number.parseInt(minor, 10);
}

interface Seen {
  path: string;
  token: string | undefined;
}

/** The one bearer token kubectl sent with its requests, after checking it asked for `/api` with it. */
function onlyToken(seen: Seen[]): string {
  assert.ok(
    seen.some((s) => s.path === '/api'),
    JSON.stringify(seen.map((s) => s.path)),
  );
  const tokens = new Set(seen.map((s) => s.token));
  assert.equal(tokens.size, 1, 'one token for every request');
  const [token] = tokens;
  assert.ok(token);
  return token;
}

/** A loopback HTTPS server answering `/api` like a Kubernetes API server, for accepted bearer tokens only. */
async function startApiServer(accept: (token: string) => Promise<boolean>) {
  const seen: Seen[] = [];
  const tls = testTls();
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, async (req, res) => {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    seen.push({ path: req.url ?? '', token });
    if (!token || !(await accept(token).catch(() => false))) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'Unauthorized',
          reason: 'Unauthorized',
          code: 401,
        }),
      );
      return;
    }
    if (req.url === '/api') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
        }),
      );
      return;
    }
    if (req.url?.startsWith('/version')) {
      // Some kubectl builds (Google's dispatcher) ask for the server version first.
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A kubeconfig whose user runs the CLI (from source or built, as the tests run) with `args`. */
function kubeconfig(dir: string, server: string, apiVersion: string, args: string[], mode = 'IfAvailable') {
  const ca = Buffer.from(testTls().cert).toString('base64');
  const command = [...cliArgs(), ...args];
  const file = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}.yaml`);
  // JSON is YAML: no quoting questions for the paths and arguments.
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': ca } }],
      users: [
        {
          name: 'tokensmith',
          user: {
            exec: {
              apiVersion,
              command: process.execPath,
              args: command,
              interactiveMode: mode,
              provideClusterInfo: false,
            },
          },
        },
      ],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'tokensmith' } }],
      'current-context': 'test',
    }),
  );
  return file;
}

/** Run kubectl to its end (stdin closed, so kubectl sees no terminal). */
function runKubectl(kubectl: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    // cwd: the repository, where `--import tsx` and TSX_TSCONFIG_PATH resolve for a CLI run from source.
    const child = spawn(kubectl, args, {
      cwd: repoRoot,
      env: cliEnv({ env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('kubectl exec credential plugin (real kubectl, loopback HTTPS API server)', () => {
  let emu: OidcEmulator;
  let kubectl: string;
  let minor: number;
  let env: Record<string, string>;
  let dir: string;
  let accessApi: Awaited<ReturnType<typeof startApiServer>>;
  let idApi: Awaited<ReturnType<typeof startApiServer>>;

  before(async () => {
    kubectl = findKubectl();
    minor = kubectlMinor(kubectl);
    emu = await startOidcEmulator({ deviceCodeTtl: 30 });
    const home = profileHome(
      `[profiles.svc]
type = "oauth2"
issuer = "${emu.issuer}"
client_id = "${emu.clients.confidential.clientId}"
client_secret = "env:SVC_SECRET"

[profiles.alice]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "password"
client_id = "${emu.clients.confidential.clientId}"
client_secret = "env:SVC_SECRET"
username = "alice"
password = "env:ALICE_PW"
scope = "openid profile"

[profiles.laptop]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "device_code"
client_id = "${emu.clients.public.clientId}"
scope = "openid"
`,
      'tokensmith-kubectl-',
    );
    dir = home.dir;
    env = {
      ...home.env,
      SVC_SECRET: emu.clients.confidential.clientSecret,
      ALICE_PW: emu.users[0]!.password,
      // kubectl keeps its caches under $HOME/.kube: a private one.
      HOME: mkdtempSync(join(tmpdir(), 'tokensmith-kube-home-')),
    };
    // The access token must be one the emulator issued to the service client and still active.
    accessApi = await startApiServer(async (token) => {
      const info = await introspect(emu, token);
      return info.active && info.client_id === emu.clients.confidential.clientId;
    });
    // The ID token must be signed by the issuer for this client, as kube-apiserver's --oidc-* flags check.
    const discovery = (await (await fetch(`${emu.issuer}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
    };
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    idApi = await startApiServer(async (token) => {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: emu.issuer,
        audience: emu.clients.confidential.clientId,
      });
      return payload.sub !== undefined;
    });
  });
  after(async () => {
    await accessApi?.close();
    await idApi?.close();
    await emu?.close();
  });

  const get = (config: string) => runKubectl(kubectl, ['--kubeconfig', config, 'get', '--raw', '/api'], env);

  it(`v1beta1: \`kubectl get --raw /api\` sends the profile's access token`, async () => {
    accessApi.seen.length = 0;
    const config = kubeconfig(dir, accessApi.url, V1BETA1, [
      'token',
      '-p',
      'svc',
      '--format',
      'exec-credential',
    ]);
    const run = await get(config);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).versions, ['v1']);
    assert.match(onlyToken(accessApi.seen), /^[\w-]{20,}$/);
  });

  it('v1: through kubectl ≥ 1.22, or with the KUBERNETES_EXEC_INFO it sends when kubectl is older', async () => {
    accessApi.seen.length = 0;
    const args = ['token', '-p', 'svc', '--format', 'exec-credential'];
    if (minor >= 22) {
      const run = await get(kubeconfig(dir, accessApi.url, V1, args));
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout).versions, ['v1']);
      assert.match(onlyToken(accessApi.seen), /^[\w-]{20,}$/);
      return;
    }
    const info = JSON.stringify({ kind: 'ExecCredential', apiVersion: V1, spec: { interactive: false } });
    const run = await runCli(args, { env: { ...env, KUBERNETES_EXEC_INFO: info } });
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout);
    assert.equal(doc.apiVersion, V1);
    assert.equal(doc.kind, 'ExecCredential');
    const introspected = await introspect(emu, doc.status.token);
    assert.equal(introspected.active, true);
  });

  it('--token-type id: the API server gets a signed ID token for the client (the OIDC authenticator)', async () => {
    idApi.seen.length = 0;
    const apiVersion = minor >= 22 ? V1 : V1BETA1;
    const config = kubeconfig(dir, idApi.url, apiVersion, [
      'token',
      '-p',
      'alice',
      '--format',
      'exec-credential',
      '--token-type',
      'id',
    ]);
    const run = await get(config);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).versions, ['v1']);
    assert.equal(onlyToken(idApi.seen).split('.').length, 3, 'a JWT');
  });

  it('interactiveMode Never with a device-login profile and no login: kubectl fails at once with ERR_LOGIN_REQUIRED', async () => {
    accessApi.seen.length = 0;
    const before = emu.stats.tokenRequests;
    const apiVersion = minor >= 22 ? V1 : V1BETA1;
    const config = kubeconfig(
      dir,
      accessApi.url,
      apiVersion,
      ['token', '-p', 'laptop', '--format', 'exec-credential'],
      'Never',
    );
    const run = await get(config);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /tokensmith: ERR_LOGIN_REQUIRED: /);
    assert.doesNotMatch(run.stderr, /To sign in/);
    assert.equal(emu.stats.tokenRequests, before, 'no device polling');
    assert.equal(accessApi.seen.length, 0, 'nothing sent to the API server');
  });
});

describe('--format exec-credential answers in the apiVersion kubectl asks for', () => {
  let emu: OidcEmulator;
  let base: string[];
  let env: Record<string, string>;
  before(async () => {
    emu = await startOidcEmulator();
    env = { CS: emu.clients.confidential.clientSecret };
    base = [
      'token',
      '--issuer',
      emu.issuer,
      '--client-id',
      emu.clients.confidential.clientId,
      '--client-secret-env',
      'CS',
      '--no-cache',
      '--format',
      'exec-credential',
    ];
  });
  after(() => emu.close());

  const info = (apiVersion: string, spec: Record<string, unknown> = { interactive: false }) =>
    JSON.stringify({ kind: 'ExecCredential', apiVersion, spec });

  for (const [label, value, expected] of [
    ['v1beta1 (kubectl 1.20 sends an empty spec)', info(V1BETA1, {}), V1BETA1],
    ['v1beta1 with spec.interactive', info(V1BETA1), V1BETA1],
    ['v1', info(V1), V1],
    ['no KUBERNETES_EXEC_INFO (run by hand)', undefined, V1],
  ] as const) {
    it(`${label} → ${expected}`, async () => {
      const run = await runCli(base, { env: { ...env, KUBERNETES_EXEC_INFO: value } });
      assert.equal(run.code, 0, run.stderr);
      const doc = JSON.parse(run.stdout);
      assert.deepEqual(Object.keys(doc).sort(), ['apiVersion', 'kind', 'status']);
      assert.equal(doc.apiVersion, expected);
      assert.equal(doc.kind, 'ExecCredential');
      assert.deepEqual(Object.keys(doc.status).sort(), ['expirationTimestamp', 'token']);
    });
  }

  it('an apiVersion it cannot answer in, or unreadable KUBERNETES_EXEC_INFO, is a configuration error (exit 2)', async () => {
    const old = await runCli(base, {
      env: { ...env, KUBERNETES_EXEC_INFO: info('client.authentication.k8s.io/v1alpha1') },
    });
    assert.equal(old.code, 2);
    assert.equal(old.stdout, '');
    assert.match(
      old.stderr,
      /^tokensmith: ERR_CONFIG_INVALID: KUBERNETES_EXEC_INFO asks for apiVersion "client\.authentication\.k8s\.io\/v1alpha1"; use client\.authentication\.k8s\.io\/v1 or v1beta1 in the kubeconfig\n/,
    );
    const garbled = await runCli(base, { env: { ...env, KUBERNETES_EXEC_INFO: '{not json' } });
    assert.equal(garbled.code, 2);
    assert.match(
      garbled.stderr,
      /^tokensmith: ERR_CONFIG_INVALID: KUBERNETES_EXEC_INFO is not an ExecCredential JSON object\n/,
    );
  });
});
