import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { buildWeb, WEB_DIST, webBuildState } from '../../scripts/webBuild.ts';
import { CHROMIUM } from './browser.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    webDir: string;
  }
}

/** Once per run: the built UI (reused when web/dist is newer than its sources, as after `npm run build:web`). */
export default function setup(project: TestProject) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser tests drive Debian's Chromium. Install it (apt-get install chromium); .ci/run does.`,
    );
  }
  if (webBuildState() !== 'fresh') buildWeb();
  project.provide('webDir', WEB_DIST);
}
