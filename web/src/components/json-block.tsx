/** A JSON value as indented text, scrolling inside its box (never widening the page). */
export function JsonBlock({ value, testId }: { value: unknown; testId?: string }) {
  const text = value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return (
    <pre
      className="max-h-80 overflow-auto rounded-lg border bg-muted/30 p-3 font-mono text-xs leading-relaxed"
      data-testid={testId}
    >
      {text}
    </pre>
  );
}
