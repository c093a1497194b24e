import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect, useMemo, useRef } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
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
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { applyProblem } from '@/lib/forms';
import { nameSchema, PROJECT_SLUG_PATTERN, slugify } from '@/lib/validation';
import { type Language, useCreateWorker, type Worker } from './queries';

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
  const slugTouched = useRef(false);
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
  const form = useForm<Values>({
    resolver: zodResolver(schema),
    defaultValues: { name: '', slug: '', language: 'typescript' },
  });

  useEffect(() => {
    if (open) {
      form.reset({ name: '', slug: '', language: 'typescript' });
      slugTouched.current = false;
    }
  }, [open, form]);

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      const worker = await create.mutateAsync(values);
      onOpenChange(false);
      onCreated(worker);
    } catch (error) {
      applyProblem(form, error, t);
    }
  });

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent closeLabel={t('common.close')}>
        <DialogHeader>
          <DialogTitle>{t('workers.create.title')}</DialogTitle>
          <DialogDescription>{t('workers.create.description')}</DialogDescription>
        </DialogHeader>
        <Form {...form}>
          <form onSubmit={onSubmit} noValidate className="grid gap-4">
            <FormError form={form} />
            <FormField
              control={form.control}
              name="name"
              render={({ field }) => (
                <FormItem>
                  <FormLabel>{t('workers.fields.name')}</FormLabel>
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
                  <FormLabel>{t('workers.fields.slug')}</FormLabel>
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
                  <FormDescription>{t('workers.fields.slugHint')}</FormDescription>
                  <FormMessage />
                </FormItem>
              )}
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
            <DialogFooter>
              <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" disabled={form.formState.isSubmitting}>
                {t('workers.create.submit')}
              </Button>
            </DialogFooter>
          </form>
        </Form>
      </DialogContent>
    </Dialog>
  );
}
