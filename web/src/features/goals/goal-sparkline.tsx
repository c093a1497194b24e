import { useTranslation } from 'react-i18next';
import type { Goal } from '@/api/types';
import { useColorHex } from '@/components/color-dot';
import { Sparkline } from '@/components/sparkline';
import { useGoalStats } from './queries';

/** A daily counter's last 30 days; a plain counter keeps no days, so it has none. */
export function GoalSparkline({ goal, className }: { goal: Goal; className?: string }) {
  const { t } = useTranslation();
  const hex = useColorHex(goal.color);
  const stats = useGoalStats(goal.id, {}, goal.type === 'daily_counter');
  if (goal.type !== 'daily_counter') return <span className={className} />;
  const values = stats.data?.days?.map((d) => d.value) ?? [];
  return (
    <Sparkline
      values={values}
      color={hex}
      label={t('goals.sparklineLabel', { name: goal.name })}
      className={className}
    />
  );
}
