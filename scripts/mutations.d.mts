// Types of scripts/mutations.mjs, for the tests that import it.
export interface Mutation {
  readonly name: string;
  readonly file: string;
  readonly list: string;
  readonly from: string;
  readonly to: string;
  /** The tests that must catch it, where not those of its list (testsFor). */
  readonly tests?: { readonly files: string[]; readonly filter: string | null };
}
export interface BackwardEntryPoint {
  readonly file: string;
  readonly name: string;
  readonly text: string;
}
export function mutationLists(folder?: string): Mutation[];
export function testsFor(list: string, mutationName?: string): { files: string[]; filter: string | null };
export function backwardEntryPoints(folder?: string): BackwardEntryPoint[];
