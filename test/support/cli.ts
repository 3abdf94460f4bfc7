// Runs the bundled aelab command as a child process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CLI_BUNDLE } from './global-setup.ts';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], environment: Record<string, string> = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI_BUNDLE, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...environment },
    maxBuffer: 256 * 1024 * 1024,
    timeout: 300_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function startCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI_BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}
