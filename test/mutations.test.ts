// The mutation lists beside the ops (*mutations.json): each mutation's text occurs exactly once
// in its file and changes it, so a refactor that moves the text fails here, in seconds; and
// every backward entry point of every .wgsl file (read from the WGSL, not listed by hand) has
// a mutation inside it or a function it calls. scripts/test.sh runs a sample of the mutations
// themselves (scripts/mutation-check.mjs), which must be caught by a failed assertion.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backwardEntryPoints, mutationLists, testsFor } from '../scripts/mutations.mjs';

const mutations = mutationLists();

describe('mutation lists', () => {
  it('every backward entry point in the WGSL has a mutation in its body or a function it calls', () => {
    const entries = backwardEntryPoints();
    expect(entries.length).toBeGreaterThanOrEqual(19);
    const uncovered = entries.filter(
      (entry) => !mutations.some((mutation) => mutation.file === entry.file && entry.text.includes(mutation.from)),
    );
    expect(uncovered.map((entry) => `${entry.file}: ${entry.name}`)).toEqual([]);
  });

  it('finds a new backward entry point, so one without a mutation would fail the test above', () => {
    const folder = mkdtempSync(join(tmpdir(), 'aelab-wgsl-'));
    writeFileSync(
      join(folder, 'cube.wgsl'),
      '@compute @workgroup_size(64)\nfn cube_backward(@builtin(global_invocation_id) id: vec3u) {\n  let i = id.x;\n}\n\n// #each-quad\nfn gradient(index: u32) {\n  output[index] = input[index];\n}\n\nfn helper() {\n}\n',
    );
    expect(backwardEntryPoints(folder).map((entry) => entry.name)).toEqual(['cube_backward', 'gradient']);
  });

  it('names the tests that must catch each list, and every one exists', () => {
    for (const mutation of mutations) {
      const { files } = mutation.tests ?? testsFor(mutation.list, mutation.name);
      for (const file of files) expect(() => readFileSync(file), `${mutation.name}: ${file}`).not.toThrow();
    }
  });

  it.each(mutations.map((mutation) => [mutation.name, mutation] as const))(
    '%s: its text occurs once, and the mutation changes it',
    (_, mutation) => {
      const text = readFileSync(mutation.file, 'utf8');
      expect(text.split(mutation.from).length - 1).toBe(1);
      expect(mutation.to).not.toBe(mutation.from);
    },
  );
});
