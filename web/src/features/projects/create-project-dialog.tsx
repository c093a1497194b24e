import { zodResolver } from '@hookform/resolvers/zod';
import { useMemo } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { z } from 'zod';
import type { ColorName } from '@/api/types';
import { ColorPicker } from '@/components/color-picker';
import { FormDialog } from '@/components/form-dialog';
import { NameSlugFields } from '@/components/form-fields';
import { FormField, FormItem, FormLabel } from '@/components/ui/form';
import { nameSchema, PROJECT_SLUG_PATTERN } from '@/lib/validation';
import { useCreateProject } from './queries';

export interface CreatedProject {
  id: string;
  slug: string;
  name: string;
  apiKey: string;
}

const EMPTY = { name: '', slug: '', color: null };

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
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: EMPTY });

  return (
    <FormDialog
      open={open}
      onOpenChange={onOpenChange}
      form={form}
      initialValues={EMPTY}
      title={t('projects.create.title')}
      description={t('projects.create.description')}
      submitLabel={t('projects.create.submit')}
      onSubmit={async (values) => {
        const project = await create.mutateAsync({ ...values, color: values.color as ColorName | null });
        toast.success(t('projects.create.done', { name: project.name }));
        onCreated({ id: project.id, slug: project.slug, name: project.name, apiKey: project.apiKey });
      }}
    >
      <NameSlugFields
        form={form}
        nameLabel={t('projects.fields.name')}
        slugLabel={t('projects.fields.slug')}
        slugHint={t('projects.fields.slugHint')}
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
    </FormDialog>
  );
}
