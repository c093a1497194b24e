import { CircleAlert } from 'lucide-react';
import type { FieldValues, UseFormReturn } from 'react-hook-form';
import { Alert, AlertDescription } from '@/components/ui/alert';

/** The form-level error that `applyProblem` set (a refusal that names no field of this form). */
export function FormError<T extends FieldValues, C, O>({ form }: { form: UseFormReturn<T, C, O> }) {
  const message = form.formState.errors.root?.server?.message;
  if (!message) return null;
  return (
    <Alert variant="destructive" data-testid="form-error">
      <CircleAlert />
      <AlertDescription>{message}</AlertDescription>
    </Alert>
  );
}
