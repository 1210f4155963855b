/**
 * Bundle provenance: a detached Ed25519 signature over the exact bytes of manifest.json, which lists
 * the SHA-256 of every other file (integrity.ts) — so one signature covers the whole bundle, as in the
 * OpenSSF model-signing scheme (sign a manifest of file digests, not each file). The signature travels
 * as `manifest.sig`:
 *
 *   { "format": "automl-studio-signature/1", "algorithm": "Ed25519", "signed": "manifest.json",
 *     "publicKey": "<raw 32-byte key, base64>", "fingerprint": "<32 hex>", "signature": "<64 bytes, base64>" }
 *
 * The fingerprint is the first 16 bytes of the SHA-256 of the raw public key, in hex. Verification uses
 * WebCrypto (`crypto.subtle`, Ed25519: Node ≥ 20, Chromium ≥ 137), so it runs in Node, workers and the
 * page; the signing key is the runtime's (IndexedDB in the browser, a key file in the CLI).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { BundleError } from './bundle-error.ts';
import { SIGNATURE_FILE, toHex } from './integrity.ts';

export const SIGNATURE_FORMAT = 'automl-studio-signature/1';

export interface BundleSignature {
  readonly format: typeof SIGNATURE_FORMAT;
  readonly algorithm: 'Ed25519';
  readonly signed: 'manifest.json';
  readonly publicKey: string;
  readonly fingerprint: string;
  readonly signature: string;
}

/** Something that signs bytes with an Ed25519 key (the private key never needs to leave it). */
export interface Signer {
  /** The raw 32-byte public key. */
  readonly publicKey: Uint8Array;
  sign(data: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

/** Who signed a bundle, as far as this studio can tell. */
export type Provenance =
  | { readonly status: 'unsigned' }
  | {
      readonly status: 'signed';
      readonly fingerprint: string;
      /** 'this studio': our own key; 'known': a fingerprint the user trusts; else 'unknown'. */
      readonly trust: 'this studio' | 'known' | 'unknown';
      /** The name the user gave a trusted key. */
      readonly name?: string;
    };

/** Fingerprints the user trusts (normalised, see `normalizeFingerprint`) → the name they gave. */
export interface TrustStore {
  /** This studio's or CLI install's own fingerprint. */
  readonly own?: string;
  readonly trusted?: Readonly<Record<string, string>> | ReadonlyMap<string, string>;
}

const utf8 = new TextEncoder();

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The fingerprint of a raw Ed25519 public key: the first 16 bytes of its SHA-256, hex. */
export function fingerprintOf(publicKey: Uint8Array): string {
  return toHex(sha256(publicKey).subarray(0, 16));
}

/** A fingerprint as the user may type it (any case, with ':' or spaces) in the stored form, or null. */
export function normalizeFingerprint(text: string): string | null {
  const t = text.replace(/[\s:]/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(t) ? t : null;
}

/** `manifest.sig` for a manifest's text. */
export async function signManifest(manifestText: string, signer: Signer): Promise<BundleSignature> {
  return signatureRecord(signer.publicKey, await signer.sign(utf8.encode(manifestText)));
}

/** The manifest.sig record for a signature already made over manifest.json's UTF-8 bytes. */
export function signatureRecord(publicKey: Uint8Array, signature: Uint8Array): BundleSignature {
  return {
    format: SIGNATURE_FORMAT,
    algorithm: 'Ed25519',
    signed: 'manifest.json',
    publicKey: toBase64(publicKey),
    fingerprint: fingerprintOf(publicKey),
    signature: toBase64(signature),
  };
}

/** The text of manifest.sig. */
export const signatureText = (sig: BundleSignature): string => JSON.stringify(sig, null, 2) + '\n';

/** The bundle's files with `manifest.sig` added (replacing any earlier one). */
export async function signBundleFiles<T extends string | Uint8Array>(
  files: Readonly<Record<string, T>>,
  signer: Signer,
): Promise<Record<string, T | string>> {
  const manifest = files['manifest.json'];
  if (manifest === undefined) throw new BundleError('cannot sign: the bundle has no manifest.json');
  const text = typeof manifest === 'string' ? manifest : new TextDecoder().decode(manifest);
  const sig = await signManifest(text, signer);
  return { ...files, [SIGNATURE_FILE]: signatureText(sig) };
}

function parseSignature(
  text: string,
): BundleSignature & { key: Uint8Array<ArrayBuffer>; sig: Uint8Array<ArrayBuffer> } {
  const bad = (why: string) => new BundleError(`${SIGNATURE_FILE} is not a valid signature file: ${why}`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('not a JSON object');
  const o = v as Record<string, unknown>;
  if (o.format !== SIGNATURE_FORMAT) throw bad(`format is not "${SIGNATURE_FORMAT}"`);
  if (o.algorithm !== 'Ed25519') throw bad(`unsupported algorithm ${JSON.stringify(o.algorithm)}`);
  if (o.signed !== 'manifest.json') throw bad('it does not sign manifest.json');
  for (const k of ['publicKey', 'fingerprint', 'signature'])
    if (typeof o[k] !== 'string') throw bad(`${k} is missing`);
  let key: Uint8Array<ArrayBuffer>, sig: Uint8Array<ArrayBuffer>;
  try {
    key = fromBase64(o.publicKey as string);
    sig = fromBase64(o.signature as string);
  } catch {
    throw bad('publicKey or signature is not base64');
  }
  if (key.length !== 32) throw bad('publicKey is not a 32-byte Ed25519 key');
  if (sig.length !== 64) throw bad('signature is not 64 bytes');
  if (fingerprintOf(key) !== o.fingerprint) throw bad('fingerprint does not belong to publicKey');
  return { ...(o as unknown as BundleSignature), key, sig };
}

function trustOf(fingerprint: string, store: TrustStore): Provenance {
  if (store.own === fingerprint) return { status: 'signed', fingerprint, trust: 'this studio' };
  const t = store.trusted;
  const name =
    t instanceof Map ? t.get(fingerprint) : (t as Record<string, string> | undefined)?.[fingerprint];
  if (name !== undefined) return { status: 'signed', fingerprint, trust: 'known', ...(name ? { name } : {}) };
  return { status: 'signed', fingerprint, trust: 'unknown' };
}

/**
 * Who signed the bundle. A bundle without manifest.sig is 'unsigned'; a signature that does not verify
 * against manifest.json's bytes (the manifest — and so any file hash — changed after signing) is a
 * BundleError: the bundle is refused.
 */
export async function verifyBundleSignature(
  files: Readonly<Record<string, string | undefined>>,
  store: TrustStore = {},
): Promise<Provenance> {
  const sigText = files[SIGNATURE_FILE];
  if (sigText === undefined) return { status: 'unsigned' };
  const manifest = files['manifest.json'];
  if (manifest === undefined) throw new BundleError(`the bundle has ${SIGNATURE_FILE} but no manifest.json`);
  const s = parseSignature(sigText);
  let ok: boolean;
  try {
    const key = await crypto.subtle.importKey('raw', s.key, { name: 'Ed25519' }, false, ['verify']);
    ok = await crypto.subtle.verify(
      { name: 'Ed25519' },
      key,
      s.sig,
      utf8.encode(manifest) as Uint8Array<ArrayBuffer>,
    );
  } catch (err) {
    throw new BundleError(`${SIGNATURE_FILE}: cannot check the signature (${(err as Error).message})`);
  }
  if (!ok)
    throw new BundleError(
      `${SIGNATURE_FILE} does not match manifest.json: the bundle was changed after it was signed by ${s.fingerprint}`,
    );
  return trustOf(s.fingerprint, store);
}

/** "signed by <fingerprint> (this studio)" / "(known: name)" / "(unknown)", or "unsigned". */
export function describeProvenance(p: Provenance): string {
  if (p.status === 'unsigned') return 'unsigned';
  const trust = p.trust === 'known' && p.name ? `known: ${p.name}` : p.trust;
  return `signed by ${p.fingerprint} (${trust})`;
}

/** A signer over a WebCrypto Ed25519 key pair (the private key may be non-extractable). */
export async function webCryptoSigner(pair: CryptoKeyPair): Promise<Signer> {
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return {
    publicKey,
    sign: async (data) =>
      new Uint8Array(
        await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, data as Uint8Array<ArrayBuffer>),
      ),
  };
}

/** A new Ed25519 key pair (private key non-extractable unless asked). */
export async function generateSigningKey(extractable = false): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: 'Ed25519' }, extractable, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
}
