/**
 * The CLI install's signing identity: an Ed25519 key pair in `.automl/signing-key.json` beside the
 * tracking store (env `AUTOML_SIGNING_KEY` names another file), created on first use with mode 0600;
 * and the fingerprints the user trusts, `.automl/trusted-keys.json` (`{ "<fingerprint>": "name" }`,
 * env `AUTOML_TRUSTED_KEYS`) plus `--trust FINGERPRINT`. Signing is synchronous (node:crypto), so every
 * bundle writer signs on the way out; verification is core's (signing.ts, WebCrypto).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { dirname, join } from 'node:path';
import { DEFAULT_STORE } from './file-store.ts';
import { CliError } from './errors.ts';
import {
  fingerprintOf,
  fromBase64,
  normalizeFingerprint,
  toBase64,
  type Signer,
  type TrustStore,
} from '../core/export/signing.ts';

const KEY_FORMAT = 'automl-studio-signing-key/1';

function storeDir(): string {
  return dirname(process.env.AUTOML_STORE ?? DEFAULT_STORE);
}

export function signingKeyPath(): string {
  return process.env.AUTOML_SIGNING_KEY ?? join(storeDir(), 'signing-key.json');
}

export function trustedKeysPath(): string {
  return process.env.AUTOML_TRUSTED_KEYS ?? join(storeDir(), 'trusted-keys.json');
}

interface KeyFile {
  format: typeof KEY_FORMAT;
  algorithm: 'Ed25519';
  publicKey: string;
  privateKey: string;
  fingerprint: string;
  createdAt: string;
}

function rawPublicKey(spkiDer: Buffer): Uint8Array {
  // An Ed25519 SubjectPublicKeyInfo is a fixed 12-byte prefix and the 32-byte key.
  return new Uint8Array(spkiDer.subarray(spkiDer.length - 32));
}

let cached: { path: string; signer: Signer } | undefined;

/** This install's signer, creating its key file (mode 0600) on first use. */
export function cliSigner(): Signer {
  const path = signingKeyPath();
  if (cached?.path === path) return cached.signer;
  let file: KeyFile;
  if (existsSync(path)) {
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
      if (file.format !== KEY_FORMAT || file.algorithm !== 'Ed25519') throw new Error('unknown format');
    } catch (err) {
      throw new CliError(`signing key file ${path} is not readable: ${(err as Error).message}`);
    }
  } else {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pub = rawPublicKey(publicKey.export({ format: 'der', type: 'spki' }));
    file = {
      format: KEY_FORMAT,
      algorithm: 'Ed25519',
      publicKey: toBase64(pub),
      privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      fingerprint: fingerprintOf(pub),
      createdAt: new Date().toISOString(),
    };
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  const key = createPrivateKey({ key: Buffer.from(file.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  const pub = rawPublicKey(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  if (toBase64(pub) !== file.publicKey)
    throw new CliError(`signing key file ${path}: its public key does not belong to its private key`);
  const signer: Signer = {
    publicKey: fromBase64(file.publicKey),
    sign: (data) => new Uint8Array(sign(null, data, key)),
  };
  cached = { path, signer };
  return signer;
}

/** Signs synchronously (the CLI's signer never returns a promise). */
export function signSync(signer: Signer, data: Uint8Array): Uint8Array {
  const s = signer.sign(data);
  if (s instanceof Promise) throw new Error('signSync needs a synchronous signer');
  return s;
}

/** This install's own fingerprint and the fingerprints it trusts (the file and `--trust` values). */
export function cliTrustStore(extra: readonly string[] = []): TrustStore {
  const trusted = new Map<string, string>();
  const path = trustedKeysPath();
  if (existsSync(path)) {
    let v: unknown;
    try {
      v = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new CliError(`trusted keys file ${path} is not valid JSON: ${(err as Error).message}`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new CliError(`trusted keys file ${path} must be an object { "<fingerprint>": "name" }`);
    for (const [fp, name] of Object.entries(v)) {
      const n = normalizeFingerprint(fp);
      if (!n) throw new CliError(`trusted keys file ${path}: ${JSON.stringify(fp)} is not a fingerprint`);
      trusted.set(n, typeof name === 'string' ? name : '');
    }
  }
  for (const fp of extra) {
    const n = normalizeFingerprint(fp);
    if (!n) throw new CliError(`--trust ${fp} is not a fingerprint (32 hex digits)`);
    trusted.set(n, trusted.get(n) ?? '');
  }
  const own = existsSync(signingKeyPath()) ? fingerprintOf(cliSigner().publicKey) : undefined;
  return { ...(own ? { own } : {}), trusted };
}
