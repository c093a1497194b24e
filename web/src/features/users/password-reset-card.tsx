import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { ApiError } from '@/api/problem';
import type { User } from '@/api/types';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { useMe } from '@/features/auth/queries';
import { fieldMessage, problemMessage } from '@/lib/problem-message';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES } from '@/lib/validation';
import { useSetPassword } from './queries';
import { whyNot } from './rules';

function followsRule(value: string): boolean {
  const bytes = new TextEncoder().encode(value).length;
  return (
    bytes >= PASSWORD_MIN_BYTES &&
    bytes <= PASSWORD_MAX_BYTES &&
    /\p{L}/u.test(value) &&
    /\p{Nd}/u.test(value)
  );
}

/** Global admins set someone else's password (their sessions end); one's own goes through the profile. */
export function PasswordResetCard({ user }: { user: User }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const set = useSetPassword(user.id);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const refusal = whyNot(me, user, 'password');
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('users.password.title')}</CardTitle>
        <CardDescription>{t('users.password.description')}</CardDescription>
      </CardHeader>
      <CardContent className="grid flex-1 content-start gap-2">
        {refusal ? (
          <p className="text-sm text-muted-foreground">{t(refusal)}</p>
        ) : (
          <>
            <Label htmlFor="new-user-password">{t('users.password.new')}</Label>
            <Input
              id="new-user-password"
              type="password"
              autoComplete="new-password"
              value={password}
              aria-invalid={!!error}
              onChange={(e) => {
                setPassword(e.target.value);
                setError(null);
              }}
            />
            <p className={error ? 'text-sm text-destructive' : 'text-sm text-muted-foreground'}>
              {error ?? t('validation.passwordRule')}
            </p>
          </>
        )}
      </CardContent>
      {!refusal && (
        <CardFooter className="justify-end">
          <Button
            disabled={!password || set.isPending}
            onClick={() => {
              if (!followsRule(password)) return setError(t('validation.passwordRule'));
              set.mutate(password, {
                onSuccess: () => {
                  setPassword('');
                  toast.success(t('users.password.done', { name: user.name }));
                },
                onError: (e) =>
                  setError(
                    e instanceof ApiError && e.errors[0]
                      ? fieldMessage(t, e.errors[0])
                      : problemMessage(t, e),
                  ),
              });
            }}
          >
            {t('users.password.submit')}
          </Button>
        </CardFooter>
      )}
    </Card>
  );
}
