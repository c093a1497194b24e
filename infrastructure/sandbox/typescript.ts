// TypeScript workers run as the JavaScript Node's own `module.stripTypeScriptTypes` leaves when it erases their
// types. In its strip mode every type is replaced by blanks, so each remaining token keeps its line and column:
// a stack frame or a syntax error in the stripped code points at the same place in the source as written, and
// no source map is needed. Syntax that cannot be erased (enum, namespace, parameter properties) is refused.
import { stripTypeScriptTypes } from 'node:module';
import type { WorkerLanguage } from './types.ts';

export type Stripped =
  | { ok: true; code: string }
  | { ok: false; error: { message: string; line: number; column: number } };

/**
 * Node reports where the TypeScript parser stopped only in the error's decorated stack, not in its message: a
 * `:LINE` header, a few lines of source around it, and carets under the offending token.
 */
function locate(stack: string): { line: number; column: number } {
  const header = /^[^\n]*:(\d+)\n/.exec(stack);
  const caret = /^( *)\^+ *$/m.exec(stack);
  if (!header || !caret) return { line: 1, column: 1 };
  return { line: Number(header[1]), column: caret[1]!.length + 1 };
}

export function toJavaScript(source: string, language: WorkerLanguage | undefined): Stripped {
  if (language !== 'typescript') return { ok: true, code: source };
  try {
    return { ok: true, code: stripTypeScriptTypes(source, { mode: 'strip' }) };
  } catch (err) {
    const error = err as Error & { code?: string };
    if (
      error.code !== 'ERR_INVALID_TYPESCRIPT_SYNTAX' &&
      error.code !== 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX'
    ) {
      throw err;
    }
    return { ok: false, error: { message: error.message, ...locate(String(error.stack)) } };
  }
}
