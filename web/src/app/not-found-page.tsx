import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { Button } from '@/components/ui/button';

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <div className="flex min-h-[60vh] flex-col items-center justify-center gap-3 text-center">
      <div className="text-5xl font-semibold tracking-tight text-muted-foreground">404</div>
      <h1 className="text-lg font-medium">{t('common.notFound.title')}</h1>
      <p className="max-w-sm text-sm text-muted-foreground">{t('common.notFound.body')}</p>
      <Button asChild variant="outline">
        <Link to="/">{t('common.notFound.home')}</Link>
      </Button>
    </div>
  );
}
