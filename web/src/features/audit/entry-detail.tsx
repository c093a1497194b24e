import { Link } from '@tanstack/react-router';
import { Filter, History, UserRound } from 'lucide-react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { JsonBlock } from '@/components/json-block';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Sheet, SheetContent, SheetDescription, SheetTitle } from '@/components/ui/sheet';
import { useFormat } from '@/lib/format';
import { cn } from '@/lib/utils';
import type { AuditEntry, AuditSearch } from './queries';

const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** One audit entry: who, how, which request, the data (secrets redacted), and ways to look further. */
export function EntryDetail({
  entry,
  onClose,
  timeTravel,
  onFilter,
}: {
  entry: AuditEntry | null;
  onClose: () => void;
  /** Global admins may open the entity as of this entry. */
  timeTravel: boolean;
  onFilter: (search: AuditSearch) => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const e = entry;
  const changes = e?.changes ?? null;
  // [label, value, shown as code]
  const rows: [string, ReactNode, boolean][] = e
    ? [
        [t('audit.entry.time'), format.dateTime(e.time), false],
        [
          t('audit.entry.actor'),
          <span key="a" className="flex flex-wrap items-center gap-1.5">
            {e.actor.display}
            {e.actor.deleted && <Badge variant="secondary">{t('audit.deleted')}</Badge>}
          </span>,
          false,
        ],
        [t('audit.entry.source'), e.source, true],
        [t('audit.entry.requestId'), e.requestId ?? '—', true],
        [t('audit.entry.stream'), e.stream, true],
        [t('audit.entry.revision'), String(e.revision), true],
        [t('audit.entry.position'), String(e.position), true],
        [t('audit.entry.eventId'), e.eventId, true],
        [t('audit.entry.correlation'), e.correlationId, true],
        [t('audit.entry.causation'), e.causationId ?? '—', true],
      ]
    : [];
  return (
    <Sheet open={!!e} onOpenChange={(open) => !open && onClose()}>
      <SheetContent
        side="right"
        closeLabel={t('common.close')}
        className="w-full gap-0 overflow-y-auto p-0 sm:max-w-xl"
        data-testid="audit-detail"
      >
        {e && (
          <>
            <div className="border-b p-5 pr-12">
              <SheetTitle className="font-mono text-base break-all">{e.type}</SheetTitle>
              <SheetDescription>
                {t('audit.entry.summary', { actor: e.actor.display, time: format.dateTime(e.time) })}
              </SheetDescription>
            </div>
            <div className="grid gap-5 p-5">
              <dl className="grid gap-x-4 gap-y-2 text-sm sm:grid-cols-[9rem_minmax(0,1fr)]">
                {rows.map(([label, value, code]) => (
                  <div key={label} className="contents">
                    <dt className="text-muted-foreground">{label}</dt>
                    <dd className={cn('min-w-0 break-all', code && 'font-mono text-xs sm:pt-0.5')}>
                      {value}
                    </dd>
                  </div>
                ))}
              </dl>
              <div className="flex flex-wrap gap-2">
                {e.actor.id && (
                  <Button size="sm" variant="outline" onClick={() => onFilter({ actor: e.actor.id ?? '' })}>
                    <UserRound /> {t('audit.entry.sameActor')}
                  </Button>
                )}
                <Button size="sm" variant="outline" onClick={() => onFilter({ stream: e.stream })}>
                  <Filter /> {t('audit.entry.sameStream')}
                </Button>
                {timeTravel && (
                  <Button size="sm" asChild>
                    <Link to="/audit/state" search={{ stream: e.stream, at: String(e.position) }}>
                      <History /> {t('audit.entry.asOfHere')}
                    </Link>
                  </Button>
                )}
              </div>
              {changes && changes.length > 0 && (
                <section className="grid gap-2" data-testid="audit-changes">
                  <h3 className="text-sm font-medium">{t('audit.entry.changes')}</h3>
                  <div className="overflow-x-auto rounded-lg border">
                    <table className="w-full text-xs">
                      <thead className="bg-muted/50 text-muted-foreground">
                        <tr>
                          <th className="px-3 py-1.5 text-left font-medium">{t('audit.entry.field')}</th>
                          <th className="px-3 py-1.5 text-left font-medium">{t('audit.entry.before')}</th>
                          <th className="px-3 py-1.5 text-left font-medium">{t('audit.entry.after')}</th>
                        </tr>
                      </thead>
                      <tbody className="divide-y font-mono">
                        {changes.map((c) => (
                          <tr key={c.field}>
                            <td className="px-3 py-1.5">{c.field}</td>
                            <td className="px-3 py-1.5 break-all text-destructive">{show(c.before)}</td>
                            <td className="px-3 py-1.5 break-all text-emerald-700 dark:text-emerald-400">
                              {show(c.after)}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </section>
              )}
              <section className="grid gap-2">
                <h3 className="text-sm font-medium">{t('audit.entry.data')}</h3>
                <JsonBlock value={e.data} testId="audit-data" />
                <p className="text-xs text-muted-foreground">{t('audit.entry.redacted')}</p>
              </section>
            </div>
          </>
        )}
      </SheetContent>
    </Sheet>
  );
}
