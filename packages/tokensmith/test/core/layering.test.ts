/**
 * The layering rules of the design map (`../shared/design.md`, "Rules that keep the map true"), checked
 * on the library's sources: `core` imports nothing outside `core`; the schemes (oauth2, kaltura,
 * kalliope) import only `core` and themselves (keycloak, a preset of oauth2, also oauth2); the library
 * never imports the CLI, the emulators or its own package name; an optional peer (ioredis, the keyring)
 * is only loaded on demand (`import()` or a type-only import); any other package is a dependency.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = fileURLToPath(import.meta.url);
/** The checkout root: above dist/ when compiled, above packages/ when run from source. */
const root = here.slice(
  0,
  here.lastIndexOf(here.includes(`${sep}dist${sep}`) ? `${sep}dist${sep}` : `${sep}packages${sep}`),
);
const libraryDir = join(root, 'packages', 'tokensmith');
const srcDir = join(libraryDir, 'src');

/** Which top-level folders of src/ each folder may import from (itself included). */
const ALLOWED: Record<string, readonly string[]> = {
  core: ['core'],
  oauth2: ['core', 'oauth2'],
  kaltura: ['core', 'kaltura'],
  kalliope: ['core', 'kalliope'],
  keycloak: ['core', 'keycloak', 'oauth2'],
};

/** Package names the library must never import, whatever the folder. */
const FORBIDDEN_PACKAGES = ['tokensmith', '@tokensmith/cli', '@tokensmith/emulators'];

/** One import, export-from or `import()` of a source file. */
interface ImportSite {
  specifier: string;
  line: number;
  /** `import type`, `export type` or an `import('x').T` type: erased at compile time. */
  typeOnly: boolean;
  /** `import('x')` at run time: loaded on demand. */
  dynamic: boolean;
}

/** The packages the library may load: its dependencies, and its optional peers on demand. */
interface Packages {
  dependencies: readonly string[];
  optionalPeers: readonly string[];
}

/** Every import site of one TypeScript source. */
function importSites(path: string, text: string): ImportSite[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const sites: ImportSite[] = [];
  const add = (literal: ts.Node, typeOnly: boolean, dynamic: boolean) => {
    if (!ts.isStringLiteralLike(literal)) return;
    const line = file.getLineAndCharacterOfPosition(literal.getStart(file)).line + 1;
    sites.push({ specifier: literal.text, line, typeOnly, dynamic });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allNamedTypes =
        !!named &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, !!clause && (clause.isTypeOnly || (!clause.name && allNamedTypes)), false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const named = node.exportClause;
      const allNamedTypes =
        !!named &&
        ts.isNamedExports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, node.isTypeOnly || allNamedTypes, false);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly, false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      if (node.arguments[0]) add(node.arguments[0], false, true);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return sites;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * The rule violations of `files` (paths relative to src/, with `/`), one line each:
 * `path:line: what`.
 */
function violations(files: ReadonlyArray<{ path: string; text: string }>, packages: Packages): string[] {
  const found: string[] = [];
  for (const { path, text } of files) {
    const area = path.includes('/') ? (path.split('/')[0] as string) : '';
    for (const site of importSites(path, text)) {
      const at = `${path}:${site.line}: '${site.specifier}'`;
      if (site.specifier.startsWith('.')) {
        const target = posix.normalize(posix.join(posix.dirname(path), site.specifier));
        if (target.startsWith('../')) {
          found.push(`${at} leaves src/`);
          continue;
        }
        const targetArea = target.includes('/') ? (target.split('/')[0] as string) : '';
        const allowed = ALLOWED[area];
        if (allowed && !allowed.includes(targetArea)) {
          found.push(`${at} ${area} imports ${targetArea || target} (allowed: ${allowed.join(', ')})`);
        }
        continue;
      }
      if (isBuiltin(site.specifier)) continue;
      const name = packageName(site.specifier);
      if (FORBIDDEN_PACKAGES.includes(name)) {
        found.push(`${at} the library imports ${name}`);
      } else if (packages.optionalPeers.includes(name)) {
        if (!site.typeOnly && !site.dynamic)
          found.push(`${at} optional peer ${name} loaded eagerly (use import())`);
      } else if (!packages.dependencies.includes(name)) {
        found.push(`${at} ${name} is not a dependency of the library`);
      }
    }
  }
  return found;
}

function librarySources(): Array<{ path: string; text: string }> {
  return readdirSync(srcDir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => ({ path: f.split(sep).join('/'), text: readFileSync(join(srcDir, f), 'utf8') }));
}

function libraryPackages(): Packages {
  const manifest = JSON.parse(readFileSync(join(libraryDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  };
  const peers = Object.keys(manifest.peerDependencies ?? {});
  const optional = peers.filter((p) => manifest.peerDependenciesMeta?.[p]?.optional === true);
  return {
    dependencies: [
      ...Object.keys(manifest.dependencies ?? {}),
      ...peers.filter((p) => !optional.includes(p)),
    ],
    optionalPeers: optional,
  };
}

describe('layering of the library (design map rules)', () => {
  it('the library sources follow the rules', () => {
    const files = librarySources();
    assert.ok(
      files.some((f) => f.path === 'core/manager.ts') && files.length > 40,
      `sources found under ${relative(root, srcDir)}`,
    );
    assert.deepEqual(violations(files, libraryPackages()), []);
  });

  it('the check catches each kind of violation (so an empty list above means something)', () => {
    const packages: Packages = { dependencies: ['jose', 'undici'], optionalPeers: ['ioredis'] };
    const files = [
      {
        path: 'core/manager.ts',
        text: [
          "import { MemoryCache } from '../cache/memory.js';",
          "import type { X } from '../oauth2/client.js';",
          "import { y } from './keyed-mutex.js';",
          "import { jwtVerify } from 'jose';",
          "import { readFile } from 'node:fs/promises';",
          "const lazy = () => import('../proxy/server.js');",
        ].join('\n'),
      },
      {
        path: 'oauth2/grants/password.ts',
        text: [
          "import { base } from '../base-provider.js';",
          "import { ks } from '../../kaltura/ks.js';",
          "import { FileCache } from '../../cache/file.js';",
          "export { authFetch } from '../../fetch/auth-fetch.js';",
          "import type { Credential } from '../../core/credential.js';",
        ].join('\n'),
      },
      {
        path: 'kalliope/signer.ts',
        text: "import { startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';\nimport 'left-pad';",
      },
      { path: 'keycloak/index.ts', text: "import { password } from '../oauth2/grants/password.js';" },
      {
        path: 'cache/redis.ts',
        text: [
          "import Redis from 'ioredis';",
          "import type { RedisOptions } from 'ioredis';",
          "const load = () => import('ioredis');",
          "type R = import('ioredis').Redis;",
          "import { MemoryCache } from './memory.js';",
        ].join('\n'),
      },
      { path: 'index.ts', text: "export { TokenManager } from 'tokensmith/internal/core/manager.js';" },
    ];
    assert.deepEqual(violations(files, packages), [
      "core/manager.ts:1: '../cache/memory.js' core imports cache (allowed: core)",
      "core/manager.ts:2: '../oauth2/client.js' core imports oauth2 (allowed: core)",
      "core/manager.ts:6: '../proxy/server.js' core imports proxy (allowed: core)",
      "oauth2/grants/password.ts:2: '../../kaltura/ks.js' oauth2 imports kaltura (allowed: core, oauth2)",
      "oauth2/grants/password.ts:3: '../../cache/file.js' oauth2 imports cache (allowed: core, oauth2)",
      "oauth2/grants/password.ts:4: '../../fetch/auth-fetch.js' oauth2 imports fetch (allowed: core, oauth2)",
      "kalliope/signer.ts:1: '@tokensmith/emulators/internal/oidc/server.js' the library imports @tokensmith/emulators",
      "kalliope/signer.ts:2: 'left-pad' left-pad is not a dependency of the library",
      "cache/redis.ts:1: 'ioredis' optional peer ioredis loaded eagerly (use import())",
      "index.ts:1: 'tokensmith/internal/core/manager.js' the library imports tokensmith",
    ]);
  });
});
