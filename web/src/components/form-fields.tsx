import { type ReactNode, useRef } from 'react';
import type { Control, FieldValues, Path, PathValue, UseFormReturn } from 'react-hook-form';
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
import { Switch } from '@/components/ui/switch';
import { cn } from '@/lib/utils';
import { slugify } from '@/lib/validation';

/**
 * A name and its slug: the slug follows the name until the person edits it (or from the start when `slugLocked`,
 * as for a thing that exists). Mounted afresh each time its dialog opens, so following starts again.
 */
export function NameSlugFields<T extends FieldValues & { name: string; slug: string }>({
  form,
  nameLabel,
  slugLabel,
  slugHint,
  separator,
  slugLocked = false,
}: {
  form: UseFormReturn<T>;
  nameLabel: string;
  slugLabel: string;
  slugHint: ReactNode;
  /** What joins the words of the slug (`-` unless given). */
  separator?: '-' | '_';
  slugLocked?: boolean;
}) {
  const slugTouched = useRef(slugLocked);
  const slug = 'slug' as Path<T>;
  return (
    <>
      <FormField
        control={form.control}
        name={'name' as Path<T>}
        render={({ field }) => (
          <FormItem>
            <FormLabel>{nameLabel}</FormLabel>
            <FormControl>
              <Input
                {...field}
                autoFocus
                onChange={(e) => {
                  field.onChange(e);
                  if (!slugTouched.current)
                    form.setValue(slug, slugify(e.target.value, separator) as PathValue<T, Path<T>>);
                }}
              />
            </FormControl>
            <FormMessage />
          </FormItem>
        )}
      />
      <FormField
        control={form.control}
        name={slug}
        render={({ field }) => (
          <FormItem>
            <FormLabel>{slugLabel}</FormLabel>
            <FormControl>
              <Input
                {...field}
                disabled={slugLocked}
                className="font-mono"
                onChange={(e) => {
                  slugTouched.current = true;
                  field.onChange(e);
                }}
              />
            </FormControl>
            <FormDescription>{slugHint}</FormDescription>
            <FormMessage />
          </FormItem>
        )}
      />
    </>
  );
}

/** An on/off setting in a bordered box: the switch, its label and what it means. */
export function SwitchField<T extends FieldValues>({
  control,
  name,
  label,
  description,
  className,
}: {
  control: Control<T>;
  name: Path<T>;
  label: string;
  description: ReactNode;
  className?: string;
}) {
  return (
    <FormField
      control={control}
      name={name}
      render={({ field }) => (
        <FormItem className={cn('flex items-start gap-3 rounded-md border p-3', className)}>
          <FormControl>
            <Switch checked={field.value} onCheckedChange={field.onChange} />
          </FormControl>
          <div className="grid gap-1">
            <FormLabel>{label}</FormLabel>
            <FormDescription>{description}</FormDescription>
          </div>
        </FormItem>
      )}
    />
  );
}

/** Projects (or anything with an id and a name) to tick, in a scrolling box; `empty` when there are none. */
export function ChecklistField<T extends FieldValues>({
  control,
  name,
  label,
  description,
  options,
  empty,
  className,
  testId,
}: {
  control: Control<T>;
  name: Path<T>;
  label: string;
  description?: ReactNode;
  options: { id: string; name: string }[];
  empty: string;
  className?: string;
  testId?: string;
}) {
  return (
    <FormField
      control={control}
      name={name}
      render={({ field }) => {
        const chosen = field.value as string[];
        return (
          <FormItem>
            <FormLabel>{label}</FormLabel>
            {description && <FormDescription>{description}</FormDescription>}
            <div className={cn('overflow-y-auto rounded-md border p-2', className)} data-testid={testId}>
              {options.length === 0 && <p className="p-1 text-sm text-muted-foreground">{empty}</p>}
              {options.map((option) => (
                // biome-ignore lint/a11y/noLabelWithoutControl: the Radix checkbox inside is the control.
                <label
                  key={option.id}
                  className="flex cursor-pointer items-center gap-2 rounded px-1 py-1 text-sm hover:bg-accent"
                >
                  <Checkbox
                    checked={chosen.includes(option.id)}
                    onCheckedChange={(on) =>
                      field.onChange(on ? [...chosen, option.id] : chosen.filter((id) => id !== option.id))
                    }
                  />
                  {option.name}
                </label>
              ))}
            </div>
            <FormMessage />
          </FormItem>
        );
      }}
    />
  );
}
