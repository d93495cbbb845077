// Kafka's Uuid on the wire is 16 bytes; we keep topic ids as 32 hex digits in the metadata.

export const zeroUuid = Buffer.alloc(16);

export function uuidFromHex(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

export function uuidToHex(uuid: Buffer): string {
  return uuid.toString('hex');
}
