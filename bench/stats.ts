/** Small helpers for the bench tables. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Row {
  metric: string;
  target: string;
  measured: string;
  ok: boolean | undefined;
}

export function printTable(title: string, rows: Row[]): void {
  const widths = [
    Math.max(6, ...rows.map((r) => r.metric.length)),
    Math.max(6, ...rows.map((r) => r.target.length)),
    Math.max(8, ...rows.map((r) => r.measured.length)),
  ];
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 4)).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(['metric', 'target', 'measured', 'ok']));
  console.log(line(widths.map((w) => '-'.repeat(w)).concat('--')));
  for (const r of rows) console.log(line([r.metric, r.target, r.measured, r.ok === undefined ? '' : r.ok ? 'yes' : 'NO']));
}
