import { zodResolver } from '@hookform/resolvers/zod';
import { useMemo } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { z } from 'zod';
import type { User } from '@/api/types';
import { FormError } from '@/components/form-error';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { Form, FormControl, FormField, FormItem, FormLabel, FormMessage } from '@/components/ui/form';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { applyProblem } from '@/lib/forms';
import { nameSchema } from '@/lib/validation';
import { useUpdateName } from './queries';

export function NameCard({ me }: { me: User }) {
  const { t } = useTranslation();
  const update = useUpdateName();
  const schema = useMemo(
    () =>
      z.object({
        name: nameSchema({ required: t('validation.required'), tooLong: t('validation.nameTooLong') }),
      }),
    [t],
  );
  const form = useForm<z.infer<typeof schema>>({ resolver: zodResolver(schema), values: { name: me.name } });
  const onSubmit = form.handleSubmit(async ({ name }) => {
    try {
      await update.mutateAsync(name);
      toast.success(t('profile.name.saved'));
    } catch (error) {
      applyProblem(form, error, t);
    }
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('profile.name.title')}</CardTitle>
        <CardDescription>{t('profile.name.description')}</CardDescription>
      </CardHeader>
      <Form {...form}>
        <form onSubmit={onSubmit} noValidate className="flex flex-1 flex-col gap-6">
          <CardContent className="grid flex-1 gap-4">
            <FormError form={form} />
            <FormField
              control={form.control}
              name="name"
              render={({ field }) => (
                <FormItem>
                  <FormLabel>{t('profile.name.label')}</FormLabel>
                  <FormControl>
                    <Input autoComplete="name" {...field} />
                  </FormControl>
                  <FormMessage />
                </FormItem>
              )}
            />
            <div className="grid gap-2">
              <Label htmlFor="profile-email">{t('auth.email')}</Label>
              <Input id="profile-email" value={me.email} readOnly disabled />
            </div>
            <div className="flex flex-wrap items-center gap-2 text-sm text-muted-foreground">
              <Badge variant="secondary">{t(`users.roles.${me.role}`)}</Badge>
              {me.permissions.map((p) => (
                <Badge key={p} variant="outline">
                  {t(`users.permissions.${p}`)}
                </Badge>
              ))}
            </div>
          </CardContent>
          <CardFooter className="justify-end">
            <Button type="submit" disabled={form.formState.isSubmitting || !form.formState.isDirty}>
              {t('common.save')}
            </Button>
          </CardFooter>
        </form>
      </Form>
    </Card>
  );
}
