// Headless Chromium with WebGPU for the browser scripts (browser-lab.mjs, bench-browser.mjs):
// Debian's /usr/bin/chromium (or $CHROMIUM_PATH) driven by playwright-core, with a throw-away
// profile folder. WebGPU on Linux needs --enable-unsafe-webgpu; here it gets SwiftShader.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/** A browser context and its profile folder (a scratch place for downloads too); close() removes both. */
export async function launchChromium(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'aelab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    ...options,
    args: [
      '--enable-unsafe-webgpu',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    context,
    profile,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
