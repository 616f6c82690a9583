/**
 * A timeline, newest first: a deployment's or a release's own account of what happened. An analysis
 * entry's chip takes its verdict's colour, with where it ran under it.
 */
import { analysisEntry, POINTS, VERDICT_CLASS } from '../analysis-model.ts';
import { clockTime } from '../format.ts';
import type { TimelineEntry } from '../types.ts';
import { Empty } from './bits.tsx';

/** Under an analysis entry: where it ran and over which minutes, the baseline's when they differ. */
function AnalysisNote({ entry }: { entry: TimelineEntry }) {
  const a = analysisEntry(entry);
  if (!a) return null;
  const span = (w: { from: number; to: number }) => `${clockTime(w.from)}–${clockTime(w.to)}`;
  const parts = [
    a.percent !== undefined ? `at ${a.percent} %` : '',
    a.point ? POINTS[a.point] : '',
    a.window ? `window ${span(a.window)}` : '',
    a.baselineWindow && a.baselineWindow.from !== a.window?.from ? `baseline ${span(a.baselineWindow)}` : '',
  ].filter((p) => p !== '');
  return parts.length > 0 ? <span class="tl-note muted small">{parts.join(' · ')}</span> : null;
}

export function Timeline({ entries }: { entries: TimelineEntry[] }) {
  if (entries.length === 0) return <Empty>Nothing recorded yet.</Empty>;
  return (
    <ol class="timeline" reversed>
      {[...entries].reverse().map((e, i) => (
        <TimelineItem key={`${e.at}-${entries.length - i}`} entry={e} />
      ))}
    </ol>
  );
}

/** One entry; an analysis entry's chip takes its verdict's colour. */
function TimelineItem({ entry: e }: { entry: TimelineEntry }) {
  const verdict = analysisEntry(e)?.verdict;
  return (
    <li class={`tl tl-${e.kind}`} data-verdict={verdict}>
      <time dateTime={e.at}>{clockTime(e.at)}</time>
      <span class={`chip kind-${e.kind}${verdict ? ` ${VERDICT_CLASS[verdict]}` : ''}`}>{e.kind}</span>
      <span class="tl-msg">
        {e.message}
        {e.kind === 'analysis' && <AnalysisNote entry={e} />}
      </span>
    </li>
  );
}
