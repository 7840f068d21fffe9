import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Blueprint, Model, RelationDef } from '@plexus/contract';
import { parse } from 'yaml';
import { NotFoundError } from '../errors.ts';

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

const targetList = (rel: RelationDef) => (Array.isArray(rel.target) ? rel.target : [rel.target]);

/**
 * The blueprints to save when loading `pack` into `model`: the pack's, each merged with the
 * blueprint of the same identifier already there, so that loading a pack adds and never removes.
 * Properties, relations, calculated properties and permissions the stored blueprint has and the
 * pack lacks are kept; a relation both define keeps the pack's definition with the stored targets
 * added. That is what lets two packs
 * share a blueprint: the sdlc and backstage packs both define `domain`, `system` and `api`, owned
 * by a `team` in one and by a `group` or `user` in the other; with both loaded, `ownedBy` targets
 * all three, and neither pack's entities lose data when the other is loaded. Where a property both
 * define differs, the pack's schema wins (the blueprint store refuses it if stored values break it).
 *
 * @example
 * await models.save(mergePackBlueprints(readPack('sdlc'), models.current()), { actor, mode: 'upsert' });
 */
export function mergePackBlueprints(pack: Pack, model: Model): Blueprint[] {
  return pack.blueprints.map((bp) => {
    const stored = model.get(bp.identifier);
    if (!stored) return bp;
    const relations: Record<string, RelationDef> = { ...stored.relations };
    for (const [name, rel] of Object.entries(bp.relations ?? {})) {
      const before = stored.relations?.[name];
      const targets = [...targetList(rel), ...(before ? targetList(before) : [])].filter((t, i, all) => all.indexOf(t) === i);
      relations[name] = { ...rel, target: targets.length === 1 ? targets[0] : targets };
    }
    const merged: Blueprint = {
      ...bp,
      schema: { ...bp.schema, properties: { ...stored.schema.properties, ...bp.schema.properties } },
      relations,
    };
    if (stored.calculated || bp.calculated) merged.calculated = { ...stored.calculated, ...bp.calculated };
    if (stored.permissions && !bp.permissions) merged.permissions = stored.permissions;
    return merged;
  });
}
