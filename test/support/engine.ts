// One GPU engine per test file. Tests that need a GPU skip without an adapter on a
// developer's machine, but never in CI: with CI set to anything, a missing adapter fails the run.
import { createEngine } from '../../src/kernels/registry.ts';
import type { Engine, EngineOptions } from '../../src/backend/engine.ts';

export async function testEngine(options: EngineOptions = {}): Promise<Engine | null> {
  try {
    // Poison: every tensor the engine hands out starts as NaN, so an unwritten element fails.
    return await createEngine({ poison: Number.NaN, ...options });
  } catch (error) {
    if (underCi()) throw new Error(`CI=${process.env['CI']} and no WebGPU adapter: ${String(error)}`);
    console.warn(`GPU tests skipped: ${String(error)}`);
    return null;
  }
}

/** Whether this is a CI run: CI set to any non-empty value (CI=true, CI=1, ...). */
export function underCi(): boolean {
  return (process.env['CI'] ?? '') !== '';
}
