import { Link } from '@tanstack/react-router';
import { MoreHorizontal, Pencil, Trash2 } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import type { Goal } from '@/api/types';
import { ColorDot } from '@/components/color-dot';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { useFormat } from '@/lib/format';
import { GoalSparkline } from './goal-sparkline';

export function GoalsTable({
  goals,
  projectId,
  canManage,
  onEdit,
  onDelete,
}: {
  goals: Goal[];
  projectId: string | null;
  canManage: boolean;
  onEdit: (goal: Goal) => void;
  onDelete: (goal: Goal) => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <div className="rounded-xl border bg-card">
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead className="pl-4">{t('goals.table.name')}</TableHead>
            <TableHead className="hidden md:table-cell">{t('goals.table.type')}</TableHead>
            <TableHead className="hidden sm:table-cell">{t('goals.table.last30')}</TableHead>
            <TableHead className="text-right">{t('goals.table.total')}</TableHead>
            {canManage && <TableHead className="w-12" />}
          </TableRow>
        </TableHeader>
        <TableBody>
          {goals.map((goal) => (
            <TableRow key={goal.id} data-testid="goal-row">
              <TableCell className="pl-4">
                <Link
                  {...(projectId
                    ? { to: '/projects/$projectId/goals/$goalId', params: { projectId, goalId: goal.id } }
                    : { to: '/goals/$goalId', params: { goalId: goal.id } })}
                  className="flex items-center gap-2 font-medium hover:underline"
                >
                  <ColorDot color={goal.color} />
                  <span className="truncate">{goal.name}</span>
                </Link>
                <div className="ml-4.5 truncate font-mono text-xs text-muted-foreground">{goal.slug}</div>
              </TableCell>
              <TableCell className="hidden md:table-cell">
                <Badge variant="secondary">{t(`goals.types.${goal.type}`)}</Badge>
              </TableCell>
              <TableCell className="hidden sm:table-cell">
                <GoalSparkline goal={goal} className="h-8 w-28" />
              </TableCell>
              <TableCell className="text-right font-medium tabular-nums">
                {format.number(goal.total)}
              </TableCell>
              {canManage && (
                <TableCell>
                  <DropdownMenu>
                    <DropdownMenuTrigger asChild>
                      <Button
                        variant="ghost"
                        size="icon-sm"
                        aria-label={t('common.actionsFor', { name: goal.name })}
                      >
                        <MoreHorizontal />
                      </Button>
                    </DropdownMenuTrigger>
                    <DropdownMenuContent align="end">
                      <DropdownMenuItem onSelect={() => onEdit(goal)}>
                        <Pencil /> {t('common.edit')}
                      </DropdownMenuItem>
                      <DropdownMenuItem variant="destructive" onSelect={() => onDelete(goal)}>
                        <Trash2 /> {t('common.delete')}
                      </DropdownMenuItem>
                    </DropdownMenuContent>
                  </DropdownMenu>
                </TableCell>
              )}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
