/**
 * The execution graph: statemachines/deployment.asl.json laid out by dagre and drawn as SVG, each state
 * coloured by what this execution did there, loop counts on the states it entered more than once, and
 * the transitions it took drawn strong. Tests read `data-state` and `data-status` on each node.
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { DEFINITION } from '../definition.ts';
import { type GraphLayout, type LaidEdge, type LaidNode, layoutDefinition } from '../layout.ts';
import type { ExecutionEvent } from '../types.ts';
import {
  END,
  type ExecutionPicture,
  edgeKey,
  picture,
  type StateRun,
  type StateStatus,
} from '../workflow.ts';

let cached: GraphLayout | undefined;
const layout = () => {
  cached ??= layoutDefinition(DEFINITION);
  return cached;
};

const STATUS_TEXT: Record<StateStatus, string> = {
  notRun: 'not run',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  caught: 'caught (rolled back)',
};

export function ExecutionGraph({ events }: { events: readonly ExecutionEvent[] }) {
  const g = layout();
  const pic = useMemo(() => picture(DEFINITION, events), [events]);
  const box = useRef<HTMLDivElement>(null);
  // What to keep in view: the running state, or where the execution ended.
  const running =
    [...pic.states].find(([, r]) => r.status === 'running')?.[0] ?? (pic.ended ? pic.path.at(-1) : undefined);
  // Keep the running state in view inside the graph's own scroll box (never scrolls the page).
  useEffect(() => {
    const el = box.current;
    const svg = el?.querySelector('svg');
    const node = running ? g.nodes.find((n) => n.name === running) : undefined;
    if (!el || !svg || !node) return;
    const scale = svg.getBoundingClientRect().width / g.width || 1;
    const left = svg.getBoundingClientRect().left - el.getBoundingClientRect().left + el.scrollLeft;
    const x = left + node.x * scale;
    const y = node.y * scale;
    const inView = (p: number, from: number, size: number) => p > from + size * 0.2 && p < from + size * 0.8;
    if (!inView(y, el.scrollTop, el.clientHeight) || !inView(x, el.scrollLeft, el.clientWidth)) {
      el.scrollTo({ top: Math.max(0, y - el.clientHeight / 2), left: Math.max(0, x - el.clientWidth / 2) });
    }
  }, [running, g]);
  return (
    <div class="graph-box" ref={box}>
      <svg
        class="graph"
        viewBox={`0 0 ${g.width} ${g.height}`}
        width={g.width}
        style={{ maxWidth: '100%', height: 'auto' }}
        role="img"
        aria-label="Execution graph"
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 8 8"
            refX="7"
            refY="4"
            markerWidth="8"
            markerHeight="8"
            markerUnits="userSpaceOnUse"
            orient="auto"
          >
            <path d="M0,0 L8,4 L0,8 z" class="arrowhead" />
          </marker>
          <marker
            id="arrow-taken"
            viewBox="0 0 8 8"
            refX="7"
            refY="4"
            markerWidth="8"
            markerHeight="8"
            markerUnits="userSpaceOnUse"
            orient="auto"
          >
            <path d="M0,0 L8,4 L0,8 z" class="arrowhead taken" />
          </marker>
        </defs>
        <g class="edges">
          {g.edges.map((e) => (
            <Edge key={edgeKey(e.from, e.to)} edge={e} taken={pic.taken.has(edgeKey(e.from, e.to))} />
          ))}
        </g>
        <g class="nodes">
          {g.nodes.map((n) => (
            <Node key={n.name} node={n} pic={pic} />
          ))}
        </g>
      </svg>
    </div>
  );
}

export function GraphLegend() {
  return (
    <ul class="legend">
      {(['notRun', 'running', 'succeeded', 'caught', 'failed'] as const).map((s) => (
        <li key={s}>
          <span class={`swatch st-${s}`} /> {STATUS_TEXT[s]}
        </li>
      ))}
    </ul>
  );
}

function Edge({ edge, taken }: { edge: LaidEdge; taken: boolean }) {
  const [first, ...rest] = edge.points;
  if (!first) return null;
  const d = `M${first.x},${first.y}${rest.map((p) => ` L${p.x},${p.y}`).join('')}`;
  return (
    <path
      d={d}
      class={`edge edge-${edge.kind}${taken ? ' taken' : ''}`}
      marker-end={taken ? 'url(#arrow-taken)' : 'url(#arrow)'}
      data-edge={`${edge.from}->${edge.to}`}
    />
  );
}

function Node({ node, pic }: { node: LaidNode; pic: ExecutionPicture }) {
  const { name, shape, x, y, width: w, height: h } = node;
  if (shape === 'start' || shape === 'end') {
    const reached =
      shape === 'start' ? pic.path.length > 0 : [...pic.taken].some((k) => k.endsWith(`\u2192${END}`));
    return (
      <g class={`node node-${shape}${reached ? ' reached' : ''}`} transform={`translate(${x},${y})`}>
        <circle r={w / 2} />
        <text class="terminal-label" dy="0.35em">
          {shape === 'start' ? 'Start' : 'End'}
        </text>
      </g>
    );
  }
  const run: StateRun = pic.states.get(name) ?? { status: 'notRun', visits: 0, retries: 0 };
  const comment = (DEFINITION.States[name] as { Comment?: string } | undefined)?.Comment;
  const tip = [
    `${name} (${node.type ?? 'State'})`,
    `${STATUS_TEXT[run.status]}${run.visits > 1 ? `, entered ${run.visits} times` : ''}`,
    run.retries > 0 ? `retried ${run.retries}×` : '',
    run.error ? `${run.error}${run.cause ? `: ${run.cause}` : ''}` : '',
    comment ?? '',
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <g
      class={`node node-${shape} st-${run.status}`}
      transform={`translate(${x - w / 2},${y - h / 2})`}
      data-state={name}
      data-status={run.status}
      data-visits={run.visits}
    >
      <title>{tip}</title>
      <Shape shape={shape} w={w} h={h} />
      <text x={w / 2} y={h / 2} dy="0.35em" class="label">
        {name}
      </text>
      {run.visits > 1 && <LoopBadge x={w} visits={run.visits} />}
    </g>
  );
}

/** "×10": how often the execution entered the state, on its top-right corner. */
function LoopBadge({ x, visits }: { x: number; visits: number }) {
  const text = `×${visits}`;
  const width = 8 + text.length * 6.2;
  return (
    <g class="loops" transform={`translate(${x - width / 2 - 2},-7)`}>
      <rect width={width} height={15} rx={7.5} />
      <text x={width / 2} y={7.5} dy="0.35em">
        {text}
      </text>
    </g>
  );
}

function Shape({ shape, w, h }: { shape: LaidNode['shape']; w: number; h: number }) {
  switch (shape) {
    case 'choice': {
      const k = 12;
      return (
        <polygon
          class="shape"
          points={`${k},0 ${w - k},0 ${w},${h / 2} ${w - k},${h} ${k},${h} 0,${h / 2}`}
        />
      );
    }
    case 'succeed':
    case 'fail':
      return <rect class="shape" width={w} height={h} rx={h / 2} />;
    case 'pass':
    case 'wait':
      return <rect class="shape" width={w} height={h} rx={2} />;
    default:
      return <rect class="shape" width={w} height={h} rx={6} />;
  }
}
