import { zodResolver } from '@hookform/resolvers/zod';
import { useMemo } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { z } from 'zod';
import type { EnvVariable } from '@/api/types';
import { FormDialog } from '@/components/form-dialog';
import { SwitchField } from '@/components/form-fields';
import {
  FormControl,
  FormDescription,
  FormField,
  FormItem,
  FormLabel,
  FormMessage,
} from '@/components/ui/form';
import { Input } from '@/components/ui/input';
import { Textarea } from '@/components/ui/textarea';
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
  const secret = form.watch('secret');

  return (
    <FormDialog
      open={open}
      onOpenChange={onOpenChange}
      form={form}
      initialValues={initial}
      resetKey={variable?.name}
      title={editing ? t('environment.editTitle', { name: variable.name }) : t('environment.addTitle')}
      description={t('environment.dialogHint')}
      submitLabel={t('common.save')}
      onSubmit={async (values) => {
        await save.mutateAsync(values);
        toast.success(t('environment.saved', { name: values.name }));
      }}
    >
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
            {editing && variable.secret && <FormDescription>{t('environment.secretRetype')}</FormDescription>}
            <FormMessage />
          </FormItem>
        )}
      />
      <SwitchField
        control={form.control}
        name="secret"
        label={t('environment.secret')}
        description={t('environment.secretHint')}
      />
    </FormDialog>
  );
}
