import { monaco } from './monaco';
import { type StringCompletions, stringArgumentAt } from './string-arguments';

/**
 * Offers the project's variable names in `m3m.env.get("…")` and its goal slugs in `m3m.goals.increment("…")`,
 * opening on the quote. Providers are per language, not per editor: this one answers only for the model at
 * `path`, so each worker's editor offers its own project's names.
 */
export function registerStringCompletions(
  language: string,
  path: string,
  current: () => StringCompletions | undefined,
): { dispose(): void } {
  const uri = monaco.Uri.parse(path).toString();
  return monaco.languages.registerCompletionItemProvider(language, {
    triggerCharacters: ['"', "'", '`'],
    provideCompletionItems(model, position) {
      const names = current();
      if (!names || model.uri.toString() !== uri) return { suggestions: [] };
      const prefix = model.getValueInRange({
        startLineNumber: position.lineNumber,
        startColumn: 1,
        endLineNumber: position.lineNumber,
        endColumn: position.column,
      });
      const at = stringArgumentAt(prefix);
      if (!at) return { suggestions: [] };
      const range = {
        startLineNumber: position.lineNumber,
        endLineNumber: position.lineNumber,
        startColumn: position.column - at.typed.length,
        endColumn: position.column,
      };
      const env = at.kind === 'envNames';
      return {
        suggestions: names[at.kind].map((name) => ({
          label: name,
          insertText: name,
          kind: env
            ? monaco.languages.CompletionItemKind.Variable
            : monaco.languages.CompletionItemKind.Constant,
          detail: env ? names.envDetail : names.goalDetail,
          // Ahead of the words Monaco collects from the file.
          sortText: `0${name}`,
          range,
        })),
      };
    },
  });
}
