import type { RunStatus } from '../../api/actions.ts';
import { statusTone } from '../../api/actions.ts';

/** A run's status as a coloured badge (the executor's status label, when it gave one, beside it). */
export function RunStatusBadge(props: { status: RunStatus; label?: string | null }) {
  const t = () => statusTone(props.status);
  return (
    <span class="row run-status" data-status={props.status}>
      <span class={`badge ${t().tone}`} data-testid="run-status">
        {t().label}
      </span>
      {props.label ? <span class="faint small">{props.label}</span> : null}
    </span>
  );
}
