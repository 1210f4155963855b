/** Bundles on disk (a folder of files) and the environment facts a manifest records. */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BUNDLE_FILES, type BundleEnvironment } from '../core/export/bundle.ts';
import { CliError } from './errors.ts';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function appInfo(): { name: string; version: string } {
  const pkg = require('../../package.json') as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}

export function nodeEnvironment(backend: BundleEnvironment['backend']): BundleEnvironment {
  return {
    app: appInfo(),
    runtime: `node ${process.version} (${process.platform} ${process.arch})`,
    cores: cpus().length,
    libraries: {
      '@tensorflow/tfjs': versionOf('@tensorflow/tfjs'),
      '@tensorflow/tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
    },
    backend,
    createdAt: new Date().toISOString(),
  };
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
