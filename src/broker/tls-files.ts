// The certificate, key and CA files of the TLS listeners, and their reload without a restart:
// every reload_interval the files' modification times and sizes are compared with the loaded
// ones; changed files are read and checked (Node builds a secure context from them, which fails on
// bad PEM or a key that does not match the certificate) before the listeners take them for new
// connections. A bad new file keeps the old certificate and is logged once until the files change
// again, so an operator copying files one by one sees at most one warning per state.
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';

export interface TlsFilePaths {
  certFile: string;
  keyFile: string;
  caFile: string | null;
}

/** What node:tls takes (SecureContextOptions): PEM bytes. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

const FIELD_OF: Record<keyof TlsFilePaths, string> = { certFile: 'tls.cert_file', keyFile: 'tls.key_file', caFile: 'tls.ca_file' };

export class TlsFiles {
  private readonly paths: TlsFilePaths;
  private readonly logger: Logger;
  private readonly listeners: Array<(material: TlsMaterial) => void> = [];
  private loaded: TlsMaterial;
  /** The files' state when last read (loaded or refused), so each state is handled once. */
  private seen: string;
  private timer: NodeJS.Timeout | undefined;

  /** Reads and checks the files now; throws an Error naming the config field when one is unusable. */
  constructor(paths: TlsFilePaths, logger: Logger) {
    this.paths = paths;
    this.logger = logger;
    this.seen = this.fileState();
    this.loaded = this.read();
  }

  get material(): TlsMaterial {
    return this.loaded;
  }

  /** Called with the new material after each successful reload. */
  onReload(listener: (material: TlsMaterial) => void): void {
    this.listeners.push(listener);
  }

  /** Checks the files every `intervalMs` (0: never). */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer !== undefined) return;
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reloads when the files changed since they were last read; returns whether new material was taken. */
  check(): boolean {
    const state = this.fileState();
    if (state === this.seen) return false;
    this.seen = state;
    let material: TlsMaterial;
    try {
      material = this.read();
    } catch (err) {
      this.logger.warn({ reason: (err as Error).message }, 'TLS certificate reload refused; the listeners keep the certificate they have');
      return false;
    }
    this.loaded = material;
    for (const listener of this.listeners) listener(material);
    this.logger.info({ certFile: this.paths.certFile }, 'TLS certificate reloaded; new connections use it');
    return true;
  }

  /** Modification time and size of each file ("missing" for one that cannot be seen). */
  private fileState(): string {
    return this.files()
      .map(([, path]) => {
        try {
          const stat = statSync(path);
          return `${stat.mtimeMs}:${stat.size}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
  }

  private files(): Array<[keyof TlsFilePaths, string]> {
    const files: Array<[keyof TlsFilePaths, string]> = [
      ['certFile', this.paths.certFile],
      ['keyFile', this.paths.keyFile],
    ];
    if (this.paths.caFile !== null) files.push(['caFile', this.paths.caFile]);
    return files;
  }

  private read(): TlsMaterial {
    const bytes: Partial<Record<keyof TlsFilePaths, Buffer>> = {};
    for (const [key, path] of this.files()) {
      try {
        bytes[key] = readFileSync(path);
      } catch (err) {
        throw new Error(`${FIELD_OF[key]} "${path}": cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    const material: TlsMaterial = { cert: bytes.certFile!, key: bytes.keyFile! };
    if (bytes.caFile !== undefined) material.ca = bytes.caFile;
    try {
      createSecureContext(material);
    } catch (err) {
      // OpenSSL's reason names the part ("key values mismatch", "no start line"); never the key itself.
      throw new Error(
        `tls.cert_file "${this.paths.certFile}", tls.key_file "${this.paths.keyFile}": not a usable certificate and key: ${(err as Error).message}`,
      );
    }
    return material;
  }
}
