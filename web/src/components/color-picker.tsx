import { useQuery } from '@tanstack/react-query';
import { Ban, Check } from 'lucide-react';
import { RadioGroup } from 'radix-ui';
import { useTranslation } from 'react-i18next';
import type { ColorName } from '@/api/types';
import { colorsQuery } from '@/features/projects/queries';
import { cn } from '@/lib/utils';

const NONE = 'none';

/** The 16 colours of `/api/v1/colors`, or none: a radio group of swatches (arrow keys move, as in any radio group). */
export function ColorPicker({
  value,
  onChange,
  id,
}: {
  value: ColorName | null;
  onChange: (color: ColorName | null) => void;
  id?: string;
}) {
  const { t } = useTranslation();
  const { data: colors } = useQuery(colorsQuery);
  const options: { name: ColorName | null; hex: string | null }[] = [
    { name: null, hex: null },
    ...(colors ?? []).map((c) => ({ name: c.name as ColorName, hex: c.hex })),
  ];
  return (
    <RadioGroup.Root
      id={id}
      aria-label={t('common.color')}
      value={value ?? NONE}
      onValueChange={(v) => onChange(v === NONE ? null : (v as ColorName))}
      orientation="horizontal"
      className="flex flex-wrap gap-1.5"
    >
      {options.map((option) => {
        const selected = option.name === value;
        const label = option.name ? t(`colors.${option.name}` as 'colors.red') : t('common.noColor');
        return (
          <RadioGroup.Item
            key={option.name ?? NONE}
            value={option.name ?? NONE}
            aria-label={label}
            title={label}
            className={cn(
              'flex size-7 items-center justify-center rounded-full border outline-none transition-shadow focus-visible:ring-[3px] focus-visible:ring-ring/50',
              selected && 'ring-2 ring-foreground ring-offset-2 ring-offset-background',
              !option.hex && 'bg-background text-muted-foreground',
            )}
            style={option.hex ? { backgroundColor: option.hex, borderColor: option.hex } : undefined}
          >
            {option.hex ? (
              selected && <Check className="size-3.5 text-white drop-shadow" />
            ) : (
              <Ban className="size-3.5" />
            )}
          </RadioGroup.Item>
        );
      })}
    </RadioGroup.Root>
  );
}
