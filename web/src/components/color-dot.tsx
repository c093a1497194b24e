import { useQuery } from '@tanstack/react-query';
import { colorsQuery } from '@/features/projects/queries';
import { cn } from '@/lib/utils';

/** The hex of a palette colour name (`/api/v1/colors`), or null while unknown or for "no colour". */
export function useColorHex(name: string | null | undefined): string | null {
  const { data } = useQuery(colorsQuery);
  if (!name) return null;
  return data?.find((c) => c.name === name)?.hex ?? null;
}

export function ColorDot({ color, className }: { color: string | null | undefined; className?: string }) {
  const hex = useColorHex(color);
  return (
    <span
      aria-hidden
      className={cn(
        'inline-block size-2.5 shrink-0 rounded-full',
        !hex && 'bg-muted-foreground/40',
        className,
      )}
      style={hex ? { backgroundColor: hex } : undefined}
    />
  );
}
