import { zodResolver } from '@hookform/resolvers/zod';
import { useMemo } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { z } from 'zod';
import type { Permission, User } from '@/api/types';
import { FormDialog } from '@/components/form-dialog';
import { ChecklistField } from '@/components/form-fields';
import { Checkbox } from '@/components/ui/checkbox';
import {
  FormControl,
  FormDescription,
  FormField,
  FormItem,
  FormLabel,
  FormMessage,
} from '@/components/ui/form';
import { Input } from '@/components/ui/input';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { isGlobalAdmin, useMe } from '@/features/auth/queries';
import { useSwitchableProjects } from '@/features/projects/queries';
import { nameSchema, passwordSchema } from '@/lib/validation';
import { useCreateUser, useUpdateUser } from './queries';
import { mayChangeAccessOf, mayGrant } from './rules';

export const PERMISSIONS: Permission[] = ['create_projects', 'manage_users'];

/** Create a user (with permissions and project access), or edit one's name, email, role and permissions. */
export function UserFormDialog({
  open,
  onOpenChange,
  user,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  user?: User;
}) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const admin = isGlobalAdmin(me);
  const editing = !!user;
  const create = useCreateUser();
  const update = useUpdateUser(user?.id ?? '');
  // Global admins give access to any project; others only to projects in their own list.
  const projects = useSwitchableProjects(me);
  const reachable = (projects.data ?? []).filter((p) => admin || me?.projectIds.includes(p.id));
  const accessEditable = !editing || mayChangeAccessOf(me, user);

  const schema = useMemo(
    () =>
      z.object({
        email: z.email(t('validation.email')),
        name: nameSchema({ required: t('validation.required'), tooLong: t('validation.nameTooLong') }),
        password: editing ? z.string() : passwordSchema({ rule: t('validation.passwordRule') }),
        role: z.enum(['admin', 'user']),
        permissions: z.array(z.enum(['create_projects', 'manage_users'])),
        projectIds: z.array(z.string()),
      }),
    [t, editing],
  );
  type Values = z.infer<typeof schema>;
  const initial: Values = {
    email: user?.email ?? '',
    name: user?.name ?? '',
    password: '',
    role: user?.role === 'admin' || user?.role === 'root' ? 'admin' : 'user',
    permissions: user?.permissions ?? [],
    projectIds: [],
  };
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: initial });

  const onSubmit = async (values: Values) => {
    if (editing) {
      const body: Parameters<typeof update.mutateAsync>[0] = {};
      if (values.name !== user.name) body.name = values.name;
      if (values.email !== user.email) body.email = values.email;
      if (accessEditable && user.role !== 'root') {
        if (values.permissions.slice().sort().join() !== user.permissions.slice().sort().join())
          body.permissions = values.permissions;
        if (admin && values.role !== user.role) body.role = values.role;
      }
      await update.mutateAsync(body);
      toast.success(t('users.form.updated', { name: values.name }));
    } else {
      await create.mutateAsync(values);
      toast.success(t('users.form.created', { name: values.name }));
    }
  };

  const role = form.watch('role');
  return (
    <FormDialog
      open={open}
      onOpenChange={onOpenChange}
      form={form}
      initialValues={initial}
      resetKey={user?.id}
      title={editing ? t('users.form.editTitle', { name: user.name }) : t('users.form.createTitle')}
      description={editing ? t('users.form.editHint') : t('users.form.createHint')}
      submitLabel={editing ? t('common.save') : t('users.form.create')}
      className="sm:max-w-lg"
      onSubmit={onSubmit}
    >
      <div className="grid items-start gap-4 sm:grid-cols-2">
        <FormField
          control={form.control}
          name="name"
          render={({ field }) => (
            <FormItem>
              <FormLabel>{t('users.fields.name')}</FormLabel>
              <FormControl>
                <Input {...field} autoFocus />
              </FormControl>
              <FormMessage />
            </FormItem>
          )}
        />
        <FormField
          control={form.control}
          name="email"
          render={({ field }) => (
            <FormItem>
              <FormLabel>{t('users.fields.email')}</FormLabel>
              <FormControl>
                <Input {...field} type="email" autoComplete="off" />
              </FormControl>
              <FormMessage />
            </FormItem>
          )}
        />
      </div>
      {!editing && (
        <FormField
          control={form.control}
          name="password"
          render={({ field }) => (
            <FormItem>
              <FormLabel>{t('users.fields.password')}</FormLabel>
              <FormControl>
                <Input {...field} type="password" autoComplete="new-password" />
              </FormControl>
              <FormDescription>{t('validation.passwordRule')}</FormDescription>
              <FormMessage />
            </FormItem>
          )}
        />
      )}
      {admin && user?.role !== 'root' && accessEditable && (
        <FormField
          control={form.control}
          name="role"
          render={({ field }) => (
            <FormItem>
              <FormLabel>{t('users.fields.role')}</FormLabel>
              <Select value={field.value} onValueChange={field.onChange}>
                <FormControl>
                  <SelectTrigger>
                    <SelectValue />
                  </SelectTrigger>
                </FormControl>
                <SelectContent>
                  <SelectItem value="user">{t('users.roles.user')}</SelectItem>
                  <SelectItem value="admin">{t('users.roles.admin')}</SelectItem>
                </SelectContent>
              </Select>
              <FormDescription>{t('users.fields.roleHint')}</FormDescription>
              <FormMessage />
            </FormItem>
          )}
        />
      )}
      {role === 'user' && user?.role !== 'root' && (
        <FormField
          control={form.control}
          name="permissions"
          render={({ field }) => (
            <FormItem>
              <FormLabel>{t('users.fields.permissions')}</FormLabel>
              <div className="grid gap-2 rounded-md border p-3">
                {PERMISSIONS.map((p) => {
                  const allowed = accessEditable && mayGrant(me, p);
                  return (
                    // biome-ignore lint/a11y/noLabelWithoutControl: the Radix checkbox inside is the control.
                    <label key={p} className="flex items-start gap-2 text-sm">
                      <Checkbox
                        className="mt-0.5"
                        checked={field.value.includes(p)}
                        disabled={!allowed}
                        onCheckedChange={(on) =>
                          field.onChange(on ? [...field.value, p] : field.value.filter((x) => x !== p))
                        }
                      />
                      <span className="grid gap-0.5">
                        <span className={allowed ? '' : 'text-muted-foreground'}>
                          {t(`users.permissions.${p}`)}
                        </span>
                        <span className="text-xs text-muted-foreground">
                          {!accessEditable
                            ? t('users.why.ownAccess')
                            : allowed
                              ? t(`users.permissionHints.${p}`)
                              : t('users.why.permissionNotHeld')}
                        </span>
                      </span>
                    </label>
                  );
                })}
              </div>
              <FormMessage />
            </FormItem>
          )}
        />
      )}
      {!editing && role === 'user' && (
        <ChecklistField
          control={form.control}
          name="projectIds"
          label={t('users.fields.projects')}
          options={reachable}
          empty={t('users.fields.noProjects')}
          className="max-h-36"
        />
      )}
    </FormDialog>
  );
}
