import { createResource } from 'solid-js';
import { parseEntityKey, type StoredEntity } from '../../api/types.ts';
import { EntityChip } from '../../components/entity-chip.tsx';
import { peek } from '../../components/peek.ts';
import { useApi } from '../../session.tsx';

/** A chip for a `blueprint:identifier` key, showing the entity's title once read (the identifier until then, or if it is gone). */
export function EntityRef(props: { entityKey: string }) {
  const api = useApi();
  const ref = () => parseEntityKey(props.entityKey);
  const [entity] = createResource(
    () => props.entityKey,
    async () => {
      try {
        const { blueprint, identifier } = ref();
        // A search, not a GET of the entity: a run outlives its entity (a decommission removes
        // it, so may its blueprint), and an entity that is gone is an empty answer, not a 404.
        const found = await api.post<{ entities: StoredEntity[] }>('/api/v1/search', {
          combinator: 'and',
          rules: [{ property: 'identifier', operator: '=', value: identifier }],
          limit: 50,
        });
        return found.entities.find((e) => e.blueprint === blueprint) ?? null;
      } catch {
        return null;
      }
    },
  );
  return <EntityChip {...ref()} title={peek(entity)?.title ?? null} />;
}
