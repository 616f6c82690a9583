/** The console's frame: the header (pages, local or AWS, the connection), the failure banner, the page. */
import { DeploymentPage } from './pages/deployment.tsx';
import { DeploymentsPage } from './pages/deployments.tsx';
import { GroupsPage } from './pages/groups.tsx';
import { ReleasePage } from './pages/release.tsx';
import { ReleasesPage } from './pages/releases.tsx';
import { focusOf, listHref, RELEASES_HREF, useRoute } from './router.ts';
import { useFeed } from './stream.ts';

export function App() {
  const route = useRoute();
  const feed = useFeed(focusOf(route));
  const onReleases = route.page === 'releases' || route.page === 'release';
  const mode = feed.meta?.mode;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          stepshift
        </a>
        <nav>
          <a href="#/" class={route.page === 'groups' ? 'current' : ''}>
            Groups
          </a>
          <a
            href={listHref({})}
            class={route.page === 'deployments' || route.page === 'deployment' ? 'current' : ''}
          >
            Deployments
          </a>
          <a href={RELEASES_HREF} class={onReleases ? 'current' : ''}>
            Releases
          </a>
        </nav>
        <span class="spacer" />
        {mode && (
          <span class={`mode mode-${mode}`} data-mode={mode} title={feed.meta?.api}>
            {mode === 'aws' ? 'AWS' : 'local'}
          </span>
        )}
        <span
          class={`conn ${feed.connected ? 'on' : 'off'}`}
          title={feed.connected ? 'live' : 'reconnecting…'}
          data-connected={feed.connected}
        >
          {feed.connected ? 'live' : 'offline'}
        </span>
      </header>
      {feed.failure && (
        <div class="banner" role="alert" data-banner="failure">
          {feed.failure}
          <span class="muted small"> — showing the last data read</span>
        </div>
      )}
      {!feed.connected && feed.meta && !feed.failure && (
        <div class="banner warn" role="status">
          The connection to the console server is lost; reconnecting…
        </div>
      )}
      <main>
        {route.page === 'groups' && <GroupsPage groups={feed.groups} />}
        {route.page === 'deployments' && (
          <DeploymentsPage deployments={feed.deployments} groups={feed.groups} filters={route} />
        )}
        {route.page === 'deployment' && (
          <DeploymentPage id={route.id} detail={feed.detail} execution={feed.execution} />
        )}
        {route.page === 'releases' && <ReleasesPage releases={feed.releases} />}
        {route.page === 'release' && <ReleasePage id={route.id} detail={feed.release} />}
      </main>
    </>
  );
}
