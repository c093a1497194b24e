import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect, useMemo, useRef } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { z } from 'zod';
import type { ColorName, Goal } from '@/api/types';
import { ColorPicker } from '@/components/color-picker';
import { FormError } from '@/components/form-error';
import { Button } from '@/components/ui/button';
import { Checkbox } from '@/components/ui/checkbox';
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from '@/components/ui/dialog';
import {
  Form,
  FormControl,
  FormDescription,
  FormField,
  FormItem,
  FormLabel,
  FormMessage,
} from '@/components/ui/form';
import { Input } from '@/components/ui/input';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { Textarea } from '@/components/ui/textarea';
import { applyProblem } from '@/lib/forms';
import { GOAL_SLUG_PATTERN, nameSchema, slugify } from '@/lib/validation';
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
  const slugTouched = useRef(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reset to the goal being edited each time the dialog opens.
  useEffect(() => {
    if (open) {
      form.reset(initial);
      slugTouched.current = editing;
    }
  }, [open, goal?.id]);

  const onSubmit = form.handleSubmit(async (values) => {
    try {
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
      onOpenChange(false);
      onSaved?.(saved);
    } catch (error) {
      applyProblem(form, error, t);
    }
  });

  const slug = form.watch('slug');
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent closeLabel={t('common.close')} className="sm:max-w-lg">
        <DialogHeader>
          <DialogTitle>{editing ? t('goals.form.editTitle') : t('goals.form.createTitle')}</DialogTitle>
          <DialogDescription>
            {projectId ? t('goals.form.projectDescription') : t('goals.form.globalDescription')}
          </DialogDescription>
        </DialogHeader>
        <Form {...form}>
          <form onSubmit={onSubmit} noValidate className="grid gap-4">
            <FormError form={form} />
            <FormField
              control={form.control}
              name="name"
              render={({ field }) => (
                <FormItem>
                  <FormLabel>{t('goals.form.name')}</FormLabel>
                  <FormControl>
                    <Input
                      {...field}
                      autoFocus
                      onChange={(e) => {
                        field.onChange(e);
                        if (!slugTouched.current) form.setValue('slug', slugify(e.target.value, '_'));
                      }}
                    />
                  </FormControl>
                  <FormMessage />
                </FormItem>
              )}
            />
            <FormField
              control={form.control}
              name="slug"
              render={({ field }) => (
                <FormItem>
                  <FormLabel>{t('goals.form.slug')}</FormLabel>
                  <FormControl>
                    <Input
                      {...field}
                      disabled={editing}
                      className="font-mono"
                      onChange={(e) => {
                        slugTouched.current = true;
                        field.onChange(e);
                      }}
                    />
                  </FormControl>
                  <FormDescription>
                    {projectSlug
                      ? t('goals.form.slugInProject', { address: `${projectSlug}-${slug || '…'}` })
                      : t('goals.form.slugHint')}
                  </FormDescription>
                  <FormMessage />
                </FormItem>
              )}
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
              <FormField
                control={form.control}
                name="allowedProjectIds"
                render={({ field }) => (
                  <FormItem>
                    <FormLabel>{t('goals.form.allowedProjects')}</FormLabel>
                    <FormDescription>{t('goals.form.allowedProjectsHint')}</FormDescription>
                    <div
                      className="max-h-40 overflow-y-auto rounded-md border p-2"
                      data-testid="allowed-projects"
                    >
                      {(projects ?? []).length === 0 && (
                        <p className="p-1 text-sm text-muted-foreground">{t('goals.form.noProjects')}</p>
                      )}
                      {(projects ?? []).map((p) => {
                        const checked = field.value.includes(p.id);
                        return (
                          // biome-ignore lint/a11y/noLabelWithoutControl: the Radix checkbox inside is the control.
                          <label
                            key={p.id}
                            className="flex cursor-pointer items-center gap-2 rounded px-1 py-1 text-sm hover:bg-accent"
                          >
                            <Checkbox
                              checked={checked}
                              onCheckedChange={(on) =>
                                field.onChange(
                                  on ? [...field.value, p.id] : field.value.filter((id) => id !== p.id),
                                )
                              }
                            />
                            {p.name}
                          </label>
                        );
                      })}
                    </div>
                    <FormMessage />
                  </FormItem>
                )}
              />
            )}
            <DialogFooter>
              <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" disabled={form.formState.isSubmitting}>
                {editing ? t('common.save') : t('goals.form.create')}
              </Button>
            </DialogFooter>
          </form>
        </Form>
      </DialogContent>
    </Dialog>
  );
}
