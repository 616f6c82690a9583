/**
 * The workflow graph's geometry, laid out by dagre (a layered layout, as the Step Functions console's
 * own graph): node sizes from their labels, one layout per definition, computed once.
 *
 * Every task of the workflow catches into RollBack. Laid out as ordinary arrows, those fifteen catches
 * fan across the graph and drag the main path sideways; so the states reached only through a catch
 * (the rollback branch) are laid out below the end, and each catch arrow is routed by hand along a
 * gutter to the right of the graph — where they merge into one line, as a bus.
 */
import dagre, { type GraphLabel } from '@dagrejs/dagre';
import { type Definition, END, START, type StateType, type Transition, transitions } from './workflow.ts';

export type NodeShape = 'task' | 'pass' | 'wait' | 'choice' | 'succeed' | 'fail' | 'start' | 'end';

export interface LaidNode {
  name: string;
  shape: NodeShape;
  type?: StateType;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LaidEdge extends Transition {
  points: { x: number; y: number }[];
}

export interface GraphLayout {
  nodes: LaidNode[];
  edges: LaidEdge[];
  width: number;
  height: number;
}

/** Approximate width of a character of the graph's 11 px sans-serif labels. */
const CHAR_PX = 6.4;
export const NODE_HEIGHT = 26;
/** Room right of the rightmost state for the catch gutter. */
const GUTTER = 16;

const SHAPES: Record<StateType, NodeShape> = {
  Task: 'task',
  Pass: 'pass',
  Wait: 'wait',
  Choice: 'choice',
  Succeed: 'succeed',
  Fail: 'fail',
  Parallel: 'task',
  Map: 'task',
};

function nodeSize(name: string, shape: NodeShape): { width: number; height: number } {
  if (shape === 'start' || shape === 'end') return { width: 22, height: 22 };
  const text = name.length * CHAR_PX;
  // A Choice is a hexagon: its pointed ends need room beyond the text.
  const pad = shape === 'choice' ? 34 : 20;
  return { width: Math.ceil(text + pad), height: NODE_HEIGHT };
}

/** States reachable from the start without a catch: the main path and its branches. */
function mainStates(all: Transition[]): Set<string> {
  const seen = new Set<string>([START]);
  const queue = [START];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const t of all) {
      if (t.from === next && t.kind !== 'catch' && !seen.has(t.to)) {
        seen.add(t.to);
        queue.push(t.to);
      }
    }
  }
  seen.delete(START);
  seen.delete(END);
  return seen;
}

export function layoutDefinition(def: Definition, options: GraphLabel = {}): GraphLayout {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  // UR alignment keeps the main path one straight column (the others let it drift with every hook stage).
  g.setGraph({
    rankdir: 'TB',
    align: 'UR',
    nodesep: 16,
    ranksep: 18,
    edgesep: 8,
    marginx: 12,
    marginy: 10,
    ...options,
  });
  g.setDefaultEdgeLabel(() => ({}));
  const shapes = new Map<string, { shape: NodeShape; type?: StateType }>();
  shapes.set(START, { shape: 'start' });
  shapes.set(END, { shape: 'end' });
  for (const [name, state] of Object.entries(def.States)) {
    shapes.set(name, { shape: SHAPES[state.Type] ?? 'task', type: state.Type });
  }
  for (const [name, { shape }] of shapes) g.setNode(name, nodeSize(name, shape));
  const all = transitions(def);
  const main = mainStates(all);
  // A catch from the main path into the rollback branch is routed by hand; every other arrow is laid.
  const bused = (t: Transition) => t.kind === 'catch' && main.has(t.from) && !main.has(t.to);
  for (const t of all) {
    if (!bused(t)) g.setEdge(t.from, t.to, { weight: t.kind === 'catch' ? 1 : 4, minlen: 1 });
  }
  // The rollback branch hangs below the end, by an arrow that is laid but not drawn.
  const targets = new Set(all.filter(bused).map((t) => t.to));
  for (const target of targets) g.setEdge(END, target, { weight: 1, minlen: 1 });
  dagre.layout(g);

  const nodes: LaidNode[] = [...shapes].map(([name, { shape, type }]) => {
    const n = g.node(name) as { x: number; y: number; width: number; height: number };
    return { name, shape, ...(type ? { type } : {}), x: n.x, y: n.y, width: n.width, height: n.height };
  });
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const graph = g.graph() as { width?: number; height?: number };
  const gutter = Math.max(...nodes.map((n) => n.x + n.width / 2)) + GUTTER / 2 + 4;
  const edges: LaidEdge[] = all.map((t) => {
    const from = byName.get(t.from);
    const to = byName.get(t.to);
    if (bused(t) && from && to) return { ...t, points: busRoute(from, to, gutter) };
    const laid = g.edge(t.from, t.to) as { points?: { x: number; y: number }[] } | undefined;
    return { ...t, points: (laid?.points ?? []).map((p) => ({ x: p.x, y: p.y })) };
  });
  return { nodes, edges, width: Math.max(graph.width ?? 0, gutter + GUTTER / 2), height: graph.height ?? 0 };
}

/**
 * A catch arrow along the gutter: out of the state's right side, down the gutter, and into the top of
 * the catch target from above.
 *
 * @example Bake (x 300 ± 30, y 500) → RollBack (x 280, top 980), gutter 420:
 *   (330,500) (420,500) (420,960) (280,960) (280,980)
 */
export function busRoute(from: LaidNode, to: LaidNode, gutter: number): { x: number; y: number }[] {
  const top = to.y - to.height / 2;
  const above = top - 12;
  return [
    { x: from.x + from.width / 2, y: from.y },
    { x: gutter, y: from.y },
    { x: gutter, y: above },
    { x: to.x, y: above },
    { x: to.x, y: top },
  ];
}
