import { useId } from 'react';

/** A 30-day trend line, drawn as SVG (no chart library in the first page's bundle). */
export function Sparkline({
  values,
  color,
  label,
  className,
}: {
  values: readonly number[];
  color: string | null;
  label: string;
  className?: string;
}) {
  const id = useId();
  const width = 120;
  const height = 32;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => [i * step, height - 2 - (v / max) * (height - 4)] as const);
  const line = points.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
  const stroke = color ?? 'var(--chart-1)';
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={label}
      className={className}
    >
      <defs>
        <linearGradient id={id} x1="0" x2="0" y1="0" y2="1">
          <stop offset="0%" stopColor={stroke} stopOpacity={0.25} />
          <stop offset="100%" stopColor={stroke} stopOpacity={0} />
        </linearGradient>
      </defs>
      {values.length > 1 && (
        <>
          <path d={`${line}L${width},${height}L0,${height}Z`} fill={`url(#${id})`} />
          <path d={line} fill="none" stroke={stroke} strokeWidth={1.5} vectorEffect="non-scaling-stroke" />
        </>
      )}
    </svg>
  );
}
