// The per-user cache (Node and Deno): downloaded data sets and per-adapter kernel tunings.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** $XDG_CACHE_HOME/aelab, else ~/.cache/aelab. */
export function defaultCacheDirectory(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'aelab');
}
