// The gradient-check table as text: `aelab check` prints it, the lab's Gradients view shows
// the same columns.
import type { CheckRow } from './suite.ts';

export const CHECK_COLUMNS = ['op', 'case', 'forward', 'backward', 'finite diff.', 'result'] as const;

/** A relative error in three significant figures ('-' where the check does not apply). */
export function formatError(error: number | null): string {
  if (error === null) return '-';
  if (!Number.isFinite(error)) return String(error);
  return error === 0 ? '0' : error.toExponential(2);
}

export function checkCells(row: CheckRow): string[] {
  return [
    row.op,
    row.case,
    formatError(row.forward),
    formatError(row.backward),
    formatError(row.finiteDifferences),
    row.passed ? 'pass' : 'FAIL',
  ];
}

const WIDTHS = [16, 60, 9, 9, 12, 6];

export function checkLine(cells: readonly string[]): string {
  return cells
    .map((cell, i) =>
      (cell.length > WIDTHS[i]! && i === 1 ? `${cell.slice(0, WIDTHS[i]! - 1)}…` : cell).padEnd(WIDTHS[i]!),
    )
    .join(' ')
    .trimEnd();
}
