import { getLogger } from '../core/log.js';
import type { ProxyHandle } from './server.js';

const log = getLogger('proxy');

/**
 * Close `handle` gracefully when the process gets one of `signals` (default SIGTERM and SIGINT).
 * Resolves with the signal once the proxy has closed, so the caller (the CLI) decides how to exit;
 * the library never exits the process. Calling the returned `dispose` removes the listeners.
 */
export function closeOnSignals(
  handle: Pick<ProxyHandle, 'close'>,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): { closed: Promise<NodeJS.Signals>; dispose(): void } {
  let dispose = () => {};
  const closed = new Promise<NodeJS.Signals>((resolve, reject) => {
    const onSignal = (signal: NodeJS.Signals) => {
      dispose();
      log.info(`${signal}: closing the proxy after in-flight requests`);
      handle.close().then(() => resolve(signal), reject);
    };
    for (const s of signals) process.on(s, onSignal);
    dispose = () => {
      for (const s of signals) process.off(s, onSignal);
    };
  });
  return { closed, dispose };
}
