/** Bundles on disk (a folder of files or a .zip), the standalone scorer build, and the environment facts a manifest records. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_FILES, type BundleEnvironment } from '../core/export/bundle.ts';
import { bundleToZip, looksLikeZip, readBundleZip } from '../core/export/zip.ts';
import { BundleError } from '../core/export/bundle-error.ts';
import { CliError } from './errors.ts';

const require = createRequire(import.meta.url);
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

let commit: string | undefined;
/** `git rev-parse HEAD` of the app's checkout, or 'unknown' (no git, not a checkout). */
export function gitCommit(): string {
  if (commit === undefined) {
    try {
      const out = execFileSync('git', ['rev-parse', 'HEAD'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5000,
      }).trim();
      commit = /^[0-9a-f]{40,64}$/.test(out) ? out : 'unknown';
    } catch {
      commit = 'unknown';
    }
  }
  return commit;
}

export function appInfo(): { name: string; version: string; commit: string } {
  const pkg = require('../../package.json') as { name: string; version: string };
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
 * predict.mjs: src/core/export/scorer-entry.ts and the core code it imports, bundled by esbuild (which
 * tsx brings) into one ES module with no imports besides Node's fs. TensorFlow.js is replaced by a stub:
 * only training uses it; predictions are plain JavaScript.
 */
export function buildScorerSource(): Promise<string> {
  scorer ??= (async () => {
    const esbuild = await import('esbuild');
    const exportDir = join(REPO_ROOT, 'src', 'core', 'export');
    const result = await esbuild.build({
      stdin: {
        contents:
          "import { runScorer } from './scorer-entry.ts';\n" +
          "process.exitCode = await runScorer(new URL('./', import.meta.url));\n",
        resolveDir: exportDir,
        sourcefile: 'predict-main.ts',
        loader: 'ts',
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node18',
      charset: 'utf8',
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [
        {
          name: 'stub-tfjs',
          setup(build) {
            build.onResolve({ filter: /^@tensorflow\// }, (a) => ({ path: a.path, namespace: 'tfjs-stub' }));
            build.onLoad({ filter: /.*/, namespace: 'tfjs-stub' }, () => ({
              contents:
                'const fail = () => { throw new Error("TensorFlow.js is not part of predict.mjs (only training needs it)"); };\n' +
                'export const setWasmPaths = fail;\nexport default {};\n',
              loader: 'js',
            }));
          },
        },
      ],
    });
    const code = result.outputFiles[0].text;
    const { version } = appInfo();
    return (
      `// predict.mjs — standalone scorer of an AutoML Studio model bundle (app ${version}, commit ${gitCommit()}).\n` +
      '// Usage: node predict.mjs data.csv > predictions.csv   (Node 18 or later; no dependencies)\n' +
      '// Reads manifest.json, pipeline.json and model.json from this folder. Generated code: do not edit.\n' +
      code
    );
  })();
  return scorer;
}

const isZipPath = (p: string) => p.toLowerCase().endsWith('.zip');

/** Writes a bundle to a folder, or to a zip when `out` ends with .zip. */
export function writeBundle(out: string, files: Record<string, string>): void {
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
