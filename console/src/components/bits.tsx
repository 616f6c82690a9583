/** Small pieces every page uses: status badges, percent bars, empty and loading states. */
import type { ComponentChildren } from 'preact';
import { percent } from '../format.ts';

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${status.toLowerCase().replace(/_/g, '-')}`} data-status={status}>
      {status.replace(/_/g, ' ')}
    </span>
  );
}

/** Percent of traffic on the new revision, as a bar and a number. */
export function PercentBar({ value, label }: { value: number | undefined; label?: string }) {
  const v = Math.min(100, Math.max(0, value ?? 0));
  return (
    <span class="pbar" title={label ?? `${percent(value)} on the new revision`}>
      <span class="pbar-track">
        <span class="pbar-fill" style={{ width: `${v}%` }} />
      </span>
      <span class="pbar-num">{percent(value)}</span>
    </span>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function Panel({
  title,
  children,
  class: className,
  aside,
}: {
  title: string;
  children: ComponentChildren;
  class?: string;
  aside?: ComponentChildren;
}) {
  return (
    <section class={`panel${className ? ` ${className}` : ''}`}>
      <header class="panel-head">
        <h2>{title}</h2>
        {aside}
      </header>
      {children}
    </section>
  );
}
