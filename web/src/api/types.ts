import type { components, paths } from './schema';

type Json<T> = T extends { content: { 'application/json': infer J } } ? J : never;
/** The JSON a route answers with on `status`: `ResponseOf<'/api/v1/me', 'get'>`. */
export type ResponseOf<
  P extends keyof paths,
  M extends keyof paths[P],
  S extends number = 200,
> = paths[P][M] extends { responses: infer R } ? (S extends keyof R ? Json<R[S]> : never) : never;

export type User = ResponseOf<'/api/v1/me', 'get'>;
export type Project = ResponseOf<'/api/v1/projects/{id}', 'get'>;
export type ProjectMember = ResponseOf<'/api/v1/projects/{id}/members', 'get'>['items'][number];
export type AdminProject = ResponseOf<'/api/v1/admin/projects', 'get'>['items'][number];
export type Goal = ResponseOf<'/api/v1/goals/{goal}', 'get'>;
export type GoalStats = ResponseOf<'/api/v1/goals/{goal}/stats', 'get'>;
export type Color = ResponseOf<'/api/v1/colors', 'get'>['items'][number];
type RequestOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
/** One of the 16 palette names a project or goal may have (`/api/v1/colors`). */
export type ColorName = NonNullable<RequestOf<'/api/v1/projects', 'post'>['color']>;
export type EnvVariable = ResponseOf<'/api/v1/projects/{id}/environment', 'get'>['items'][number];
export type CatalogModule = ResponseOf<'/api/v1/modules', 'get'>['items'][number];
export type ProjectModule = ResponseOf<'/api/v1/projects/{id}/modules', 'get'>['items'][number];
export type License = ResponseOf<'/api/v1/me/module-licenses', 'get'>['items'][number];
export type Permission = User['permissions'][number];
export type { components };
