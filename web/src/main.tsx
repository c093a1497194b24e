import './index.css';
import './i18n';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { toast } from 'sonner';
import { setUnauthorizedHandler } from '@/api/client';
import { ApiError } from '@/api/problem';
import { createAppRouter } from '@/app/router';
import { ThemeProvider } from '@/app/theme';
import { Toaster } from '@/components/ui/sonner';
import { TooltipProvider } from '@/components/ui/tooltip';
import i18n from '@/i18n';
import { problemMessage } from '@/lib/problem-message';

declare module '@tanstack/react-query' {
  interface Register {
    defaultError: ApiError;
    /** `errorHandled`: the form shows the error itself (next to its fields), so no toast. */
    mutationMeta: { errorHandled?: boolean };
  }
}

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // A refusal (4xx) will not change by asking again; a dropped connection or a 5xx may.
      retry: (count, error) =>
        !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      refetchOnWindowFocus: true,
    },
  },
  queryCache: new QueryCache({}),
  mutationCache: new MutationCache({
    onError(error, _variables, _context, mutation) {
      if (mutation.meta?.errorHandled) return;
      toast.error(problemMessage(i18n.t, error));
    },
  }),
});

const router = createAppRouter(queryClient);

// A 401 on any signed-in call: the session is over (expired, password changed, blocked). Back to sign-in,
// and after it back to this page.
setUnauthorizedHandler(() => {
  const here = router.state.location.href;
  if (router.state.location.pathname === '/sign-in') return;
  queryClient.clear();
  toast.info(i18n.t('auth.sessionEnded'), { id: 'session-ended' });
  void router.navigate({ to: '/sign-in', search: { redirect: here } });
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ThemeProvider>
      <QueryClientProvider client={queryClient}>
        <TooltipProvider>
          <RouterProvider router={router} />
          <Toaster position="top-center" richColors closeButton />
        </TooltipProvider>
      </QueryClientProvider>
    </ThemeProvider>
  </StrictMode>,
);
