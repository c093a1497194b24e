import { zodResolver } from '@hookform/resolvers/zod';
import { useMemo } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { z } from 'zod';
import type { ColorName, Project } from '@/api/types';
import { ColorPicker } from '@/components/color-picker';
import { FormError } from '@/components/form-error';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
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
import { nameSchema, PROJECT_SLUG_PATTERN } from '@/lib/validation';
import { useUpdateProject } from '../queries';

export function GeneralCard({ project }: { project: Project }) {
  const { t } = useTranslation();
  const update = useUpdateProject(project.id);
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
    values: { name: project.name, slug: project.slug, color: project.color },
  });
  const onSubmit = form.handleSubmit(async (values) => {
    const changed: { name?: string; slug?: string; color?: ColorName | null } = {};
    if (values.name !== project.name) changed.name = values.name;
    if (values.slug !== project.slug) changed.slug = values.slug;
    if (values.color !== project.color) changed.color = values.color as ColorName | null;
    try {
      await update.mutateAsync(changed);
      toast.success(t('projects.settings.saved'));
    } catch (error) {
      applyProblem(form, error, t);
    }
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('projects.settings.general')}</CardTitle>
        <CardDescription>{t('projects.settings.generalHint')}</CardDescription>
      </CardHeader>
      <Form {...form}>
        <form onSubmit={onSubmit} noValidate className="flex flex-1 flex-col gap-6">
          <CardContent className="grid flex-1 gap-4">
            <FormError form={form} />
            <FormField
              control={form.control}
              name="name"
              render={({ field }) => (
                <FormItem>
                  <FormLabel>{t('projects.fields.name')}</FormLabel>
                  <FormControl>
                    <Input {...field} />
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
                    <Input {...field} className="font-mono" />
                  </FormControl>
                  <FormDescription>{t('projects.settings.slugChange')}</FormDescription>
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
          </CardContent>
          <CardFooter className="justify-end">
            <Button type="submit" disabled={form.formState.isSubmitting || !form.formState.isDirty}>
              {t('common.save')}
            </Button>
          </CardFooter>
        </form>
      </Form>
    </Card>
  );
}
