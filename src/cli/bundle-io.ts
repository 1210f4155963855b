/** Bundles on disk (a folder of files or a .zip), the standalone scorer build, and the environment facts a manifest records. */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import {
  BUNDLE_FILES,
  loadBundle,
  type BundleEnvironment,
  type LoadedBundle,
} from '../core/export/bundle.ts';
import { bundleToZip, looksLikeZip, readBundleZip } from '../core/export/zip.ts';
import { BundleError } from '../core/export/bundle-error.ts';
import { CliError } from './errors.ts';
import { SIGNATURE_FILE } from '../core/export/integrity.ts';
import {
  describeProvenance,
  signatureRecord,
  signatureText,
  verifyBundleSignature,
} from '../core/export/signing.ts';
import { cliSigner, cliTrustStore, signSync } from './signing-key.ts';
import { REPO_ROOT, bundleScorer, gitCommit, scorerHeader } from './scorer-build.ts';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export { gitCommit };

export function appInfo(): { name: string; version: string; commit: string } {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  return { name: pkg.name, version: pkg.version, commit: gitCommit() };
}

export function nodeEnvironment(backend: BundleEnvironment['backend']): BundleEnvironment {
  return {
    app: appInfo(),
    runtime: `node ${process.version} (${process.platform} ${process.arch})`,
    cores: cpus().length,
    libraries: {
      '@tensorflow/tfjs': versionOf('@tensorflow/tfjs'),
      '@tensorflow/tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
      fflate: versionOf('fflate'),
      '@noble/hashes': versionOf('@noble/hashes'),
    },
    backend,
    createdAt: new Date().toISOString(),
  };
}

let scorer: Promise<string> | undefined;
/**
 * predict.mjs: src/core/export/scorer-entry.ts and the core code it imports, bundled by esbuild into
 * one ES module (see scorer-build.ts, which the browser build uses too).
 */
export function buildScorerSource(): Promise<string> {
  scorer ??= (async () => scorerHeader(appInfo().version, gitCommit()) + (await bundleScorer(REPO_ROOT)))();
  return scorer;
}

const isZipPath = (p: string) => p.toLowerCase().endsWith('.zip');

/**
 * The bundle's files signed with this install's key (manifest.sig over manifest.json, whose `files`
 * hash every other file); any earlier manifest.sig is replaced.
 */
export function signBundle(files: Record<string, string>): Record<string, string> {
  const manifest = files['manifest.json'];
  if (manifest === undefined) return files;
  const signer = cliSigner();
  const sig = signatureRecord(signer.publicKey, signSync(signer, new TextEncoder().encode(manifest)));
  return { ...files, [SIGNATURE_FILE]: signatureText(sig) };
}

/** Writes a bundle, signed, to a folder, or to a zip when `out` ends with .zip. */
export function writeBundle(out: string, unsigned: Record<string, string>): void {
  const files = signBundle(unsigned);
  if (isZipPath(out)) {
    if (existsSync(out) && statSync(out).isDirectory())
      throw new CliError(`--out ${out} is a folder, not a zip file`);
    mkdirSync(dirname(resolve(out)), { recursive: true });
    writeFileSync(out, bundleToZip(files));
  } else writeBundleDir(out, files);
}

export function writeBundleDir(dir: string, files: Record<string, string>): void {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new CliError(`--out ${dir} exists and is not a folder`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

export function readBundleDir(dir: string): Record<string, string | undefined> {
  if (!existsSync(dir)) throw new CliError(`model bundle not found: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new CliError(`${dir} is not a bundle folder`);
  const files: Record<string, string | undefined> = {};
  for (const name of BUNDLE_FILES) {
    const p = join(dir, name);
    files[name] = existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  }
  return files;
}

/** Reads a bundle folder or zip file; a damaged or unsafe zip is a CliError (exit 2) naming the problem. */
export function readBundleFiles(path: string): {
  files: Record<string, string | undefined>;
  zip: boolean;
} {
  if (!existsSync(path)) throw new CliError(`model bundle not found: ${path}`);
  if (statSync(path).isDirectory()) return { files: readBundleDir(path), zip: false };
  const bytes = new Uint8Array(readFileSync(path));
  if (!looksLikeZip(bytes)) throw new CliError(`${path} is neither a bundle folder nor a zip file`);
  try {
    return { files: readBundleZip(bytes), zip: true };
  } catch (err) {
    if (err instanceof BundleError) throw new CliError(`${err.message} (${path})`);
    throw err;
  }
}

/**
 * Reads and loads a bundle folder or zip and checks its signature: a tampered signed bundle is a
 * CliError (exit 2). `provenance`: "signed by <fingerprint> (this studio / known / unknown)" or
 * "unsigned"; `integrity`: a note when the bundle predates integrity hashes.
 */
export async function loadVerifiedBundleArg(
  path: string,
  trust: readonly string[] = [],
): Promise<{ bundle: LoadedBundle; provenance: string; notes: string[] }> {
  const { files } = readBundleFiles(path);
  try {
    const bundle = loadBundle(files);
    const provenance = describeProvenance(await verifyBundleSignature(files, cliTrustStore(trust)));
    const notes = bundle.integrity?.note ? [bundle.integrity.note] : [];
    return { bundle, provenance, notes };
  } catch (err) {
    if (err instanceof BundleError) throw new CliError(`${err.message} (${path})`);
    throw err;
  }
}

/** Reads and loads a bundle folder or zip; anything wrong with it is a CliError (exit 2) naming the path. */
export function loadBundleArg(path: string): LoadedBundle {
  const { files } = readBundleFiles(path);
  try {
    return loadBundle(files);
  } catch (err) {
    if (err instanceof BundleError) throw new CliError(`${err.message} (${path})`);
    throw err;
  }
}
