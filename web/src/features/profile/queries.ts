import { useMutation, useQueryClient } from '@tanstack/react-query';
import { session } from '@/api/auth';
import { api, unwrap } from '@/api/client';
import { authKeys } from '@/features/auth/queries';

export function useUpdateName() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.PATCH('/api/v1/me', { body: { name } })),
    meta: { errorHandled: true },
    onSuccess: (me) => qc.setQueryData(authKeys.me, me),
  });
}

export function useChangePassword() {
  return useMutation({
    mutationFn: (body: { currentPassword: string; newPassword: string }) =>
      unwrap(api.POST('/api/v1/me/password', { body })),
    meta: { errorHandled: true },
    // Every older token stops working: keep going with the new one.
    onSuccess: (issued) => session.set({ token: issued.token, expiresAt: issued.expiresAt }),
  });
}

export function useUploadAvatar() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (file: File) =>
      unwrap(
        api.PUT('/api/v1/me/avatar', {
          // The API takes the raw picture with its own content type, not a multipart form.
          body: file as never,
          bodySerializer: (body: unknown) => body as Blob,
          headers: { 'content-type': file.type },
        }),
      ),
    onSuccess: (me) => qc.setQueryData(authKeys.me, me),
  });
}

export function useRemoveAvatar() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/me/avatar')),
    onSuccess: (me) => qc.setQueryData(authKeys.me, me),
  });
}
