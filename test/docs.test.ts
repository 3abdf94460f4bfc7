// The docs' links into the code: every link to FILE#LN names, as its code-span text, what that
// line of FILE holds. A file that moves, or a line that shifts, fails here with where the name
// is now.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

interface LineLink {
  readonly doc: string;
  readonly name: string;
  readonly file: string;
  readonly line: number;
}

/** The [`name`](path#LN) links of a Markdown text, resolved from its folder. */
function lineLinks(doc: string, text: string): LineLink[] {
  return [...text.matchAll(/\[`([^`]+)`\]\(([^)#\s]+)#L(\d+)\)/g)].map((match) => ({
    doc,
    name: match[1]!,
    file: normalize(join(dirname(doc), match[2]!)),
    line: Number(match[3]),
  }));
}

/** What is wrong with a link, or null: the file, the line and whether the line holds the name. */
function problem(link: LineLink): string | null {
  if (!existsSync(link.file)) return `${link.doc}: ${link.file} does not exist`;
  // The name must stand in the line's code: a comment that mentions it does not count.
  const lines = readFileSync(link.file, 'utf8')
    .split('\n')
    .map((text) => (/^\s*(\/\/|\/?\*)/.test(text) ? '' : text.replace(/\s\/\/.*$/, '')));
  if (lines[link.line - 1]?.includes(link.name)) return null;
  const now = lines.flatMap((text, i) => (text.includes(link.name) ? [i + 1] : []));
  return `${link.doc}: ${link.file}:${link.line} does not hold '${link.name}'${now.length ? ` (it is on line ${now.join(', ')})` : ''}`;
}

const docs = [
  'README.md',
  ...readdirSync('docs')
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name)),
];
const links = docs.flatMap((doc) => lineLinks(doc, readFileSync(doc, 'utf8')));

describe("the docs' links into the code", () => {
  it('the walkthrough links every stop of a training step', () => {
    const walkthrough = links.filter((link) => link.doc === join('docs', 'walkthrough.md'));
    expect(walkthrough.length).toBeGreaterThan(30);
    expect(walkthrough.map((link) => link.name)).toEqual(
      expect.arrayContaining(['notebookAutoencoder', 'apply', 'dispatchWorkgroups', 'backward', 'update']),
    );
  });

  it('every linked line holds the name the link gives', () => {
    expect(links.map(problem).filter((text) => text !== null)).toEqual([]);
  });

  it('the check fails a link whose line moved, and says where the name is now', () => {
    const [moved] = lineLinks('docs/x.md', '[`notebookAutoencoder`](../src/experiments/notebook-autoencoder.ts#L3)');
    expect(problem(moved!)).toMatch(
      /notebook-autoencoder\.ts:3 does not hold 'notebookAutoencoder' \(it is on line \d+/,
    );
    // A comment line that mentions the name is not its code (engine.ts's first line speaks of dispatches).
    const [comment] = lineLinks('docs/x.md', '[`GPUDevice`](../src/backend/engine.ts#L1)');
    expect(problem(comment!)).toMatch(/engine\.ts:1 does not hold 'GPUDevice'/);
    const [missing] = lineLinks('docs/x.md', '[`x`](../src/none.ts#L1)');
    expect(problem(missing!)).toMatch(/src\/none\.ts does not exist/);
  });
});
