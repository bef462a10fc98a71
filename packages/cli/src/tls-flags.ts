/**
 * The TLS flags every command that talks to a server takes: a private CA and a client certificate
 * (read by config/tls-files.ts), one definition for the OAuth, Kaltura and Kalliope commands.
 * @module
 */
import type { Command } from 'commander';

/** Add `--ca-file`, `--client-cert` and `--client-key` to `cmd`. */
export function tlsFlags(cmd: Command): Command {
  return cmd
    .option('--ca-file <path>', 'PEM bundle of CAs to trust as well as the default ones (a private CA)')
    .option('--client-cert <path>', 'PEM client certificate for mutual TLS (with --client-key)')
    .option('--client-key <path>', "PEM file of the client certificate's private key");
}
