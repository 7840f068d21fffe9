import { createSignal, Show } from 'solid-js';
import { BrandMark } from '../../components/icons.tsx';
import { describeError } from '../../components/states.tsx';
import { useSession } from '../../session.tsx';

/** Sign-in with an API token. The token stays in this tab's sessionStorage, never in the URL. */
export function SignInPage() {
  const session = useSession();
  const [token, setToken] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!token().trim()) {
      setError('Paste a token to sign in.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await session.signIn(token());
    } catch (err) {
      const d = describeError(err);
      setError(
        d.title === 'Request failed' || /401|token/i.test(d.message)
          ? 'That token was not accepted. Check it has not expired or been revoked.'
          : `${d.title}: ${d.message}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="signin">
      <form class="card signin-card stack" onSubmit={submit} data-testid="sign-in">
        <div class="brand">
          <BrandMark /> Plexus
        </div>
        <div>
          <h2>Sign in</h2>
          <p class="muted" style={{ 'margin-bottom': 0 }}>
            Use an API token. An admin creates one with <code>POST /api/v1/tokens</code>; a fresh install
            prints its admin token at start-up.
          </p>
        </div>
        <div class="field">
          <label for="token">API token</label>
          <input
            id="token"
            name="token"
            class={`input ${error() ? 'invalid' : ''}`}
            type="password"
            autocomplete="off"
            placeholder="plx_…"
            value={token()}
            onInput={(e) => setToken(e.currentTarget.value)}
            autofocus
          />
          <Show when={error()}>
            <span class="field-error" role="alert">
              {error()}
            </span>
          </Show>
          <span class="field-hint">Kept only for this browser tab; closing it signs you out.</span>
        </div>
        <button type="submit" class="btn primary" disabled={busy()} style={{ height: '38px' }}>
          <Show when={busy()} fallback="Sign in">
            <div class="spinner" style={{ width: '14px', height: '14px' }} /> Checking…
          </Show>
        </button>
      </form>
    </div>
  );
}
