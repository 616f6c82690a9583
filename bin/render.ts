import type { ResolvedConfig } from '../functions/core/configs.ts';
import { formatDuration } from '../functions/core/duration.ts';
import { offsets, type Schedule } from '../functions/core/planner.ts';

const BAR_WIDTH = 20;

/** A text bar of `percent` on the new revision: `████░░░░…`. */
export function bar(percent: number, width = BAR_WIDTH): string {
  const full = Math.round((percent / 100) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** The schedule as a table: step, time offset, percent on the new revision, bake, bar. */
export function renderSchedule(resolved: ResolvedConfig, schedule: Schedule): string {
  const at = offsets(schedule);
  const lines = [
    `${resolved.name}${resolved.platform ? ` (${resolved.platform})` : ''}`,
    '',
    '  step  at        new revision  bake     ',
  ];
  schedule.steps.forEach((step, i) => {
    if (step.pause) {
      const timeout = step.pause.timeoutSeconds;
      lines.push(
        `  ${String(i + 1).padStart(4)}  ${`T+${formatDuration(at[i] ?? 0)}`.padEnd(9)} pause at ${step.percent} % until approved${
          timeout === undefined ? '' : `, ${formatDuration(timeout)} then ${step.pause.onTimeout}`
        }`,
      );
      return;
    }
    lines.push(
      `  ${String(i + 1).padStart(4)}  ${`T+${formatDuration(at[i] ?? 0)}`.padEnd(9)} ${`${step.percent} %`.padStart(
        7,
      )}       ${(step.bakeSeconds ? formatDuration(step.bakeSeconds) : '—').padEnd(8)} ${bar(step.percent)}`,
    );
  });
  const last = schedule.steps.at(-1);
  const beforeLast = schedule.totalSeconds - (last?.bakeSeconds ?? 0);
  lines.push(
    '',
    `${schedule.steps.length} step${schedule.steps.length === 1 ? '' : 's'}, ${formatDuration(beforeLast)} of bake before the last, ending at ${last?.percent ?? 0} %.`,
  );
  return lines.join('\n');
}

export function scheduleJson(resolved: ResolvedConfig, schedule: Schedule) {
  const at = offsets(schedule);
  return {
    name: resolved.name,
    ...(resolved.platform ? { platform: resolved.platform } : {}),
    config: resolved.config,
    steps: schedule.steps.map((s, i) => ({ ...s, atSeconds: at[i] ?? 0 })),
    totalSeconds: schedule.totalSeconds,
  };
}
