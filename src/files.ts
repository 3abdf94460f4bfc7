// Files on the user's machine (Node and Deno, never the browser): writes that are all or
// nothing, file-system errors as messages a person can act on, and the per-user cache folder.
import * as fs from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { AelabError } from './errors.ts';

/** A file-system failure, said in one line that names the path (no stack trace). */
export class FileError extends AelabError {
  override name = 'FileError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** What each error code means for the user, and what to do. */
const ADVICE: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'the disk is full: free some space and run the command again (with --resume for a run)',
  EROFS: 'the file system is read-only',
  EIO: 'an input/output error on the disk',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  EDQUOT: 'the disk quota is exceeded',
};

/** A Node file-system error (one with a code like ENOENT) as a FileError naming `path`; anything else as it is. */
export function fileError(error: unknown, path: string, doing: string): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (!code || !/^E[A-Z]+$/.test(code)) return error;
  return new FileError(`${doing} ${path}: ${ADVICE[code] ?? (error as Error).message} (${code})`, code);
}

/**
 * The part of node:fs that writeFileAtomic uses (the tests substitute a disk that fills up),
 * written out so that the package's declarations need no Node types.
 */
export interface WriteSystem {
  openSync(path: string, flags: string): number;
  writeSync(file: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(file: number): void;
  closeSync(file: number): void;
  renameSync(from: string, to: string): void;
  rmSync(path: string, options: { force: boolean }): void;
}

/**
 * Writes a temporary file beside the target, every byte of it (a write may take only part of
 * what it is given), flushes it to disk, renames it over the target and flushes the folder, so
 * the rename itself survives a crash. A reader sees the old file or the new one, never a
 * half-written one. Any failure (a full disk, an I/O error) removes the temporary file and
 * throws a FileError naming the target: nothing partial is ever committed.
 */
export function writeFileAtomic(
  path: string,
  contents: Uint8Array | string,
  system: WriteSystem = faultyOnCue(fs),
): void {
  const bytes = typeof contents === 'string' ? new TextEncoder().encode(contents) : contents;
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    const file = system.openSync(temporary, 'w');
    try {
      for (let written = 0; written < bytes.length;) {
        const count = system.writeSync(file, bytes, written, bytes.length - written);
        if (count <= 0) throw Object.assign(new Error('the disk took no more bytes'), { code: 'ENOSPC' });
        written += count;
      }
      system.fsyncSync(file);
    } finally {
      system.closeSync(file);
    }
    system.renameSync(temporary, path);
  } catch (error) {
    try {
      system.rmSync(temporary, { force: true });
    } catch {
      // The temporary file may never have been made; the error below is the one to report.
    }
    throw fileError(error, path, 'cannot write');
  }
  syncFolder(dirname(path));
}

/**
 * Fault injection for `npm run test:faults`: with AELAB_FAULT_WRITE=N, the Nth atomic write of
 * the process takes half its bytes and then finds the disk full (ENOSPC), as a real one would.
 */
let writesBeforeFault = Number(process.env['AELAB_FAULT_WRITE'] ?? 0);

function faultyOnCue(system: WriteSystem): WriteSystem {
  if (writesBeforeFault <= 0 || --writesBeforeFault > 0) return system;
  let wrote = false;
  return {
    ...system,
    writeSync: (file: number, buffer: Uint8Array, offset: number, length: number) => {
      if (wrote || length < 2)
        throw Object.assign(new Error('ENOSPC: no space left on device, write (AELAB_FAULT_WRITE)'), {
          code: 'ENOSPC',
        });
      wrote = true;
      return fs.writeSync(file, buffer, offset, Math.floor(length / 2));
    },
  };
}

/** Flushes a folder's entries (a rename) to disk; where a platform cannot open a folder, there is nothing to flush. */
function syncFolder(folder: string): void {
  let handle: number | null = null;
  try {
    handle = fs.openSync(folder, 'r');
    fs.fsyncSync(handle);
  } catch {
    // Windows and some file systems refuse to open or sync a folder: the rename stands.
  } finally {
    if (handle !== null) fs.closeSync(handle);
  }
}

/** Reads a file's bytes, naming it in the error when it is missing or unreadable. */
export function readFileBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(fs.readFileSync(path));
  } catch (error) {
    throw fileError(error, path, 'cannot read');
  }
}

/** Reads a JSON file, naming it in the error when it is missing, unreadable or not valid JSON (cut short, say). */
export function readJsonFile<T>(path: string): T {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (error) {
    throw fileError(error, path, 'cannot read');
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new FileError(`${path} is not valid JSON (cut short, or edited by hand?)`, undefined);
  }
}

/** The per-user cache of downloaded data sets and kernel tunings: $XDG_CACHE_HOME/aelab, else ~/.cache/aelab. */
export function defaultCacheDirectory(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'aelab');
}
