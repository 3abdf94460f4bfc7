// The lab's kernel tunings, kept per adapter in the browser's IndexedDB, as the command line
// keeps them in ~/.cache/aelab/tuning (tuning/cache.ts): a second visit starts at tuned speed.
// A stored tuning of other kernel sources or another adapter is ignored (table.ts's load).
import type { Engine } from '../backend/engine.ts';
import type { TuningFile } from '../tuning/table.ts';
import { adoptTuning, tuningRecord } from '../tuning/tuning-file.ts';

const DATABASE = 'aelab';
const STORE = 'tuning';

function openDatabase(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
  });
}

async function transact<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const database = await openDatabase();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = run(database.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    database.close();
  }
}

/** Loads this adapter's stored tuning into the engine; how many entries it adopted (0 without IndexedDB). */
export async function loadStoredTuning(engine: Engine): Promise<number> {
  if (typeof indexedDB === 'undefined') return 0;
  const file = await transact<TuningFile | undefined>('readonly', (store) =>
    store.get(engine.adapterDescription),
  ).catch(() => undefined);
  return file ? adoptTuning(engine, file) : 0;
}

/** Stores the engine's tuning table under its adapter. */
export async function storeTuning(engine: Engine): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  await transact('readwrite', (store) => store.put(tuningRecord(engine), engine.adapterDescription));
}
