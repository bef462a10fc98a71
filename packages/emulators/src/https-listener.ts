/**
 * The one TLS option the Kaltura and Kalliope emulators share: serve https with a given certificate
 * (one a private CA signed, for tests of clients that must trust that CA), and optionally ask for a
 * client certificate (mutual TLS). Plain http without it.
 * @module
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

/** https settings of an emulator (PEM text). */
export interface EmulatorTls {
  /** The server certificate (with its chain). */
  cert: string;
  /** Its private key. */
  key: string;
  /**
   * CAs whose client certificates are accepted: when given, a client without one is refused during
   * the handshake (mutual TLS).
   */
  ca?: string;
}

/** An http server, or an https one when `tls` is given. */
export function createListener(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  tls: EmulatorTls | undefined,
): Server {
  if (!tls) return createHttpServer(handler);
  const clientAuth = tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {};
  return createHttpsServer({ cert: tls.cert, key: tls.key, ...clientAuth }, handler);
}
