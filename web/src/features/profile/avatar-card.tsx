import { ImageUp, Trash2 } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import type { User } from '@/api/types';
import { Avatar, AvatarFallback, AvatarImage } from '@/components/ui/avatar';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { initials } from '@/components/user-avatar';
import { useRemoveAvatar, useUploadAvatar } from './queries';

/** What the API accepts (PUT /me/avatar): PNG, JPEG or WebP up to 1 MiB. */
export const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
export const AVATAR_MAX_BYTES = 1024 * 1024;

export function avatarProblem(file: File): 'type' | 'size' | null {
  if (!AVATAR_TYPES.includes(file.type)) return 'type';
  if (file.size > AVATAR_MAX_BYTES) return 'size';
  return null;
}

export function AvatarCard({ me }: { me: User }) {
  const { t } = useTranslation();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const upload = useUploadAvatar();
  const remove = useRemoveAvatar();

  useEffect(() => {
    if (!file) return setPreview(null);
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  const choose = (chosen: File | undefined) => {
    if (!chosen) return;
    const wrong = avatarProblem(chosen);
    setProblem(wrong ? t(`profile.avatar.${wrong}`) : null);
    setFile(wrong ? null : chosen);
  };

  const shown = preview ?? me.avatarUrl;
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('profile.avatar.title')}</CardTitle>
        <CardDescription>{t('profile.avatar.description')}</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-1 flex-col items-center gap-4 sm:flex-row sm:items-center">
        <Avatar className="size-24 text-2xl">
          {shown && (
            <AvatarImage src={shown} alt={t('profile.avatar.preview')} data-testid="avatar-preview" />
          )}
          <AvatarFallback className="text-2xl">{initials(me.name)}</AvatarFallback>
        </Avatar>
        <div className="grid gap-2 text-sm">
          <input
            ref={input}
            type="file"
            accept={AVATAR_TYPES.join(',')}
            className="sr-only"
            aria-label={t('profile.avatar.choose')}
            data-testid="avatar-input"
            onChange={(e) => choose(e.target.files?.[0])}
          />
          <Button variant="outline" onClick={() => input.current?.click()}>
            <ImageUp /> {t('profile.avatar.choose')}
          </Button>
          <p className="text-muted-foreground">{file ? file.name : t('profile.avatar.rule')}</p>
          {problem && <p className="text-destructive">{problem}</p>}
        </div>
      </CardContent>
      <CardFooter className="justify-end gap-2">
        {me.avatarUrl && !file && (
          <Button
            variant="ghost"
            disabled={remove.isPending}
            onClick={() =>
              remove.mutate(undefined, { onSuccess: () => toast.success(t('profile.avatar.removed')) })
            }
          >
            <Trash2 /> {t('profile.avatar.remove')}
          </Button>
        )}
        {file && (
          <Button variant="ghost" onClick={() => setFile(null)}>
            {t('common.cancel')}
          </Button>
        )}
        <Button
          disabled={!file || upload.isPending}
          onClick={() =>
            file &&
            upload.mutate(file, {
              onSuccess: () => {
                setFile(null);
                if (input.current) input.current.value = '';
                toast.success(t('profile.avatar.saved'));
              },
            })
          }
        >
          {t('profile.avatar.save')}
        </Button>
      </CardFooter>
    </Card>
  );
}
