import type { User } from '@/api/types';
import { Avatar, AvatarFallback, AvatarImage } from '@/components/ui/avatar';
import { cn } from '@/lib/utils';

export function initials(name: string | undefined): string {
  if (!name) return '?';
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts.at(-1)?.[0] ?? '') : '')).toUpperCase() || '?';
}

export function UserAvatar({
  user,
  className,
}: {
  user: Pick<User, 'name' | 'avatarUrl'> | undefined;
  className?: string;
}) {
  return (
    <Avatar className={cn('size-8', className)}>
      {user?.avatarUrl && <AvatarImage src={user.avatarUrl} alt="" />}
      <AvatarFallback>{initials(user?.name)}</AvatarFallback>
    </Avatar>
  );
}
