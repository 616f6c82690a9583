/** The current route, from the location's hash: the hook around ./routes.ts. */
import { useEffect, useState } from 'preact/hooks';
import { parseRoute, type Route } from './routes.ts';

export * from './routes.ts';

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
