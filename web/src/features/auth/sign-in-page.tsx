import { getRouteApi, useNavigate } from '@tanstack/react-router';
import { Loader2, Terminal } from 'lucide-react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { safeRedirect } from '@/app/routes';
import { LanguageSwitch } from '@/app/shell/language-switch';
import { ThemeSwitch } from '@/app/shell/theme-switch';
import { FormError } from '@/components/form-error';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Form, FormControl, FormField, FormItem, FormLabel, FormMessage } from '@/components/ui/form';
import { Input } from '@/components/ui/input';
import { applyProblem } from '@/lib/forms';
import { useSetupStatus, useSignIn } from './queries';

const route = getRouteApi('/sign-in');

export function SignInPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const search = route.useSearch();
  const setup = useSetupStatus();
  const signIn = useSignIn();

  // Plain react-hook-form rules rather than a zod schema: this is the first page, and zod is not small.
  const form = useForm<{ email: string; password: string }>({ defaultValues: { email: '', password: '' } });

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      await signIn.mutateAsync(values);
      await navigate({ to: safeRedirect(search.redirect) });
    } catch (error) {
      applyProblem(form, error, t);
    }
  });

  return (
    <div className="relative flex min-h-dvh flex-col items-center justify-center bg-muted/40 px-4 py-10">
      <div className="absolute top-3 right-3 flex gap-1">
        <LanguageSwitch />
        <ThemeSwitch />
      </div>
      <div className="mb-6 flex items-center gap-2 text-xl font-semibold tracking-tight">
        <img src="/favicon.svg" alt="" className="size-8 rounded-lg dark:ring-1 dark:ring-white/20" />
        m3m
      </div>
      <Card className="w-full max-w-md">
        <CardHeader>
          <CardTitle className="text-xl">{t('auth.title')}</CardTitle>
          <CardDescription>{t('auth.subtitle')}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          {setup.data && !setup.data.adminExists && (
            <Alert data-testid="first-admin-hint">
              <Terminal />
              <AlertTitle>{t('auth.noAdmin.title')}</AlertTitle>
              <AlertDescription>
                <p>{t('auth.noAdmin.body')}</p>
                <code className="mt-1 block w-full rounded bg-muted px-2 py-1.5 font-mono text-xs break-all text-foreground select-all">
                  ./bin/m3m new-admin you@example.com --password-stdin
                </code>
                <p>{t('auth.noAdmin.after')}</p>
              </AlertDescription>
            </Alert>
          )}
          <Form {...form}>
            <form onSubmit={onSubmit} className="grid gap-4" noValidate>
              <FormError form={form} />
              <FormField
                control={form.control}
                name="email"
                rules={{
                  required: t('validation.email'),
                  pattern: { value: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, message: t('validation.email') },
                }}
                render={({ field }) => (
                  <FormItem>
                    <FormLabel>{t('auth.email')}</FormLabel>
                    <FormControl>
                      <Input type="email" autoComplete="username" autoFocus {...field} />
                    </FormControl>
                    <FormMessage />
                  </FormItem>
                )}
              />
              <FormField
                control={form.control}
                name="password"
                rules={{ required: t('validation.required') }}
                render={({ field }) => (
                  <FormItem>
                    <FormLabel>{t('auth.password')}</FormLabel>
                    <FormControl>
                      <Input type="password" autoComplete="current-password" {...field} />
                    </FormControl>
                    <FormMessage />
                  </FormItem>
                )}
              />
              <Button type="submit" disabled={form.formState.isSubmitting} className="w-full">
                {form.formState.isSubmitting && <Loader2 className="animate-spin" />}
                {t('auth.submit')}
              </Button>
            </form>
          </Form>
        </CardContent>
      </Card>
    </div>
  );
}
