/**
 * The studio's signing identity and the fingerprints the user trusts, in a small IndexedDB database of
 * their own (`automl-studio-keys`, apart from the tracking database): the Ed25519 key pair is created
 * once with a non-extractable private key and stored as CryptoKey objects (IndexedDB keeps them as
 * they are: the private key's bytes are never readable by script). Used by the bundle worker (signing
 * downloads, checking imports) and the page (the trusted-keys list).
 */
import {
  fingerprintOf,
  generateSigningKey,
  normalizeFingerprint,
  webCryptoSigner,
  type Signer,
  type TrustStore,
} from '../core/export/signing.ts';

const DB_NAME = 'automl-studio-keys';
const DB_VERSION = 1;
const KEYS = 'keys';
const TRUSTED = 'trusted';
const OWN = 'studio';

export interface TrustedKey {
  readonly fingerprint: string;
  readonly name: string;
  readonly addedAt: number;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

let opened: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
  opened ??= new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, DB_VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains(KEYS)) db.createObjectStore(KEYS);
      if (!db.objectStoreNames.contains(TRUSTED)) db.createObjectStore(TRUSTED, { keyPath: 'fingerprint' });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error(`cannot open the ${DB_NAME} database`));
    r.onblocked = () => reject(new Error(`the ${DB_NAME} database is blocked by another tab`));
  }).catch((err: unknown) => {
    opened = undefined;
    throw err;
  });
  return opened;
}

async function tx<T>(
  store: string,
  mode: IDBTransactionMode,
  f: (s: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await open();
  return request(f(db.transaction(store, mode).objectStore(store)));
}

let pair: Promise<CryptoKeyPair> | undefined;

/** This studio's key pair, created (private key non-extractable) and stored on first use. */
export function studioKeyPair(): Promise<CryptoKeyPair> {
  pair ??= (async () => {
    const existing = await tx<CryptoKeyPair | undefined>(KEYS, 'readonly', (s) => s.get(OWN));
    if (existing) return existing;
    const created = await generateSigningKey(false);
    // `add` fails if another tab stored its pair first: then that one is this studio's.
    try {
      await tx(KEYS, 'readwrite', (s) => s.add(created, OWN));
      return created;
    } catch {
      const stored = await tx<CryptoKeyPair | undefined>(KEYS, 'readonly', (s) => s.get(OWN));
      if (!stored) throw new Error('cannot store the studio signing key');
      return stored;
    }
  })().catch((err: unknown) => {
    pair = undefined;
    throw err;
  });
  return pair;
}

export async function studioSigner(): Promise<Signer> {
  return webCryptoSigner(await studioKeyPair());
}

export async function studioFingerprint(): Promise<string> {
  return fingerprintOf((await studioSigner()).publicKey);
}

export async function listTrustedKeys(): Promise<TrustedKey[]> {
  const all = await tx<TrustedKey[]>(TRUSTED, 'readonly', (s) => s.getAll() as IDBRequest<TrustedKey[]>);
  return all.sort((a, b) => a.addedAt - b.addedAt);
}

/** Trusts a fingerprint under a name; a malformed fingerprint is an Error saying so. */
export async function trustKey(fingerprint: string, name: string): Promise<TrustedKey> {
  const fp = normalizeFingerprint(fingerprint);
  if (!fp) throw new Error(`"${fingerprint.slice(0, 80)}" is not a key fingerprint (32 hex digits)`);
  const key: TrustedKey = { fingerprint: fp, name: name.trim().slice(0, 200), addedAt: Date.now() };
  await tx(TRUSTED, 'readwrite', (s) => s.put(key));
  return key;
}

export async function untrustKey(fingerprint: string): Promise<void> {
  await tx(TRUSTED, 'readwrite', (s) => s.delete(fingerprint));
}

/** This studio's fingerprint and the trusted ones, for `verifyBundleSignature`. */
export async function studioTrustStore(): Promise<TrustStore> {
  const [own, trusted] = await Promise.all([studioFingerprint(), listTrustedKeys()]);
  return { own, trusted: new Map(trusted.map((k) => [k.fingerprint, k.name])) };
}
