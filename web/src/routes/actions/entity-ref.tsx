import { createResource } from 'solid-js';
import { seg } from '../../api/client.ts';
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
        return await api.get<StoredEntity>(
          `/api/v1/blueprints/${seg(blueprint)}/entities/${seg(identifier)}`,
        );
      } catch {
        return null;
      }
    },
  );
  return <EntityChip {...ref()} title={peek(entity)?.title ?? null} />;
}
