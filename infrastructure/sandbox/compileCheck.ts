// Syntax check of a worker source, in a throw-away isolate of the runtime process: TypeScript is stripped of
// its types, V8 parses the result as an ES module (nothing runs), then static imports are refused.
import ivm from 'isolated-vm';
import type { CompileResult, WorkerLanguage } from './types.ts';
import { toJavaScript } from './typescript.ts';
import { importLocation, parseSyntaxError, WORKER_FILENAME } from './workerIsolate.ts';

export async function checkSource(
  source: string,
  language: WorkerLanguage,
  maxSourceBytes: number,
  onCatastrophicError: (message: string) => void,
): Promise<CompileResult> {
  const bytes = Buffer.byteLength(source);
  if (bytes > maxSourceBytes) {
    return {
      ok: false,
      error: {
        message: `the source is too large (${bytes} bytes, limit ${maxSourceBytes})`,
        line: 1,
        column: 1,
      },
    };
  }
  const stripped = toJavaScript(source, language);
  if (!stripped.ok) return stripped;
  const isolate = new ivm.Isolate({ memoryLimit: 64, onCatastrophicError });
  try {
    let module: ivm.Module;
    try {
      module = await isolate.compileModule(stripped.code, { filename: WORKER_FILENAME });
    } catch (err) {
      return { ok: false, error: parseSyntaxError(err) };
    }
    const specifier = module.dependencySpecifiers[0];
    if (specifier !== undefined) {
      return {
        ok: false,
        error: {
          message: `import is not supported in workers ('${specifier}'): use the m3m runtime API instead`,
          ...importLocation(stripped.code, specifier),
        },
      };
    }
    return { ok: true };
  } finally {
    isolate.dispose();
  }
}
