import { A } from '@solidjs/router';
import { seg } from '../api/client.ts';
import { kindStyle } from '../graph/kind-style.ts';

/** Path of an entity page. */
export const entityHref = (blueprint: string, identifier: string) =>
  `/entities/${seg(blueprint)}/${seg(identifier)}`;

/** A link to an entity, with its kind's colour. */
export function EntityChip(props: { blueprint: string; identifier: string; title?: string | null }) {
  return (
    <A
      class="chip"
      href={entityHref(props.blueprint, props.identifier)}
      title={`${props.blueprint}:${props.identifier}`}
    >
      <span class="kind-dot" style={{ background: kindStyle(props.blueprint).color }} />
      {props.title || props.identifier}
    </A>
  );
}

/** The small coloured square of a blueprint. */
export function KindDot(props: { blueprint: string }) {
  return <span class="kind-dot" style={{ background: kindStyle(props.blueprint).color }} />;
}
