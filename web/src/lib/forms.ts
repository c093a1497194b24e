import type { TFunction } from 'i18next';
import type { FieldValues, Path, UseFormReturn } from 'react-hook-form';
import { ApiError, formFieldOf } from '@/api/problem';
import { fieldMessage, problemMessage } from './problem-message';

/**
 * Puts a failed submit where a person looks: each field the API named (problem+json `errors[].field`)
 * under that field (in the UI's language: `fieldMessage`), everything else as the form's own error (`errors.root.server`, shown by <FormError>).
 */
export function applyProblem<T extends FieldValues, C, O>(
  form: UseFormReturn<T, C, O>,
  error: unknown,
  t: TFunction,
) {
  const fields = Object.keys(form.getValues());
  let placed = false;
  if (error instanceof ApiError) {
    for (const e of error.errors) {
      const name = formFieldOf(e.field, fields);
      if (!name) continue;
      form.setError(
        name as Path<T>,
        { type: 'server', message: fieldMessage(t, e) },
        { shouldFocus: !placed },
      );
      placed = true;
    }
  }
  if (!placed) form.setError('root.server', { type: 'server', message: problemMessage(t, error) });
}
