import { zodResolver } from '@hookform/resolvers/zod';
import { Plus, X } from 'lucide-react';
import { useMemo, useState } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { z } from 'zod';
import { FormDialog } from '@/components/form-dialog';
import { SwitchField } from '@/components/form-fields';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Checkbox } from '@/components/ui/checkbox';
import {
  FormControl,
  FormDescription,
  FormField,
  FormItem,
  FormLabel,
  FormMessage,
} from '@/components/ui/form';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Switch } from '@/components/ui/switch';
import { Textarea } from '@/components/ui/textarea';
import {
  CUSTOM_PREFIX,
  PUBLIC_EVENT_TYPES,
  useCreateWebhook,
  useUpdateWebhook,
  type Webhook,
  type WebhookSettings,
} from './queries';

const CUSTOM_NAME = /^[A-Za-z0-9_.:-]{1,72}$/;

/**
 * Create an endpoint (then its secret is shown once: `onCreated`) or change one. Event types: all of them, or a
 * chosen set of the public types plus the project's `custom.<Type>` ones.
 */
export function WebhookFormDialog({
  open,
  onOpenChange,
  projectId,
  webhook,
  onCreated,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  projectId: string;
  webhook?: Webhook;
  onCreated?: (created: Webhook & { secret: string }) => void;
}) {
  const { t } = useTranslation();
  const create = useCreateWebhook(projectId);
  const update = useUpdateWebhook(projectId, webhook?.id ?? '');
  const [custom, setCustom] = useState('');
  const schema = useMemo(
    () =>
      z
        .object({
          url: z
            .string()
            .trim()
            .min(1, t('webhooks.form.urlRequired'))
            .max(2000)
            .refine((v) => /^https?:\/\/[^\s/]+/i.test(v), t('webhooks.form.urlInvalid')),
          description: z.string().max(500),
          allTypes: z.boolean(),
          eventTypes: z.array(z.string()),
          enabled: z.boolean(),
          rateLimit: z.coerce
            .number<string | number>()
            .int(t('webhooks.form.rateInvalid'))
            .min(1, t('webhooks.form.rateInvalid'))
            .max(1000, t('webhooks.form.rateInvalid')),
        })
        .refine((v) => v.allTypes || v.eventTypes.length > 0, {
          path: ['eventTypes'],
          message: t('webhooks.form.typesRequired'),
        }),
    [t],
  );
  type Input = z.input<typeof schema>;
  type Values = z.output<typeof schema>;
  const initial: Input = {
    url: webhook?.url ?? '',
    description: webhook?.description ?? '',
    allTypes: webhook ? webhook.eventTypes === null : true,
    eventTypes: webhook?.eventTypes ?? [],
    enabled: webhook?.enabled ?? true,
    rateLimit: webhook?.rateLimit ?? 10,
  };
  const form = useForm<Input, unknown, Values>({ resolver: zodResolver(schema), defaultValues: initial });

  const onSubmit = async (values: Values) => {
    const body: WebhookSettings = {
      url: values.url,
      description: values.description,
      eventTypes: values.allTypes ? null : values.eventTypes,
      enabled: values.enabled,
      rateLimit: values.rateLimit,
    };
    if (webhook) {
      await update.mutateAsync(body);
      toast.success(t('webhooks.saved'));
    } else {
      const created = await create.mutateAsync(body);
      onCreated?.(created);
    }
  };

  const allTypes = form.watch('allTypes');
  const chosen = form.watch('eventTypes');
  const customChosen = chosen.filter((type) => type.startsWith(CUSTOM_PREFIX));
  const toggle = (type: string, on: boolean) =>
    form.setValue('eventTypes', on ? [...chosen, type] : chosen.filter((x) => x !== type), {
      shouldValidate: form.formState.isSubmitted,
    });
  const addCustom = () => {
    const name = custom.trim().replace(/^custom\./, '');
    if (!CUSTOM_NAME.test(name)) {
      form.setError('eventTypes', { message: t('webhooks.form.customInvalid') });
      return;
    }
    const type = `${CUSTOM_PREFIX}${name}`;
    if (!chosen.includes(type)) toggle(type, true);
    setCustom('');
  };

  return (
    <FormDialog
      open={open}
      onOpenChange={onOpenChange}
      form={form}
      initialValues={initial}
      resetKey={webhook?.id}
      onOpen={() => setCustom('')}
      title={webhook ? t('webhooks.form.editTitle') : t('webhooks.form.addTitle')}
      description={t('webhooks.form.hint')}
      submitLabel={webhook ? t('common.save') : t('webhooks.form.create')}
      className="max-h-[92vh] overflow-y-auto sm:max-w-xl"
      formClassName="min-w-0"
      onSubmit={onSubmit}
    >
      <FormField
        control={form.control}
        name="url"
        render={({ field }) => (
          <FormItem>
            <FormLabel>{t('webhooks.form.url')}</FormLabel>
            <FormControl>
              <Input
                {...field}
                type="url"
                autoFocus={!webhook}
                className="font-mono"
                placeholder="https://crm.example.com/m3m"
              />
            </FormControl>
            <FormMessage />
          </FormItem>
        )}
      />
      <FormField
        control={form.control}
        name="description"
        render={({ field }) => (
          <FormItem>
            <FormLabel>{t('webhooks.form.description')}</FormLabel>
            <FormControl>
              <Textarea {...field} rows={2} placeholder={t('webhooks.form.descriptionPlaceholder')} />
            </FormControl>
            <FormMessage />
          </FormItem>
        )}
      />
      <fieldset className="grid min-w-0 gap-3 rounded-md border p-3" data-testid="event-types">
        <legend className="px-1 text-sm font-medium">{t('webhooks.form.eventTypes')}</legend>
        <FormField
          control={form.control}
          name="allTypes"
          render={({ field }) => (
            <FormItem className="flex items-center gap-3">
              <FormControl>
                <Switch checked={field.value} onCheckedChange={field.onChange} />
              </FormControl>
              <FormLabel className="font-normal">{t('webhooks.form.allTypes')}</FormLabel>
            </FormItem>
          )}
        />
        {!allTypes && (
          <FormField
            control={form.control}
            name="eventTypes"
            render={() => (
              <FormItem>
                <div className="grid gap-2 sm:grid-cols-2">
                  {PUBLIC_EVENT_TYPES.map((type) => (
                    <Label key={type} className="flex items-center gap-2 font-normal">
                      <Checkbox
                        checked={chosen.includes(type)}
                        onCheckedChange={(on) => toggle(type, on === true)}
                      />
                      <code className="font-mono text-xs">{type}</code>
                    </Label>
                  ))}
                </div>
                {customChosen.length > 0 && (
                  <div className="flex flex-wrap gap-1.5">
                    {customChosen.map((type) => (
                      <Badge key={type} variant="secondary" className="font-mono">
                        {type}
                        <button
                          type="button"
                          className="pointer-events-auto ml-0.5 rounded-sm hover:text-foreground"
                          aria-label={t('webhooks.form.removeType', { type })}
                          onClick={() => toggle(type, false)}
                        >
                          <X className="size-3" />
                        </button>
                      </Badge>
                    ))}
                  </div>
                )}
                <div className="flex gap-2">
                  <div className="flex min-w-0 flex-1 items-center rounded-md border pl-3 focus-within:ring-[3px] focus-within:ring-ring/50">
                    <span className="font-mono text-sm text-muted-foreground">{CUSTOM_PREFIX}</span>
                    <input
                      value={custom}
                      onChange={(e) => setCustom(e.target.value)}
                      onKeyDown={(e) => {
                        if (e.key === 'Enter') {
                          e.preventDefault();
                          addCustom();
                        }
                      }}
                      aria-label={t('webhooks.form.customType')}
                      placeholder="OrderPlaced"
                      className="h-9 min-w-0 flex-1 bg-transparent pr-3 font-mono text-sm outline-none"
                    />
                  </div>
                  <Button type="button" variant="outline" onClick={addCustom}>
                    <Plus /> {t('webhooks.form.addCustom')}
                  </Button>
                </div>
                <FormDescription>{t('webhooks.form.customHint')}</FormDescription>
                <FormMessage />
              </FormItem>
            )}
          />
        )}
      </fieldset>
      <div className="grid gap-4 sm:grid-cols-2">
        <FormField
          control={form.control}
          name="rateLimit"
          render={({ field }) => (
            <FormItem>
              <FormLabel>{t('webhooks.form.rateLimit')}</FormLabel>
              <FormControl>
                <Input
                  {...field}
                  value={String(field.value ?? '')}
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={1000}
                />
              </FormControl>
              <FormDescription>{t('webhooks.form.rateHint')}</FormDescription>
              <FormMessage />
            </FormItem>
          )}
        />
        <SwitchField
          control={form.control}
          name="enabled"
          label={t('webhooks.form.enabled')}
          description={t('webhooks.form.enabledHint')}
          className="self-start sm:mt-5.5"
        />
      </div>
    </FormDialog>
  );
}
