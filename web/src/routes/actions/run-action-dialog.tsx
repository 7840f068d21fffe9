import { useNavigate } from '@solidjs/router';
import { createResource, createSignal, Show } from 'solid-js';
import { type ActionDefinition, actionsApi, type Me } from '../../api/actions.ts';
import { entityKey, type StoredEntity } from '../../api/types.ts';
import { ActionForm } from '../../components/action-form.tsx';
import { fieldErrorsOf } from '../../components/action-form-model.ts';
import { peek } from '../../components/peek.ts';
import { Dialog } from '../../components/popover.tsx';
import { useToast } from '../../components/toasts.tsx';
import { useApi } from '../../session.tsx';

/** The caller, for the form rules' `user` (cached per session client). */
const meCache = new WeakMap<object, Promise<Me | null>>();
export function useMe() {
  const api = useApi();
  const [me] = createResource(() => {
    let p = meCache.get(api);
    if (!p) {
      p = actionsApi(api)
        .me()
        .catch(() => null);
      meCache.set(api, p);
    }
    return p;
  });
  return me;
}

/**
 * Runs an action: its generated form in a dialog, then `POST /actions/{id}/runs` and on to the
 * run's page. A 400 from the server lands on the fields it names.
 */
export function RunActionDialog(props: {
  action: ActionDefinition;
  entity: StoredEntity | null;
  onClose: () => void;
}) {
  const api = useApi();
  const toast = useToast();
  const navigate = useNavigate();
  const me = useMe();
  const [busy, setBusy] = createSignal(false);
  const [serverErrors, setServerErrors] = createSignal<Record<string, string[]>>();
  const [general, setGeneral] = createSignal<string[]>([]);
  const a = () => props.action;

  const run = async (inputs: Record<string, unknown>) => {
    setBusy(true);
    setGeneral([]);
    try {
      const started = await actionsApi(api).run(a().identifier, {
        ...(props.entity ? { entity: entityKey(props.entity.blueprint, props.entity.identifier) } : {}),
        inputs,
      });
      toast(
        started.status === 'WAITING_FOR_APPROVAL'
          ? `${a().title} is waiting for approval`
          : `${a().title} started`,
        'success',
      );
      props.onClose();
      navigate(`/runs/${encodeURIComponent(started.id)}`);
    } catch (err) {
      const { fields, rest } = fieldErrorsOf(err, Object.keys(a().inputs?.properties ?? {}));
      setServerErrors(fields);
      setGeneral(rest);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={a().title || a().identifier} onClose={props.onClose} testId="run-action-dialog" wide>
      <Show when={a().description}>
        <p class="muted action-description">{a().description}</p>
      </Show>
      <Show when={props.entity}>
        <p class="small faint">
          On <span class="mono">{entityKey(props.entity!.blueprint, props.entity!.identifier)}</span>
        </p>
      </Show>
      <Show when={a().operation === 'DELETE'}>
        <div class="alert warning">This action deletes or decommissions its target.</div>
      </Show>
      <Show when={a().approval?.required}>
        <div class="alert info" data-testid="needs-approval">
          This action needs approval ({a().approval?.type === 'ALL' ? 'every approver' : 'any approver'})
          before it runs.
        </div>
      </Show>
      <Show when={general().length > 0}>
        <div class="alert error" role="alert" data-testid="run-error">
          {general().join('; ')}
        </div>
      </Show>
      <Show when={me.state !== 'pending'}>
        <ActionForm
          inputs={a().inputs ?? { properties: {} }}
          entity={props.entity}
          user={peek(me) ?? null}
          formId="run-action"
          serverErrors={serverErrors()}
          onSubmit={(v) => void run(v)}
          footer={(nav) => (
            <div class="dialog-footer flush">
              <span class="faint small grow">
                {nav.pages > 1 ? `Step ${nav.page + 1} of ${nav.pages}` : ''}
              </span>
              <button type="button" class="btn ghost" onClick={props.onClose}>
                Cancel
              </button>
              <Show when={nav.page > 0}>
                <button type="button" class="btn" onClick={nav.back} data-testid="form-back">
                  Back
                </button>
              </Show>
              <button
                type="submit"
                class={`btn ${a().operation === 'DELETE' && nav.last ? 'danger' : 'primary'}`}
                disabled={busy()}
                data-testid={nav.last ? 'run-submit' : 'form-next'}
              >
                {nav.last ? (busy() ? 'Starting…' : a().approval?.required ? 'Request' : 'Run') : 'Next'}
              </button>
            </div>
          )}
        />
      </Show>
    </Dialog>
  );
}
