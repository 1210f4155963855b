/** SHA-256 helpers: the default incremental hasher (@noble/hashes) and the schema hash. */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { IncrementalHasher } from './types.ts';
import type { SemanticType } from '../data/table.ts';

export function defaultHasher(): IncrementalHasher {
  const h = sha256.create();
  return {
    update: (bytes) => void h.update(bytes),
    digestHex: () => bytesToHex(h.digest()),
  };
}

/** SHA-256 over the names and types in order. */
export function schemaHash(columns: readonly { name: string; type: SemanticType }[]): string {
  const text = JSON.stringify(columns.map((c) => [c.name, c.type]));
  return bytesToHex(sha256(new TextEncoder().encode(text)));
}
