// `npm run lint:api`: Redocly's lint (`@redocly/cli`, rules in redocly.yaml) of the OpenAPI document the server
// serves, built in-process. test/http/openApiDocument.test.ts runs the same in `npm test`.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { serverOpenApiDocument } from './webApiTypes.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const REDOCLY = join(root, 'node_modules/@redocly/cli/bin/cli.js');
const CONFIG = join(root, 'redocly.yaml');
// No telemetry and no update check: the lint runs offline, in CI and in tests.
const QUIET = { REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };

export interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer: string }[];
}
export interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  version: string;
  problems: LintProblem[];
}

/** `redocly lint --format json` of the document, with the repository's redocly.yaml. */
export async function lintOpenApi(document: unknown): Promise<LintReport> {
  const dir = await mkdtemp(join(tmpdir(), 'm3m-redocly-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    const args = [REDOCLY, 'lint', file, '--config', CONFIG, '--format', 'json', '--max-problems', '1000'];
    // Exit status 1 means "problems found": the JSON on stdout says which.
    const { stdout } = await promisify(execFile)(process.execPath, args, {
      env: { ...process.env, ...QUIET },
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string }) => {
      if (error.stdout?.trimStart().startsWith('{')) return { stdout: error.stdout };
      throw new Error(`redocly lint did not run: ${error.stderr ?? error}`);
    });
    return JSON.parse(stdout) as LintReport;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const describeProblem = (p: LintProblem) =>
  `${p.severity} ${p.ruleId} at ${p.location.map((l) => l.pointer).join(', ')}: ${p.message}`;

if (import.meta.main) {
  const report = await lintOpenApi(await serverOpenApiDocument());
  for (const problem of report.problems) console.log(describeProblem(problem));
  const { errors, warnings } = report.totals;
  console.log(`redocly ${report.version}: ${errors} errors, ${warnings} warnings`);
  if (errors + warnings > 0) process.exitCode = 1;
}
