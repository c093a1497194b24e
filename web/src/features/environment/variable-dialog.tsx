import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect, useMemo } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { z } from 'zod';
import type { EnvVariable } from '@/api/types';
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
import { Switch } from '@/components/ui/switch';
import { Textarea } from '@/components/ui/textarea';
import { applyProblem } from '@/lib/forms';
import { useSetVariable } from './queries';

export const ENV_NAME_PATTERN = /^[A-Z_][A-Z0-9_]{0,63}$/;
const VALUE_MAX_BYTES = 32 * 1024;

/**
 * Add a variable, or give one a new value. A secret's value never comes back from the server, so editing a
 * secret means typing the whole value again.
 */
export function VariableDialog({
  open,
  onOpenChange,
  projectId,
  variable,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  projectId: string;
  variable?: EnvVariable;
}) {
  const { t } = useTranslation();
  const save = useSetVariable(projectId);
  const editing = !!variable;
  const schema = useMemo(
    () =>
      z.object({
        name: z.string().regex(ENV_NAME_PATTERN, t('validation.envName')),
        value: z
          .string()
          .refine(
            (v) => new TextEncoder().encode(v).length <= VALUE_MAX_BYTES,
            t('validation.envValueTooLong'),
          ),
        secret: z.boolean(),
      }),
    [t],
  );
  type Values = z.infer<typeof schema>;
  const initial: Values = {
    name: variable?.name ?? '',
    value: variable && !variable.secret ? (variable.value ?? '') : '',
    secret: variable?.secret ?? false,
  };
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: initial });
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset to the variable being edited each time the dialog opens.
  useEffect(() => {
    if (open) form.reset(initial);
  }, [open, variable?.name]);

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      await save.mutateAsync(values);
      toast.success(t('environment.saved', { name: values.name }));
      onOpenChange(false);
    } catch (error) {
      applyProblem(form, error, t);
    }
  });
  const secret = form.watch('secret');

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent closeLabel={t('common.close')}>
        <DialogHeader>
          <DialogTitle>
            {editing ? t('environment.editTitle', { name: variable.name }) : t('environment.addTitle')}
          </DialogTitle>
          <DialogDescription>{t('environment.dialogHint')}</DialogDescription>
        </DialogHeader>
        <Form {...form}>
          <form onSubmit={onSubmit} noValidate className="grid gap-4">
            <FormError form={form} />
            <FormField
              control={form.control}
              name="name"
              render={({ field }) => (
                <FormItem>
                  <FormLabel>{t('environment.name')}</FormLabel>
                  <FormControl>
                    <Input
                      {...field}
                      disabled={editing}
                      autoFocus={!editing}
                      className="font-mono"
                      placeholder="SHOP_URL"
                      onChange={(e) => field.onChange(e.target.value.toUpperCase())}
                    />
                  </FormControl>
                  <FormDescription>{t('environment.nameHint')}</FormDescription>
                  <FormMessage />
                </FormItem>
              )}
            />
            <FormField
              control={form.control}
              name="value"
              render={({ field }) => (
                <FormItem>
                  <FormLabel>{t('environment.value')}</FormLabel>
                  <FormControl>
                    {secret ? (
                      <Input
                        {...field}
                        type="password"
                        autoComplete="off"
                        autoFocus={editing}
                        className="font-mono"
                      />
                    ) : (
                      <Textarea {...field} rows={2} autoFocus={editing} className="font-mono" />
                    )}
                  </FormControl>
                  {editing && variable.secret && (
                    <FormDescription>{t('environment.secretRetype')}</FormDescription>
                  )}
                  <FormMessage />
                </FormItem>
              )}
            />
            <FormField
              control={form.control}
              name="secret"
              render={({ field }) => (
                <FormItem className="flex items-start gap-3 rounded-md border p-3">
                  <FormControl>
                    <Switch checked={field.value} onCheckedChange={field.onChange} />
                  </FormControl>
                  <div className="grid gap-1">
                    <FormLabel>{t('environment.secret')}</FormLabel>
                    <FormDescription>{t('environment.secretHint')}</FormDescription>
                  </div>
                </FormItem>
              )}
            />
            <DialogFooter>
              <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" disabled={form.formState.isSubmitting}>
                {t('common.save')}
              </Button>
            </DialogFooter>
          </form>
        </Form>
      </DialogContent>
    </Dialog>
  );
}
