import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect, useMemo, useRef } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { z } from 'zod';
import type { ColorName } from '@/api/types';
import { ColorPicker } from '@/components/color-picker';
import { FormError } from '@/components/form-error';
import { Button } from '@/components/ui/button';
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
import { applyProblem } from '@/lib/forms';
import { nameSchema, PROJECT_SLUG_PATTERN, slugify } from '@/lib/validation';
import { useCreateProject } from './queries';

export interface CreatedProject {
  id: string;
  slug: string;
  name: string;
  apiKey: string;
}

/** New project: the slug follows the name until the person edits it. */
export function CreateProjectDialog({
  open,
  onOpenChange,
  onCreated,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (project: CreatedProject) => void;
}) {
  const { t } = useTranslation();
  const create = useCreateProject();
  const slugTouched = useRef(false);
  const schema = useMemo(
    () =>
      z.object({
        name: nameSchema({ required: t('validation.required'), tooLong: t('validation.nameTooLong') }),
        slug: z.string().regex(PROJECT_SLUG_PATTERN, t('validation.projectSlug')),
        color: z.string().nullable(),
      }),
    [t],
  );
  type Values = z.infer<typeof schema>;
  const form = useForm<Values>({
    resolver: zodResolver(schema),
    defaultValues: { name: '', slug: '', color: null },
  });

  useEffect(() => {
    if (open) {
      form.reset({ name: '', slug: '', color: null });
      slugTouched.current = false;
    }
  }, [open, form]);

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      const project = await create.mutateAsync({ ...values, color: values.color as ColorName | null });
      toast.success(t('projects.create.done', { name: project.name }));
      onOpenChange(false);
      onCreated({ id: project.id, slug: project.slug, name: project.name, apiKey: project.apiKey });
    } catch (error) {
      applyProblem(form, error, t);
    }
  });

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent closeLabel={t('common.close')}>
        <DialogHeader>
          <DialogTitle>{t('projects.create.title')}</DialogTitle>
          <DialogDescription>{t('projects.create.description')}</DialogDescription>
        </DialogHeader>
        <Form {...form}>
          <form onSubmit={onSubmit} noValidate className="grid gap-4">
            <FormError form={form} />
            <FormField
              control={form.control}
              name="name"
              render={({ field }) => (
                <FormItem>
                  <FormLabel>{t('projects.fields.name')}</FormLabel>
                  <FormControl>
                    <Input
                      {...field}
                      autoFocus
                      onChange={(e) => {
                        field.onChange(e);
                        if (!slugTouched.current) form.setValue('slug', slugify(e.target.value));
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
                  <FormLabel>{t('projects.fields.slug')}</FormLabel>
                  <FormControl>
                    <Input
                      {...field}
                      className="font-mono"
                      onChange={(e) => {
                        slugTouched.current = true;
                        field.onChange(e);
                      }}
                    />
                  </FormControl>
                  <FormDescription>{t('projects.fields.slugHint')}</FormDescription>
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
                </FormItem>
              )}
            />
            <DialogFooter>
              <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" disabled={form.formState.isSubmitting}>
                {t('projects.create.submit')}
              </Button>
            </DialogFooter>
          </form>
        </Form>
      </DialogContent>
    </Dialog>
  );
}
