/**
 * Loads oidc-provider. Its import prints "Unsupported runtime" on Node 20 (it is tested on 22+);
 * everything the emulator uses works on 20, so that one notice is filtered out of the console.
 */
export async function loadOidcProvider(): Promise<typeof import('oidc-provider')> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('Unsupported runtime')) return;
    warn(...args);
  };
  try {
    return await import('oidc-provider');
  } finally {
    console.warn = warn;
  }
}
