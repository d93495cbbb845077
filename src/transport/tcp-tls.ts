// TLS on peer connections (cluster.tls): both ends present the broker's certificate and verify
// the other's against the cluster's CA only (not the system roots), so a host needs a
// certificate from that CA to get as far as the cluster-secret handshake, which still runs
// inside the TLS session. A dialer checks that the acceptor's certificate names the host it
// dialed; an acceptor checks the dialer's against the configured address of the node id it
// claims (tcp-handshake.ts). See docs/transport.md, "TLS".
//
// An accepted TCP socket is handed to a tls.Server that does not listen itself, so that the
// transport's limits count a connection from accept on (the pending-handshake cap covers the TLS
// handshake too). That server asks for a certificate but does not drop an unverified one itself
// (Node would do so silently): the transport checks `authorized` and logs why it refuses.

import { isIP, type Socket } from 'node:net';
import { Server as TlsServer, TLSSocket, checkServerIdentity, connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';

/** PEM text of this broker's certificate (chain), its private key, and the CA that signs every broker. */
export interface PeerTlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
  ca: string | Buffer;
}

export class PeerTls {
  private context: SecureContext;
  /** Takes accepted sockets through TLS (emit 'connection'); emits 'secureConnection' and 'tlsClientError'. */
  readonly server: TlsServer;

  constructor(material: PeerTlsMaterial, handshakeTimeoutMs: number) {
    this.context = contextOf(material);
    this.server = new TlsServer({ ...pem(material), requestCert: true, rejectUnauthorized: false, handshakeTimeout: handshakeTimeoutMs });
  }

  /** New connections use the new certificates (a reload); open ones keep the session they have. */
  update(material: PeerTlsMaterial): void {
    this.context = contextOf(material);
    this.server.setSecureContext(pem(material));
  }

  /** A TLS dial; the socket emits 'secureConnect' once the acceptor's certificate checked out (else 'error'). */
  dial(host: string, port: number): TLSSocket {
    // SNI takes a name, never an address; the name check runs against `host` either way.
    return tlsConnect({ host, port, secureContext: this.context, servername: isIP(host) === 0 ? host : undefined, rejectUnauthorized: true });
  }
}

function pem(material: PeerTlsMaterial): PeerTlsMaterial {
  return { cert: material.cert, key: material.key, ca: material.ca };
}

function contextOf(material: PeerTlsMaterial): SecureContext {
  return createSecureContext(pem(material));
}

/** Null when `socket` is plain or its peer's certificate names `host` (DNS name or IP SAN); else why not. */
export function certificateNameError(socket: Socket, host: string): string | null {
  if (!(socket instanceof TLSSocket)) return null;
  const cert = socket.getPeerCertificate();
  if (cert === null || Object.keys(cert).length === 0) return 'the peer presented no certificate';
  return checkServerIdentity(host, cert)?.message ?? null;
}

/** The first bytes of a TLS handshake record (content type 22, major version 3): a TLS dial on a plaintext port. */
export function looksLikeTls(chunk: Buffer): boolean {
  return chunk.length >= 2 && chunk[0] === 0x16 && chunk[1] === 0x03;
}

/**
 * Whether a socket error is a TLS failure (a certificate that does not verify or name the peer,
 * a plain peer on a TLS port, a TLS alert) rather than the network (refused, reset, timed out).
 */
export function isTlsFailure(e: Error): boolean {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return /^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|CERT_|SELF_SIGNED_|DEPTH_ZERO_|HOSTNAME_|INVALID_CA|PATH_LENGTH_)/.test(code);
}
