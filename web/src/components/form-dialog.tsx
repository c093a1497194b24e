import { type ReactNode, useEffect, useRef } from 'react';
import type { DefaultValues, FieldValues, UseFormReturn } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
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
import { Form } from '@/components/ui/form';
import { applyProblem } from '@/lib/forms';
import { cn } from '@/lib/utils';

/**
 * A form in a dialog, the way every create/edit dialog of the app works: reset to `initialValues` each time it
 * opens (or `resetKey` changes while open), the form's own error on top, Cancel and a submit button that is busy
 * while `onSubmit` runs. When `onSubmit` resolves the dialog closes; when it throws, the problem+json lands on the
 * fields it names, else as the form's error, and the dialog stays open.
 */
export function FormDialog<TInput extends FieldValues, TOutput = TInput>({
  open,
  onOpenChange,
  form,
  initialValues,
  resetKey,
  onOpen,
  onSubmit,
  title,
  description,
  submitLabel,
  className,
  formClassName,
  children,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  form: UseFormReturn<TInput, unknown, TOutput>;
  initialValues: DefaultValues<TInput>;
  /** What is being edited (its id): another one while open resets the form too. */
  resetKey?: string | undefined;
  /** Runs after each reset, for state the form does not hold. */
  onOpen?: () => void;
  onSubmit: (values: TOutput) => Promise<void>;
  title: ReactNode;
  description: ReactNode;
  submitLabel: string;
  className?: string;
  formClassName?: string;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  // The latest values without making each render's new object a reason to reset.
  const latest = useRef({ initialValues, onOpen });
  latest.current = { initialValues, onOpen };

  // biome-ignore lint/correctness/useExhaustiveDependencies: resetKey is the reason to reset, not a value read here.
  useEffect(() => {
    if (!open) return;
    form.reset(latest.current.initialValues);
    latest.current.onOpen?.();
  }, [open, resetKey, form]);

  const submit = form.handleSubmit(async (values) => {
    try {
      await onSubmit(values);
      onOpenChange(false);
    } catch (error) {
      applyProblem(form, error, t);
    }
  });

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent closeLabel={t('common.close')} className={className}>
        <DialogHeader>
          <DialogTitle>{title}</DialogTitle>
          <DialogDescription>{description}</DialogDescription>
        </DialogHeader>
        <Form {...form}>
          <form onSubmit={submit} noValidate className={cn('grid gap-4', formClassName)}>
            <FormError form={form} />
            {children}
            <DialogFooter>
              <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" disabled={form.formState.isSubmitting}>
                {submitLabel}
              </Button>
            </DialogFooter>
          </form>
        </Form>
      </DialogContent>
    </Dialog>
  );
}
