import { useNavigate } from '@tanstack/react-router';
import { Trash2 } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import type { Project } from '@/api/types';
import { forgetProject } from '@/app/current-project';
import { ConfirmDialog } from '@/components/confirm-dialog';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { useDeleteProject } from '../queries';

/** Deletion asks for the slug typed back, as the API does (`confirm`). */
export function DangerZone({ project }: { project: Project }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const remove = useDeleteProject(project.id);
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  return (
    <Card className="border-destructive/50">
      <CardHeader>
        <CardTitle className="text-destructive">{t('projects.danger.title')}</CardTitle>
        <CardDescription>{t('projects.danger.description')}</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
        <p className="text-sm">{t('projects.danger.what')}</p>
        <Button
          variant="destructive"
          onClick={() => {
            setTyped('');
            setOpen(true);
          }}
        >
          <Trash2 /> {t('projects.danger.delete')}
        </Button>
      </CardContent>
      <ConfirmDialog
        open={open}
        onOpenChange={setOpen}
        title={t('projects.danger.confirmTitle', { name: project.name })}
        description={t('projects.danger.confirmBody')}
        confirmLabel={t('projects.danger.deleteForever')}
        confirmDisabled={typed !== project.slug}
        onConfirm={async () => {
          await remove.mutateAsync(typed);
          forgetProject(project.id);
          toast.success(t('projects.danger.deleted', { name: project.name }));
          await navigate({ to: '/' });
        }}
      >
        <div className="grid gap-2">
          <Label htmlFor="confirm-slug">
            {t('projects.danger.typeSlug')} <code className="font-mono font-semibold">{project.slug}</code>
          </Label>
          <Input
            id="confirm-slug"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
            className="font-mono"
          />
        </div>
      </ConfirmDialog>
    </Card>
  );
}
