// aelab check: the gradient-check suite as a command a user runs on their own adapter.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.ts';
import { opCases } from '../../src/checks/cases.ts';
import { checkCells, checkLine, formatError } from '../../src/checks/table.ts';

describe('aelab check', () => {
  it('prints one row per case of the named ops, all passing, and writes the same rows as JSON', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'aelab-check-')), 'check.json');
    const result = runCli(['check', '--ops', 'relu,maxPool2d', '--json', json]);
    expect(result.status).toBe(0);
    const rows = result.stdout.split('\n').filter((line) => /^(relu|maxPool2d)\s/.test(line));
    expect(rows).toHaveLength(opCases.relu.length + opCases.maxPool2d.length);
    expect(rows.every((line) => line.endsWith('pass'))).toBe(true);
    expect(result.stdout).toMatch(/^adapter: .+/m);
    expect(result.stdout).toMatch(new RegExp(`^check: ${rows.length} passed, 0 failed$`, 'm'));
    const file = JSON.parse(readFileSync(json, 'utf8'));
    expect(file.rows.map((row: { op: string }) => row.op)).toEqual([
      ...opCases.relu.map(() => 'relu'),
      ...opCases.maxPool2d.map(() => 'maxPool2d'),
    ]);
    // A row without finite differences (null) must not pass as 'below the tolerance'.
    expect(file.rows.every((row: { forward: number }) => typeof row.forward === 'number' && row.forward < 1e-4)).toBe(
      true,
    );
    expect(
      file.rows.some((row: { finiteDifferences: number | null }) => typeof row.finiteDifferences === 'number'),
    ).toBe(true);
    expect(
      file.rows.every(
        (row: { finiteDifferences: number | null }) => row.finiteDifferences === null || row.finiteDifferences < 1e-6,
      ),
    ).toBe(true);
  });

  it('refuses an unknown op (exit 2) naming the ops there are', () => {
    const result = runCli(['check', '--ops', 'relu,conv3d']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--ops: unknown 'conv3d'; the ops are add, .*conv2d.*, variants/);
  });

  it('formats a failing row as FAIL, an infinite error (an unwritten NaN element) as Infinity', () => {
    const row = {
      op: 'relu',
      case: '[2x3]',
      forward: Infinity,
      backward: 2.5e-8,
      finiteDifferences: null,
      passed: false,
      problems: ['forward'],
    };
    expect(checkCells(row)).toEqual(['relu', '[2x3]', 'Infinity', '2.50e-8', '-', 'FAIL']);
    expect(formatError(0)).toBe('0');
    expect(checkLine(['a', 'x'.repeat(80)])).toBe(`a${' '.repeat(16)}${'x'.repeat(59)}…`);
  });
});
