import { useEffect, useRef, useState } from 'react';
import { useFormat } from '@/lib/format';

/** Labels near an edge grow inwards, so the first and last days are not cut off. */
function anchorAt(x: number, width: number): 'start' | 'middle' | 'end' {
  if (x < 24) return 'start';
  if (x > width - 24) return 'end';
  return 'middle';
}

/** Values per UTC day as bars, with the hovered (or focused) day's value above: plain SVG, no chart library. */
export function BarChart({
  days,
  color,
  label,
}: {
  days: readonly { day: string; value: number }[];
  color: string | null;
  label: string;
}) {
  const format = useFormat();
  const [active, setActive] = useState<number | null>(null);
  // Drawn at the size it is shown, so its text stays legible from a phone to a wide screen.
  const frame = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(720);
  useEffect(() => {
    const element = frame.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry && entry.contentRect.width > 0) setWidth(Math.round(entry.contentRect.width));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const max = Math.max(1, ...days.map((d) => d.value));
  const height = 220;
  const top = 16;
  const bottom = 24;
  const slot = width / Math.max(1, days.length);
  const bar = Math.max(2, slot * 0.7);
  const fill = color ?? 'var(--chart-1)';
  const shown = active ?? days.length - 1;
  const current = days[shown];
  const labelEvery = Math.ceil(days.length / Math.max(2, Math.floor(width / 72)));
  return (
    <figure ref={frame} className="grid min-w-0 gap-2">
      <figcaption className="flex items-baseline justify-between gap-2 text-sm" aria-live="polite">
        <span className="text-muted-foreground">{current ? format.day(current.day, 'long') : ''}</span>
        <span className="font-medium tabular-nums" data-testid="chart-value">
          {current ? format.number(current.value) : ''}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        className="block max-w-full"
        role="img"
        aria-label={label}
        onMouseLeave={() => setActive(null)}
        data-testid="bar-chart"
      >
        {[0.25, 0.5, 0.75, 1].map((f) => (
          <line
            key={f}
            x1={0}
            x2={width}
            y1={top + (height - top - bottom) * (1 - f)}
            y2={top + (height - top - bottom) * (1 - f)}
            className="stroke-border"
            strokeDasharray="3 4"
          />
        ))}
        <text x={0} y={top - 2} className="fill-muted-foreground text-[11px]">
          {format.number(max)}
        </text>
        {days.map((d, i) => {
          const h = ((height - top - bottom) * d.value) / max;
          return (
            // biome-ignore lint/a11y/noStaticElementInteractions: the hover only mirrors the caption; the chart is one img for assistive tech.
            <g key={d.day} onMouseEnter={() => setActive(i)}>
              <rect x={i * slot} y={0} width={slot} height={height} fill="transparent" />
              <rect
                x={i * slot + (slot - bar) / 2}
                y={height - bottom - Math.max(h, d.value > 0 ? 2 : 0)}
                width={bar}
                height={Math.max(h, d.value > 0 ? 2 : 0)}
                rx={Math.min(3, bar / 3)}
                fill={fill}
                opacity={active === null || active === i ? 1 : 0.45}
                data-value={d.value}
              />
              {i % labelEvery === 0 && (
                <text
                  x={i * slot + slot / 2}
                  y={height - 6}
                  textAnchor={anchorAt(i * slot + slot / 2, width)}
                  className="fill-muted-foreground text-[11px]"
                >
                  {format.day(d.day)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
