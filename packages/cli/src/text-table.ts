import { terminalSafe } from 'tokensmith/internal/core/terminal-text.js';

/**
 * Rows under their headers as an aligned plain-text table (two spaces between columns). Cells often
 * hold server text (descriptions, role names), so each is made terminal-safe first.
 */
export function table(headers: string[], cells: string[][]): string {
  const rows = cells.map((r) => r.map((c) => terminalSafe(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
