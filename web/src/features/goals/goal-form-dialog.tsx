import { zodResolver } from '@hookform/resolvers/zod';
import { useMemo } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { z } from 'zod';
import type { ColorName, Goal } from '@/api/types';
import { ColorPicker } from '@/components/color-picker';
import { FormDialog } from '@/components/form-dialog';
import { ChecklistField, NameSlugFields } from '@/components/form-fields';
import {
  FormControl,
  FormDescription,
  FormField,
  FormItem,
  FormLabel,
  FormMessage,
} from '@/components/ui/form';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { Textarea } from '@/components/ui/textarea';
import { GOAL_SLUG_PATTERN, nameSchema } from '@/lib/validation';
import { useCreateGoal, useUpdateGoal } from './queries';

export interface ProjectOption {
  id: string;
  name: string;
}

/**
 * Create or edit a goal: a project goal when `projectId` is given, else a global goal with the projects
 * allowed to write to it (`projects` lists the choices). Slug and type are fixed once the goal exists.
 */
export function GoalFormDialog({
  open,
  onOpenChange,
  projectId,
  projectSlug,
  goal,
  projects,
  onSaved,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  projectId: string | null;
  projectSlug?: string;
  goal?: Goal;
  projects?: ProjectOption[];
  onSaved?: (goal: Goal) => void;
}) {
  const { t } = useTranslation();
  const create = useCreateGoal(projectId);
  const update = useUpdateGoal(goal?.id ?? '');
  const editing = !!goal;
  const schema = useMemo(
    () =>
      z.object({
        name: nameSchema({ required: t('validation.required'), tooLong: t('validation.nameTooLong') }),
        slug: z.string().regex(GOAL_SLUG_PATTERN, t('validation.goalSlug')),
        type: z.enum(['counter', 'daily_counter']),
        color: z.string().nullable(),
        description: z.string().max(1000, t('validation.descriptionTooLong')),
        allowedProjectIds: z.array(z.string()),
      }),
    [t],
  );
  type Values = z.infer<typeof schema>;
  const initial: Values = {
    name: goal?.name ?? '',
    slug: goal?.goalSlug ?? '',
    type: goal?.type ?? 'daily_counter',
    color: goal?.color ?? null,
    description: goal?.description ?? '',
    allowedProjectIds: goal?.allowedProjectIds ?? [],
  };
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: initial });

  const onSubmit = async (values: Values) => {
    const saved = editing
      ? await update.mutateAsync({
          name: values.name,
          color: values.color as ColorName | null,
          description: values.description,
          ...(projectId ? {} : { allowedProjectIds: values.allowedProjectIds }),
        })
      : await create.mutateAsync({
          name: values.name,
          slug: values.slug,
          type: values.type,
          color: values.color as ColorName | null,
          description: values.description,
          ...(projectId ? {} : { allowedProjectIds: values.allowedProjectIds }),
        });
    toast.success(editing ? t('goals.form.updated') : t('goals.form.created', { name: saved.name }));
    onSaved?.(saved);
  };

  const slug = form.watch('slug');
  return (
    <FormDialog
      open={open}
      onOpenChange={onOpenChange}
      form={form}
      initialValues={initial}
      resetKey={goal?.id}
      title={editing ? t('goals.form.editTitle') : t('goals.form.createTitle')}
      description={projectId ? t('goals.form.projectDescription') : t('goals.form.globalDescription')}
      submitLabel={editing ? t('common.save') : t('goals.form.create')}
      className="sm:max-w-lg"
      onSubmit={onSubmit}
    >
      <NameSlugFields
        form={form}
        nameLabel={t('goals.form.name')}
        slugLabel={t('goals.form.slug')}
        slugHint={
          projectSlug
            ? t('goals.form.slugInProject', { address: `${projectSlug}-${slug || '…'}` })
            : t('goals.form.slugHint')
        }
        separator="_"
        slugLocked={editing}
      />
      <FormField
        control={form.control}
        name="type"
        render={({ field }) => (
          <FormItem>
            <FormLabel>{t('goals.form.type')}</FormLabel>
            <Select value={field.value} onValueChange={field.onChange} disabled={editing}>
              <FormControl>
                <SelectTrigger>
                  <SelectValue />
                </SelectTrigger>
              </FormControl>
              <SelectContent>
                <SelectItem value="daily_counter">{t('goals.types.daily_counter')}</SelectItem>
                <SelectItem value="counter">{t('goals.types.counter')}</SelectItem>
              </SelectContent>
            </Select>
            <FormDescription>{t(`goals.types.${field.value}Hint`)}</FormDescription>
            <FormMessage />
          </FormItem>
        )}
      />
      <FormField
        control={form.control}
        name="color"
        render={({ field }) => (
          <FormItem>
            <FormLabel>{t('common.color')}</FormLabel>
            <ColorPicker value={field.value as ColorName | null} onChange={field.onChange} />
            <FormMessage />
          </FormItem>
        )}
      />
      <FormField
        control={form.control}
        name="description"
        render={({ field }) => (
          <FormItem>
            <FormLabel>{t('goals.form.description')}</FormLabel>
            <FormControl>
              <Textarea rows={2} {...field} />
            </FormControl>
            <FormMessage />
          </FormItem>
        )}
      />
      {!projectId && (
        <ChecklistField
          control={form.control}
          name="allowedProjectIds"
          label={t('goals.form.allowedProjects')}
          description={t('goals.form.allowedProjectsHint')}
          options={projects ?? []}
          empty={t('goals.form.noProjects')}
          className="max-h-40"
          testId="allowed-projects"
        />
      )}
    </FormDialog>
  );
}
