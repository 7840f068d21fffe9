import { A, Route, Router, type RouteSectionProps } from '@solidjs/router';
import { ErrorBoundary, type JSX, lazy, Show, Suspense } from 'solid-js';
import { ConfirmProvider } from './components/confirm-dialog.tsx';
import { Shell } from './components/shell.tsx';
import { Empty, ErrorState, Loading } from './components/states.tsx';
import { ToastProvider } from './components/toasts.tsx';
import { ModelProvider } from './model.tsx';
import { CatalogPage } from './routes/catalog/catalog-page.tsx';
import { HomePage } from './routes/home/home-page.tsx';
import { ScorecardPage } from './routes/scorecards/scorecard-page.tsx';
import { ScorecardsPage } from './routes/scorecards/scorecards-page.tsx';
import { SignInPage } from './routes/sign-in/sign-in-page.tsx';
import { SessionProvider, useSession } from './session.tsx';

// Pages that draw graphs load Cytoscape; they come as separate chunks so the catalog opens fast.
const EntityPage = lazy(() =>
  import('./routes/entity/entity-page.tsx').then((m) => ({ default: m.EntityPage })),
);
const ExplorerPage = lazy(() =>
  import('./routes/graph/explorer-page.tsx').then((m) => ({ default: m.ExplorerPage })),
);
// Actions, runs and approvals: their own chunk.
const actionsChunk = () => import('./routes/actions/pages.ts');
const ActionsPage = lazy(() => actionsChunk().then((m) => ({ default: m.ActionsPage })));
const ActionEditorPage = lazy(() => actionsChunk().then((m) => ({ default: m.ActionEditorPage })));
const RunsPage = lazy(() => actionsChunk().then((m) => ({ default: m.RunsPage })));
const RunPage = lazy(() => actionsChunk().then((m) => ({ default: m.RunPage })));
const ApprovalsPage = lazy(() => actionsChunk().then((m) => ({ default: m.ApprovalsPage })));
const ModelPage = lazy(() => import('./routes/model/model-page.tsx').then((m) => ({ default: m.ModelPage })));

function Signed(props: { children: JSX.Element }) {
  const session = useSession();
  // Signing in keeps the URL: a deep link opened without a session lands where it pointed.
  return (
    <Show when={session.token()} fallback={<SignInPage />} keyed>
      <ModelProvider>
        <Shell>
          <ErrorBoundary fallback={(err, reset) => <ErrorState error={err} retry={reset} />}>
            <Suspense fallback={<Loading />}>{props.children}</Suspense>
          </ErrorBoundary>
        </Shell>
      </ModelProvider>
    </Show>
  );
}

function Root(props: RouteSectionProps) {
  return (
    <ToastProvider>
      <ConfirmProvider>
        <Signed>{props.children}</Signed>
      </ConfirmProvider>
    </ToastProvider>
  );
}

function NotFound() {
  return (
    <div class="page">
      <Empty
        title="Nothing here"
        action={
          <A href="/" class="btn">
            Go to the overview
          </A>
        }
      >
        This address does not match a page of Plexus.
      </Empty>
    </div>
  );
}

/** The Plexus UI: session, model and shell around the routed pages. */
export function App() {
  return (
    <SessionProvider>
      <Router root={Root}>
        <Route path="/" component={HomePage} />
        <Route path="/catalog/:blueprint" component={CatalogPage} />
        <Route path="/entities/:blueprint/:identifier" component={EntityPage} />
        <Route path="/graph" component={ExplorerPage} />
        <Route path="/model" component={ModelPage} />
        <Route path="/model/:blueprint" component={ModelPage} />
        <Route path="/scorecards" component={ScorecardsPage} />
        <Route path="/scorecards/:scorecard" component={ScorecardPage} />
        <Route path="/actions" component={ActionsPage} />
        <Route path="/actions/:id" component={ActionEditorPage} />
        <Route path="/runs" component={RunsPage} />
        <Route path="/runs/:id" component={RunPage} />
        <Route path="/approvals" component={ApprovalsPage} />
        <Route path="*" component={NotFound} />
      </Router>
    </SessionProvider>
  );
}
