import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { NotFoundError } from '../errors.ts';
import type { Blueprint } from './types.ts';

/** The repository's `packs/` folder: ready blueprint sets (backstage, sdlc). */
export const packsDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../packs');

/** A blueprint pack as shipped in `packs/<identifier>.yaml`. */
export interface Pack {
  identifier: string;
  title: string;
  description?: string;
  blueprints: Blueprint[];
}

/** Lists the packs shipped in the repository. */
export function listPacks(dir = packsDir): Pack[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => readPack(f.replace(/\.yaml$/, ''), dir));
}

/** Reads one pack by identifier; 404 when there is no such pack. */
export function readPack(identifier: string, dir = packsDir): Pack {
  const file = join(dir, `${identifier}.yaml`);
  if (!/^[a-z0-9-]+$/.test(identifier) || !existsSync(file)) {
    const known = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')) : [];
    throw new NotFoundError(`pack "${identifier}" does not exist; available: ${known.join(', ') || 'none'}`);
  }
  return parse(readFileSync(file, 'utf8')) as Pack;
}
