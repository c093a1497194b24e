import { getRouteApi } from '@tanstack/react-router';
import { GoalPage } from './goal-page';

const projectGoal = getRouteApi('/app/projects/$projectId/goals/$goalId');
const globalGoal = getRouteApi('/app/goals/$goalId');

export function ProjectGoalPage() {
  const { projectId, goalId } = projectGoal.useParams();
  return <GoalPage goalId={goalId} projectId={projectId} search={projectGoal.useSearch()} />;
}

export function GlobalGoalPage() {
  const { goalId } = globalGoal.useParams();
  return <GoalPage goalId={goalId} projectId={null} search={globalGoal.useSearch()} />;
}
