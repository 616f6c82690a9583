/**
 * Traffic over time: the planned schedule as a dashed step line, what happened as a solid one, bakes as
 * shaded bands, alarms, hooks, errors and analysis runs as marks along the top (a run coloured by its
 * worst verdict, with a line down only when a check failed), and a "now" line while it runs. Drawn
 * at the box's real width, so its text stays readable on a phone.
 */
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { clockTime } from '../format.ts';
import { type Point, type TrafficModel, timeTicks } from '../traffic-model.ts';

const HEIGHT = 220;
const M = { top: 26, right: 14, bottom: 30, left: 38 };

function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(240, Math.floor(el.clientWidth)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

export function TrafficChart({ model }: { model: TrafficModel }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const w = width - M.left - M.right;
  const h = HEIGHT - M.top - M.bottom;
  const x = (t: number) => M.left + ((t - model.from) / (model.to - model.from)) * w;
  const y = (p: number) => M.top + h - (p / 100) * h;
  const stepPath = (points: Point[], until?: number) => {
    const [first, ...rest] = points;
    if (!first) return '';
    let d = `M${x(first.t)},${y(first.percent)}`;
    for (const p of rest) d += ` H${x(p.t)} V${y(p.percent)}`;
    if (until !== undefined) d += ` H${x(until)}`;
    return d;
  };
  const lastPlanned = model.planned[model.planned.length - 1];
  // A label is about 50 px wide, centred on its tick: none may run off either edge.
  const ticks = timeTicks(model.from, model.to, Math.max(2, Math.floor(w / 90))).filter(
    (t) => x(t) >= 26 && x(t) <= width - 26,
  );
  const actualLast = model.actual[model.actual.length - 1];
  return (
    <div class="traffic" ref={ref}>
      <svg
        width={width}
        height={HEIGHT}
        class="traffic-chart"
        role="img"
        aria-label="Traffic on the new revision over time"
        data-shifts={model.actual.length - 2}
        data-percent={actualLast?.percent ?? 0}
      >
        <g class="grid">
          {[0, 25, 50, 75, 100].map((p) => (
            <g key={p}>
              <line x1={M.left} x2={M.left + w} y1={y(p)} y2={y(p)} />
              <text x={M.left - 6} y={y(p)} dy="0.35em" text-anchor="end">
                {p}%
              </text>
            </g>
          ))}
          {ticks.map((t) => (
            <text key={t} x={x(t)} y={HEIGHT - 8} text-anchor="middle">
              {clockTime(t)}
            </text>
          ))}
        </g>
        <g class="bakes">
          {model.bakes.map((b) => {
            const current = model.now !== undefined && b.to >= model.now;
            return (
              <g key={b.from}>
                {current && (
                  <rect
                    class="bake-shade"
                    x={x(b.from)}
                    y={M.top}
                    width={Math.max(1, x(b.to) - x(b.from))}
                    height={h}
                  />
                )}
                <rect
                  class={`bake${current ? ' current' : ''}`}
                  x={x(b.from) + 0.5}
                  y={M.top + h + 3}
                  width={Math.max(1.5, x(b.to) - x(b.from) - 1.5)}
                  height={5}
                  rx={1.5}
                >
                  <title>{`${clockTime(b.from)} ${b.label}`}</title>
                </rect>
              </g>
            );
          })}
        </g>
        {lastPlanned && (
          <path
            class="planned"
            data-series="planned"
            d={stepPath(model.planned, Math.max(lastPlanned.t, model.to))}
          />
        )}
        <path class="actual" data-series="actual" d={stepPath(model.actual)} />
        {model.now !== undefined && (
          <g class="now">
            <line x1={x(model.now)} x2={x(model.now)} y1={M.top - 4} y2={M.top + h} />
          </g>
        )}
        <g class="marks">
          {model.marks.map((m, i) => (
            <g
              key={`${m.t}-${i}`}
              class={`mark mark-${m.kind}${m.verdict ? ` verdict-${m.verdict.toLowerCase()}` : ''}`}
              transform={`translate(${x(m.t)},${M.top - 12})`}
              data-mark={m.kind}
              {...(m.verdict ? { 'data-verdict': m.verdict } : {})}
            >
              <title>{`${clockTime(m.t)} ${m.label}`}</title>
              {(m.kind !== 'analysis' || m.verdict === 'Failed') && <line y1={8} y2={h + 12} />}
              {m.kind === 'analysis' ? (
                <rect x={-3.5} y={-3.5} width={7} height={7} rx={1.5} />
              ) : m.kind === 'hook' ? (
                <rect x={-4} y={-4} width={8} height={8} transform="rotate(45)" />
              ) : m.kind === 'alarm' ? (
                <path d="M0,-6 L6,5 L-6,5 z" />
              ) : (
                <circle r={4.5} />
              )}
            </g>
          ))}
        </g>
      </svg>
      <ul class="legend chart-legend">
        <li>
          <span class="key key-planned" /> planned
        </li>
        <li>
          <span class="key key-actual" /> actual
        </li>
        <li>
          <span class="key key-bake" /> bake
        </li>
        <li>
          <span class="key key-hook" /> hook
        </li>
        <li>
          <span class="key key-alarm" /> alarm
        </li>
        {model.marks.some((m) => m.kind === 'analysis') && (
          <li>
            <span class="key key-analysis" /> analysis
          </li>
        )}
      </ul>
    </div>
  );
}
