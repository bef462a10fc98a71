/**
 * Wait for SIGINT or SIGTERM, then run `close` (errors ignored: the process is ending anyway) and
 * remove both listeners, so the command returns and the entry point sets the exit code.
 */
export function untilSignal(close: () => Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      close().then(
        () => resolve(),
        () => resolve(),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
