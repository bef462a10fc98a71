import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, as PEM text and as files. */
export interface TestCert {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
  /** RFC 8705 `x5t#S256`: base64url SHA-256 of the DER certificate. */
  thumbprint: string;
  /** The subject DN as RFC 4514 writes it (what `tls_client_auth_subject_dn` holds). */
  subjectDn: string;
}

/** What {@link testPki} makes, in one private temporary folder. */
export interface TestPki {
  dir: string;
  /** The test CA (trusted only by what is told to). */
  ca: TestCert;
  /** A second CA that signed nothing here: trusting it is trusting the wrong CA. */
  otherCa: TestCert;
  /** Server certificate for 127.0.0.1 and localhost, signed by `ca`. */
  server: TestCert;
  /** Client certificate (CN=tokensmith-mtls), signed by `ca`. */
  client: TestCert;
  /** Self-signed client certificate (CN=tokensmith-self-signed), for `self_signed_tls_client_auth`. */
  selfSigned: TestCert;
}

let made: TestPki | undefined;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function load(dir: string, name: string): TestCert {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const cert = readFileSync(certFile, 'utf8');
  const x509 = new X509Certificate(cert);
  return {
    cert,
    key: readFileSync(keyFile, 'utf8'),
    certFile,
    keyFile,
    thumbprint: createHash('sha256').update(x509.raw).digest('base64url'),
    // X509Certificate.subject is one attribute a line, most significant first; RFC 4514 reverses it.
    subjectDn: x509.subject.split('\n').reverse().join(','),
  };
}

function selfSignedCa(dir: string, name: string, cn: string): void {
  openssl([
    'req',
    '-x509',
    ...EC,
    '-days',
    '1',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    join(dir, `${name}.pem`),
  ]);
}

function signed(dir: string, name: string, cn: string, extensions: string): void {
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(['req', ...EC, '-subj', `/CN=${cn}`, '-keyout', join(dir, `${name}.key`), '-out', csr]);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(dir, 'ca.pem'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    ext,
    '-out',
    join(dir, `${name}.pem`),
  ]);
}

/**
 * A test CA with a server and a client certificate, a second CA and a self-signed client
 * certificate, made once per test process with `openssl` (Debian's `openssl` package, in
 * scripts/provision.js). Nothing outside the tests trusts any of them.
 */
export function testPki(): TestPki {
  if (made) return made;
  const dir = mkdtempSync(join(tmpdir(), 'tokensmith-pki-'));
  selfSignedCa(dir, 'ca', 'tokensmith test CA');
  selfSignedCa(dir, 'other-ca', 'tokensmith other CA');
  signed(
    dir,
    'server',
    '127.0.0.1',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  signed(dir, 'client', 'tokensmith-mtls', 'extendedKeyUsage=clientAuth\n');
  openssl([
    'req',
    '-x509',
    ...EC,
    '-days',
    '1',
    '-subj',
    '/CN=tokensmith-self-signed',
    '-keyout',
    join(dir, 'self-signed.key'),
    '-out',
    join(dir, 'self-signed.pem'),
  ]);
  made = {
    dir,
    ca: load(dir, 'ca'),
    otherCa: load(dir, 'other-ca'),
    server: load(dir, 'server'),
    client: load(dir, 'client'),
    selfSigned: load(dir, 'self-signed'),
  };
  return made;
}
