/**
 * Bundle integrity: `manifest.json` lists the SHA-256 of every other file of the bundle
 * (`files: { "model.json": "<64 hex>", … }`); loading checks each present file against its hash and
 * names the first that differs. Bundles written before the hashes (format 1, or format 2 with `files`
 * as a plain list of names) still load, marked "not verified".
 *
 * Only the files the manifest lists travel with an imported bundle: anything else is dropped, and so
 * is an imported `predict.mjs` (code this studio did not build); export adds this studio's own scorer.
 * `manifest.sig` (signing.ts) is the one file outside the list: it signs the manifest itself.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { BundleError } from './bundle-error.ts';

/** The detached signature of manifest.json (see signing.ts); never listed in the manifest. */
export const SIGNATURE_FILE = 'manifest.sig';

const HEX = '0123456789abcdef';
const utf8 = new TextEncoder();

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX[b >> 4] + HEX[b & 15];
  return s;
}

/** SHA-256 of a file's bytes (text is hashed as its UTF-8 encoding), lowercase hex. */
export function sha256Hex(content: string | Uint8Array): string {
  return toHex(sha256(typeof content === 'string' ? utf8.encode(content) : content));
}

/** `files` of a manifest: a list of names (before integrity hashes) or names → SHA-256. */
export type ManifestFiles = readonly string[] | Readonly<Record<string, string>>;

/** The names of the files a manifest lists (besides manifest.json). */
export function listedFiles(manifest: { readonly files?: ManifestFiles }): string[] {
  const f = manifest.files;
  if (f === undefined || f === null) return [];
  return Array.isArray(f) ? [...(f as readonly string[])] : Object.keys(f);
}

/** The manifest's file hashes, or null for a bundle made before integrity hashes. */
export function fileHashes(manifest: {
  readonly files?: ManifestFiles;
}): Readonly<Record<string, string>> | null {
  const f = manifest.files;
  if (f === undefined || f === null || Array.isArray(f)) return null;
  return f as Readonly<Record<string, string>>;
}

/** `files` for a manifest: the SHA-256 of each named file, in the given order. */
export function hashFiles(
  files: Readonly<Record<string, string | Uint8Array | undefined>>,
  names: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const content = files[name];
    if (content === undefined) throw new BundleError(`cannot hash ${name}: the bundle has no such file`);
    out[name] = sha256Hex(content);
  }
  return out;
}

/** What an integrity check found. */
export interface IntegrityResult {
  /** true: every present listed file matches its hash; false: the bundle has no hashes. */
  readonly verified: boolean;
  /** Listed files that were checked (present). */
  readonly checked: readonly string[];
  /** A note for the user when nothing could be verified. */
  readonly note?: string;
}

export const UNHASHED_NOTE = 'made before integrity hashes: not verified';

/**
 * Checks every listed file that is present against its SHA-256 in the manifest; a mismatch is a
 * BundleError naming the file. Absent files are the loader's concern (it knows which are required).
 */
export function verifyFileHashes(
  manifest: { readonly files?: ManifestFiles },
  files: Readonly<Record<string, string | Uint8Array | undefined>>,
): IntegrityResult {
  const hashes = fileHashes(manifest);
  if (hashes === null) return { verified: false, checked: [], note: UNHASHED_NOTE };
  const checked: string[] = [];
  for (const [name, expected] of Object.entries(hashes)) {
    const content = files[name];
    if (content === undefined) continue;
    if (sha256Hex(content) !== expected)
      throw new BundleError(`${name} does not match its hash in manifest.json`);
    checked.push(name);
  }
  return { verified: true, checked };
}

/** What importing keeps of a bundle's files, and what it left out. */
export interface ImportedFiles {
  readonly files: Record<string, string>;
  /** Files the manifest does not list (dropped). */
  readonly dropped: readonly string[];
  /** true when the bundle carried a predict.mjs, which import leaves out (export adds this studio's own). */
  readonly scorerReplaced: boolean;
}

/**
 * The files an import keeps: manifest.json, its signature and the files the manifest lists — minus
 * predict.mjs, whose code this studio did not build (export writes this studio's own scorer).
 */
export function importableFiles(
  manifest: { readonly files?: ManifestFiles },
  files: Readonly<Record<string, string | undefined>>,
): ImportedFiles {
  const keep = new Set(['manifest.json', SIGNATURE_FILE, ...listedFiles(manifest)]);
  const out: Record<string, string> = {};
  const dropped: string[] = [];
  let scorerReplaced = false;
  for (const [name, content] of Object.entries(files)) {
    if (content === undefined) continue;
    if (!keep.has(name)) dropped.push(name);
    else if (name === 'predict.mjs') scorerReplaced = true;
    else out[name] = content;
  }
  return { files: out, dropped, scorerReplaced };
}
