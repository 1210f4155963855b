/**
 * Packing an existing bundle folder's files for export: a format 1 manifest is upgraded to format 2
 * (fields it never recorded are marked unknown), and the derived files a folder may lack (metrics,
 * signature, model card) are added, with the given scorer as predict.mjs.
 */
import {
  BUNDLE_FILES,
  BUNDLE_FORMAT_VERSION,
  WEBGPU_TOLERANCE,
  bundleFileOrder,
  checkManifest,
  signatureOf,
  type BundleManifest,
} from './bundle.ts';
import { BundleError } from './bundle-error.ts';
import { modelCard } from './model-card.ts';
import { validateManifest } from './manifest-schema.ts';
import { SIGNATURE_FILE, hashFiles, verifyFileHashes } from './integrity.ts';

/** A format 2 manifest for a format 1 one. */
export function upgradeManifest(v1: BundleManifest): BundleManifest {
  const webgpu = v1.backend?.name === 'webgpu';
  const isSearch = v1.search !== undefined;
  return {
    ...v1,
    formatVersion: BUNDLE_FORMAT_VERSION,
    app: { ...v1.app, commit: v1.app.commit ?? 'unknown' },
    model: { ...v1.model, iterations: v1.model.iterations ?? null },
    training: v1.training ?? {
      command: isSearch ? 'automl' : 'fit',
      // Format 1 did not record excluded columns; an exclusion shows as a pipeline note.
      exclude: [],
      ...(isSearch ? {} : { validFraction: (v1.split as { validFraction?: number }).validFraction ?? 0.2 }),
    },
    reproducibility: v1.reproducibility ?? {
      tolerance: webgpu ? WEBGPU_TOLERANCE : 0,
      deterministic: !webgpu,
      note: 'upgraded from bundle format 1, which did not record excluded columns: a refit assumes none were excluded',
    },
  };
}

/**
 * The files to put in an export zip, from a bundle folder's files: only the files a bundle has (never
 * an unlisted extra, never an old manifest.sig), each present file first checked against the hash the
 * manifest gives it; the manifest's `files` then hash exactly what is written. With `scorer`, that
 * source is predict.mjs whatever the folder held; `replace` substitutes files after the check (e.g. the
 * model card with the owner's intended use).
 */
export function exportBundleFiles(
  files: Readonly<Record<string, string | undefined>>,
  options: { readonly scorer?: string; readonly replace?: Readonly<Record<string, string>> } = {},
): Record<string, string> {
  let manifest = checkManifest(files['manifest.json']);
  verifyFileHashes(manifest, files);
  const replace = Object.entries(options.replace ?? {}).filter(([n]) => n !== 'manifest.json');
  files = { ...files, ...Object.fromEntries(replace) };
  if (manifest.formatVersion === 1) manifest = upgradeManifest(manifest);
  const out: Record<string, string> = {};
  for (const name of BUNDLE_FILES) {
    const text = files[name];
    if (text !== undefined && name !== 'manifest.json' && name !== SIGNATURE_FILE) out[name] = text;
  }
  if (manifest.pipeline.file === null) delete out['pipeline.json'];
  out['metrics.json'] ??= JSON.stringify({ metrics: manifest.metrics }, null, 2) + '\n';
  out['signature.json'] ??= JSON.stringify(signatureOf(manifest), null, 2) + '\n';
  if (options.scorer !== undefined) out['predict.mjs'] = options.scorer;
  out['MODEL_CARD.md'] ??= modelCard(manifest);
  const listed = Object.keys(out).sort((a, b) => bundleFileOrder(a) - bundleFileOrder(b));
  manifest = { ...manifest, files: hashFiles(out, listed) };
  const problems = validateManifest(manifest);
  if (problems.length) throw new BundleError(`cannot export: manifest.json: ${problems[0]}`);
  const all: Record<string, string> = { 'manifest.json': JSON.stringify(manifest, null, 2) + '\n', ...out };
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => bundleFileOrder(a) - bundleFileOrder(b)));
}
