import { type Db, readRows, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { compilePropertySchema } from './entity-schema.ts';
import { labelOf, relTypeOf, targetsOf } from './names.ts';
import type { Blueprint } from './types.ts';

/** One change to a blueprint that can touch stored data, with how many entities it touches. */
export interface BlueprintChange {
  kind: 'propertyRemoved' | 'propertyChanged' | 'relationRemoved' | 'relationTargetRemoved';
  path: string;
  message: string;
  affected: number;
}

/** The measured destructive part of a blueprint change; `apply()` carries it out (force). */
export interface BlueprintMigration {
  blueprint: string;
  changes: BlueprintChange[];
  apply(): Promise<void>;
}

function fromStored(schemaType: string, value: unknown): unknown {
  if (schemaType === 'object' && typeof value === 'string') {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/**
 * Compares two versions of a blueprint and counts the entities each destructive change would
 * touch: removed properties, properties whose stored values fail the new schema, removed
 * relations and removed relation targets. Additive changes are not listed: they are instant.
 */
export async function planBlueprintChange(db: Db, before: Blueprint, after: Blueprint): Promise<BlueprintMigration> {
  const Label = labelOf(after.identifier);
  const changes: BlueprintChange[] = [];
  const steps: (() => Promise<void>)[] = [];
  for (const [name, oldSchema] of Object.entries(before.schema.properties)) {
    const newSchema = after.schema.properties[name];
    if (newSchema && JSON.stringify(newSchema) === JSON.stringify(oldSchema)) continue;
    const rows = await readRows<{ identifier: string; value: unknown }>(db, loadQuery('model/property-values', { Label }), {
      property: name,
    });
    let bad = rows.map((r) => r.identifier);
    if (newSchema) {
      const check = compilePropertySchema(newSchema);
      bad = rows.filter((r) => !check(fromStored(newSchema.type, r.value))).map((r) => r.identifier);
    }
    changes.push({
      kind: newSchema ? 'propertyChanged' : 'propertyRemoved',
      path: `/schema/properties/${name}`,
      message: newSchema
        ? `${bad.length} entities hold a value of "${name}" that the new schema rejects; with force those values are removed`
        : `${bad.length} entities hold property "${name}"; with force it is removed from them`,
      affected: bad.length,
    });
    if (bad.length > 0) {
      // Measured again when applied: entities written between the plan and the apply count too.
      steps.push(async () => {
        const now = await readRows<{ identifier: string; value: unknown }>(db, loadQuery('model/property-values', { Label }), { property: name });
        const check = newSchema ? compilePropertySchema(newSchema) : null;
        const invalid = now.filter((r) => !check || !check(fromStored(newSchema!.type, r.value))).map((r) => r.identifier);
        for (let i = 0; i < invalid.length; i += 5000) {
          await writeRows(db, loadQuery('model/remove-property-values', { Label }), {
            identifiers: invalid.slice(i, i + 5000),
            nulls: { [name]: null },
          });
        }
      });
    }
  }
  for (const [name, oldRel] of Object.entries(before.relations ?? {})) {
    const newRel = after.relations?.[name];
    const Type = relTypeOf(name);
    let keepTargets: string[] | null = null;
    if (newRel) {
      const removed = targetsOf(oldRel).filter((t) => !targetsOf(newRel).includes(t));
      if (removed.length === 0) continue;
      keepTargets = targetsOf(newRel);
    }
    const [row] = await readRows<{ count: number }>(db, loadQuery('model/count-relationships', { Label, Type }), { keepTargets });
    changes.push({
      kind: newRel ? 'relationTargetRemoved' : 'relationRemoved',
      path: `/relations/${name}`,
      message: newRel
        ? `${row.count} "${name}" relationships point at blueprints no longer among its targets; with force they are deleted`
        : `${row.count} "${name}" relationships exist; with force they are deleted`,
      affected: row.count,
    });
    if (row.count > 0) {
      steps.push(async () => {
        for (;;) {
          const [d] = await writeRows<{ deleted: number }>(db, loadQuery('model/delete-relationships', { Label, Type }), {
            keepTargets,
          });
          if (d.deleted === 0) break;
        }
      });
    }
  }
  return {
    blueprint: after.identifier,
    changes,
    async apply() {
      for (const step of steps) await step();
    },
  };
}
