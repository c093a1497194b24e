import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import type { Goal } from '@/api/types';
import { ConfirmDialog } from '@/components/confirm-dialog';
import { useDeleteGoal } from './queries';

export function DeleteGoalDialog({
  goal,
  onOpenChange,
  onDeleted,
}: {
  goal: Goal | null;
  onOpenChange: (open: boolean) => void;
  onDeleted?: () => void;
}) {
  const { t } = useTranslation();
  const remove = useDeleteGoal();
  return (
    <ConfirmDialog
      open={!!goal}
      onOpenChange={onOpenChange}
      title={t('goals.delete.title', { name: goal?.name ?? '' })}
      description={t('goals.delete.body')}
      confirmLabel={t('goals.delete.confirm')}
      onConfirm={async () => {
        if (!goal) return;
        await remove.mutateAsync(goal.id);
        toast.success(t('goals.delete.done', { name: goal.name }));
        onDeleted?.();
      }}
    />
  );
}
