import { useTranslation } from 'react-i18next';
import { CopyButton } from '@/components/copy-button';

/** The `curl` that counts one for a goal with the project's API key, filled in with this server's address. */
export function incrementCommand(origin: string, goalSlug: string, apiKey: string | null): string {
  return [
    `curl -X POST ${origin}/api/v1/goals/${goalSlug}/increment \\`,
    `  -H 'X-Api-Key: ${apiKey ?? '$M3M_API_KEY'}' \\`,
    `  -H 'Content-Type: application/json' -d '{"by": 1}'`,
  ].join('\n');
}

export function IncrementSnippet({ goalSlug, apiKey }: { goalSlug: string; apiKey: string | null }) {
  const { t } = useTranslation();
  const command = incrementCommand(window.location.origin, goalSlug, apiKey);
  return (
    <div className="grid min-w-0 grid-cols-[minmax(0,1fr)] gap-2">
      <div className="relative min-w-0 rounded-lg border bg-muted/50">
        <pre className="overflow-x-auto p-4 pr-24 font-mono text-xs leading-relaxed" data-testid="curl">
          {command}
        </pre>
        <div className="absolute top-2 right-2">
          <CopyButton text={command} />
        </div>
      </div>
      {!apiKey && <p className="text-sm text-muted-foreground">{t('projects.overview.keyHint')}</p>}
    </div>
  );
}
