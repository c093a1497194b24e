import { zodResolver } from '@hookform/resolvers/zod';
import { useMemo } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { FormDialog } from '@/components/form-dialog';
import { NameSlugFields } from '@/components/form-fields';
import { FormControl, FormDescription, FormField, FormItem, FormLabel } from '@/components/ui/form';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { nameSchema, PROJECT_SLUG_PATTERN } from '@/lib/validation';
import { type Language, useCreateWorker, type Worker } from './queries';

const EMPTY = { name: '', slug: '', language: 'typescript' as Language };

/** New worker: the slug follows the name until edited; TypeScript unless the person picks JavaScript. */
export function CreateWorkerDialog({
  projectId,
  open,
  onOpenChange,
  onCreated,
}: {
  projectId: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (worker: Worker) => void;
}) {
  const { t } = useTranslation();
  const create = useCreateWorker(projectId);
  const schema = useMemo(
    () =>
      z.object({
        name: nameSchema({ required: t('validation.required'), tooLong: t('validation.nameTooLong') }),
        slug: z.string().regex(PROJECT_SLUG_PATTERN, t('validation.projectSlug')),
        language: z.enum(['typescript', 'javascript']),
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
      title={t('workers.create.title')}
      description={t('workers.create.description')}
      submitLabel={t('workers.create.submit')}
      onSubmit={async (values) => onCreated(await create.mutateAsync(values))}
    >
      <NameSlugFields
        form={form}
        nameLabel={t('workers.fields.name')}
        slugLabel={t('workers.fields.slug')}
        slugHint={t('workers.fields.slugHint')}
      />
      <FormField
        control={form.control}
        name="language"
        render={({ field }) => (
          <FormItem>
            <FormLabel>{t('workers.fields.language')}</FormLabel>
            <Select value={field.value} onValueChange={(v) => field.onChange(v as Language)}>
              <FormControl>
                <SelectTrigger className="w-full">
                  <SelectValue />
                </SelectTrigger>
              </FormControl>
              <SelectContent>
                <SelectItem value="typescript">TypeScript</SelectItem>
                <SelectItem value="javascript">JavaScript</SelectItem>
              </SelectContent>
            </Select>
            <FormDescription>{t('workers.fields.languageHint')}</FormDescription>
          </FormItem>
        )}
      />
    </FormDialog>
  );
}
