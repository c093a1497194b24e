import { useParams } from '@tanstack/react-router';
import { useEffect } from 'react';

const KEY = 'm3m.project';

/**
 * The project the shell shows: the one in the URL, else the one last opened in this browser (so the sidebar
 * keeps its project section on pages outside a project, such as Profile).
 */
export function useCurrentProjectId(): string | null {
  const params = useParams({ strict: false }) as { projectId?: string };
  const fromUrl = params.projectId ?? null;
  useEffect(() => {
    if (fromUrl) localStorage.setItem(KEY, fromUrl);
  }, [fromUrl]);
  return fromUrl ?? localStorage.getItem(KEY);
}

export function forgetProject(id: string) {
  if (localStorage.getItem(KEY) === id) localStorage.removeItem(KEY);
}
