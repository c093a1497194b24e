import { ENV_VALUE_MAX_BYTES } from '../domain/environment.ts';
import { GOAL_DESCRIPTION_MAX, GOAL_TYPES, MAX_INCREMENT } from '../domain/goal.ts';
import { PASSWORD_RULE } from '../domain/password.ts';
import { NAME_MAX_LENGTH } from '../domain/user.ts';
import { MAX_EVENT_TRIGGERS, WORKER_SOURCE_MAX_BYTES } from '../domain/worker.ts';

/**
 * Every refusal m3m gives, once: its code (stable, snake_case), the HTTP status it is answered with, a short
 * title, the input field it names, and what it means. The domain's deciders, the use cases, the HTTP routes and
 * the CLI all refuse with these codes; `docs/reference/errors.md` is generated from this table
 * (`npm run docs:errors`), and the API serves each entry at `/api/v1/problems/<code>`, the `type` of its
 * problem responses.
 *
 * Codes with `reportedAs: 'validation_failed'` are mistakes in one field of the input: they are answered as a
 * `400 validation_failed` problem whose `errors[]` names the field, with the code as `errors[].code`.
 */
export interface ErrorEntry {
  /** The HTTP status; `null` for a refusal that is never an HTTP answer (start-up, the CLI). */
  status: number | null;
  title: string;
  /** The field it names, as `<part>.<path>` (`body.password`, `querystring.cursor`); a use case may name another. */
  field?: string;
  reportedAs?: 'validation_failed';
  /** When it happens and what to do about it. */
  doc: string;
}

const field = (name: string, doc: string, title: string): ErrorEntry => ({
  status: 400,
  title,
  field: name,
  reportedAs: 'validation_failed',
  doc,
});

export const ERRORS = {
  // ── the request itself ───────────────────────────────────────────────────────────────────────────────
  validation_failed: {
    status: 400,
    title: 'Validation failed',
    doc: 'The request does not match the route: `errors[]` lists each field at fault (`body.email`, `querystring.limit`, `params.id`) with a message and, where m3m has one, the code of the rule broken.',
  },
  bad_request: {
    status: 400,
    title: 'Bad request',
    doc: 'The request cannot be read at all: malformed JSON, an empty JSON body, an unreadable URL.',
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    doc: 'The route needs credentials and none were sent: a bearer token (`POST /api/v1/auth/login`) or, where the route says so, the project API key.',
  },
  route_not_found: {
    status: 404,
    title: 'No such route',
    doc: 'No route answers this method and path; see the API reference at `/api/docs`.',
  },
  not_found: {
    status: 404,
    title: 'Not found',
    doc: 'The resource does not exist (for example an avatar file that was never uploaded).',
  },
  payload_too_large: {
    status: 413,
    title: 'Payload too large',
    doc: 'The body is larger than the route accepts.',
  },
  uri_too_long: {
    status: 414,
    title: 'URI too long',
    doc: 'A path parameter is longer than any valid value.',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported media type',
    doc: 'The `Content-Type` of the body is not one the route reads (JSON routes read `application/json`).',
  },
  too_many_requests: {
    status: 429,
    title: 'Too many requests',
    doc: 'Too many attempts (failed logins, wrong current passwords, wrong API keys from one address): wait the seconds `Retry-After` says.',
  },
  internal_error: {
    status: 500,
    title: 'Internal server error',
    doc: 'Something failed inside m3m. Nothing is half-written; the server log has the details under the `requestId` of the response.',
  },
  storage_full: {
    status: 507,
    title: 'Storage full',
    doc: 'The disk (or database) m3m writes to is full. The write was refused whole: nothing of it is stored, and it can be sent again once space is freed. `/health` reports `degraded` with `storage.state: full` meanwhile.',
  },
  read_models_behind: {
    status: 503,
    title: 'Read models behind',
    doc: 'The change was recorded, but the read models did not catch up in time to answer with it: read it again after `Retry-After`.',
  },
  event_store_unavailable: {
    status: 503,
    title: 'Event store unavailable',
    doc: 'The event store cannot take the change (its file was deleted or replaced under the running server): nothing was recorded. `/health` says why; the operator restores the store and restarts m3m.',
  },
  stream_deleted: {
    status: 410,
    title: 'Stream deleted in the event store',
    doc: "The item's history was deleted in the event store itself (an operator deleted or tombstoned its stream on KurrentDB): m3m can neither read nor change it any more. Nothing was recorded. The operator restores the stream from a backup, or the item is gone for good.",
  },
  append_too_large: {
    status: 413,
    title: 'Change too large for the event store',
    doc: "The event store refused the change as larger than it accepts in one append (KurrentDB's `MaxAppendSize` / `MaxAppendEventSize`): nothing was recorded. Send a smaller change, or the operator raises the store's limit.",
  },
  concurrent_modification: {
    status: 409,
    title: 'Concurrent modification',
    doc: 'Too many concurrent changes to the same item kept winning the race; try again.',
  },

  // ── signing in and identity ──────────────────────────────────────────────────────────────────────────
  invalid_credentials: {
    status: 401,
    title: 'Invalid credentials',
    doc: 'The email and password do not match a user (the same answer whether or not the email exists).',
  },
  invalid_token: {
    status: 401,
    title: 'Invalid token',
    doc: 'The bearer token is malformed, expired, or no longer valid (the user changed their password, was blocked or deleted): log in again.',
  },
  account_blocked: {
    status: 403,
    title: 'Account blocked',
    doc: 'The account is blocked: no logins until a user manager unblocks it.',
  },
  invalid_email: field('body.email', 'The value is not an email address.', 'Invalid email'),
  email_taken: {
    status: 409,
    title: 'Email taken',
    field: 'body.email',
    doc: 'Another user has this email address.',
  },
  invalid_name: field(
    'body.name',
    `A name is 1–${NAME_MAX_LENGTH} characters with no control characters (surrounding spaces are ignored).`,
    'Invalid name',
  ),
  weak_password: field(
    'body.password',
    `The new password breaks the password rule: ${PASSWORD_RULE}.`,
    'Weak password',
  ),
  wrong_password: field(
    'body.currentPassword',
    'The current password given is not the current password.',
    'Wrong password',
  ),
  unknown_permission: field(
    'body.permissions',
    'A permission that does not exist (they are `create_projects` and `manage_users`).',
    'Unknown permission',
  ),
  invalid_project_id: field(
    'body.projectId',
    'A project id is 1–64 letters, digits, `_` or `-`.',
    'Invalid project id',
  ),
  unsupported_stream: field(
    'querystring.stream',
    'Time travel folds users, projects, goals, workers, environments, project modules, data models and licences: name one of their streams (`project-<id>`…).',
    'Unsupported stream',
  ),
  invalid_cursor: field(
    'querystring.cursor',
    'The cursor is not one m3m handed out: pass the `nextCursor` of the previous page as it is.',
    'Invalid cursor',
  ),
  unknown_user: field('body.userId', 'There is no user with this id.', 'Unknown user'),
  user_not_found: {
    status: 404,
    title: 'User not found',
    doc: 'There is no such user (or it was deleted).',
  },
  user_exists: {
    status: 409,
    title: 'User exists',
    doc: 'A user with this id exists already.',
  },
  root_assigned: {
    status: 409,
    title: 'Root assigned',
    doc: 'There already is a root admin: the first admin is the root, later ones are global admins.',
  },
  root_protected: {
    status: 403,
    title: 'Root protected',
    doc: 'The root admin cannot be blocked, deleted or demoted.',
  },
  root_only: {
    status: 403,
    title: 'Root only',
    doc: 'Only the root admin may change the root admin.',
  },
  admin_only: {
    status: 403,
    title: 'Global admins only',
    doc: 'Only global admins (and the root) may do this.',
  },
  missing_permission: {
    status: 403,
    title: 'Missing permission',
    doc: 'This needs a permission the caller does not hold (`manage_users`, `create_projects`).',
  },
  permission_not_held: {
    status: 403,
    title: 'Permission not held',
    doc: 'Nobody grants or revokes a permission they do not hold themselves.',
  },
  project_not_held: {
    status: 403,
    title: 'Project not held',
    doc: 'A user who is not a global admin grants or revokes only projects in their own list.',
  },
  self_change: {
    status: 403,
    title: 'Self change',
    doc: 'Nobody changes their own role, permissions or block, or resets their own password through the admin routes: use `POST /api/v1/me/password`.',
  },
  not_a_user: {
    status: 403,
    title: 'Not a user',
    doc: 'Only a user has a profile, a password and an avatar; the system (the CLI) has none.',
  },
  unsupported_avatar_type: {
    status: 415,
    title: 'Unsupported avatar type',
    doc: 'An avatar is sent as the raw picture with `Content-Type` `image/png`, `image/jpeg` or `image/webp` (the message names them); any other type is refused.',
  },
  avatar_content_mismatch: {
    status: 415,
    title: 'Avatar content mismatch',
    doc: 'The body is not a picture of the type its `Content-Type` names.',
  },
  avatar_too_large: {
    status: 413,
    title: 'Avatar too large',
    doc: 'An avatar is at most 1 MiB.',
  },

  // ── projects, goals, environment ─────────────────────────────────────────────────────────────────────
  project_not_found: {
    status: 404,
    title: 'Project not found',
    doc: 'There is no such project, or the caller cannot see it: a project that exists but is not yours is answered the same way, so its existence is not revealed.',
  },
  unknown_project: field(
    'body.projectId',
    'The body names a project that does not exist (or was deleted).',
    'Unknown project',
  ),
  project_exists: {
    status: 409,
    title: 'Project exists',
    doc: 'A project with this id exists already.',
  },
  not_project_manager: {
    status: 403,
    title: 'Not the project manager',
    doc: "Only the project's owner or a global admin may do this; members and users granted the project only read and run.",
  },
  member_not_found: {
    status: 404,
    title: 'Member not found',
    doc: 'That user is not a member of the project.',
  },
  confirmation_mismatch: field(
    'body.confirm',
    'Deleting a project needs its slug repeated in `confirm`.',
    'Confirmation mismatch',
  ),
  invalid_slug: field(
    'body.slug',
    'A slug is 1–48 lowercase letters, digits or hyphens, starting and ending with a letter or digit.',
    'Invalid slug',
  ),
  slug_taken: {
    status: 409,
    title: 'Slug taken',
    field: 'body.slug',
    doc: 'The slug is in use (by another project, or by another worker or goal of the project).',
  },
  invalid_color: field('body.color', 'Unknown colour; see `GET /api/v1/colors`.', 'Invalid colour'),
  invalid_description: field(
    'body.description',
    `A description is at most ${GOAL_DESCRIPTION_MAX} characters.`,
    'Invalid description',
  ),
  goal_not_found: {
    status: 404,
    title: 'Goal not found',
    doc: 'There is no such goal, or the caller (or the API key) may not use it.',
  },
  goal_exists: {
    status: 409,
    title: 'Goal exists',
    doc: 'A goal with this id exists already.',
  },
  invalid_goal_type: field(
    'body.type',
    `A goal type is one of ${GOAL_TYPES.join(', ')}.`,
    'Invalid goal type',
  ),
  not_a_global_goal: field(
    'body.allowedProjectIds',
    'Only global goals have a list of allowed projects.',
    'Not a global goal',
  ),
  not_global_admin: {
    status: 403,
    title: 'Not a global admin',
    doc: 'Only global admins define global goals.',
  },
  not_goal_manager: {
    status: 403,
    title: 'Not the goal manager',
    doc: "Project goals are changed by the project's owner or a global admin; global goals by global admins.",
  },
  invalid_increment: field(
    'body.by',
    `\`by\` is a whole number from 1 to ${MAX_INCREMENT}.`,
    'Invalid increment',
  ),
  invalid_date: field('querystring.from', 'A date is `YYYY-MM-DD` (UTC).', 'Invalid date'),
  invalid_range: field('querystring.from', '`from` is after `to`.', 'Invalid range'),
  range_too_long: field(
    'querystring.to',
    'A statistics range spans more days than allowed (the message names the limit).',
    'Range too long',
  ),
  invalid_env_name: field(
    'body.name',
    'A variable name is 1–64 upper-case letters, digits or `_` and does not start with a digit.',
    'Invalid variable name',
  ),
  invalid_env_value: field(
    'body.value',
    `A value is at most ${ENV_VALUE_MAX_BYTES} bytes (UTF-8).`,
    'Invalid variable value',
  ),
  env_variable_not_found: {
    status: 404,
    title: 'Variable not found',
    doc: 'The project has no variable of that name.',
  },

  // ── modules and licences ─────────────────────────────────────────────────────────────────────────────
  module_not_found: {
    status: 404,
    title: 'Module not found',
    doc: 'There is no module with this code; see `GET /api/v1/modules`.',
  },
  module_disabled: {
    status: 403,
    title: 'Module disabled',
    doc: 'The module is not active in this project (disabled, trial over, or its plugin not installed).',
  },
  module_is_core: {
    status: 409,
    title: 'Core module',
    doc: 'A core module is always active: it cannot be disabled or put on trial.',
  },
  module_already_active: {
    status: 409,
    title: 'Module already active',
    doc: 'The module is active in this project already.',
  },
  core_module_license: field(
    'body.moduleCode',
    'A core module is active in every project and needs no licence.',
    'Core module needs no licence',
  ),
  license_required: {
    status: 403,
    title: 'Licence required',
    doc: "Enabling this module needs the project owner's active licence for it (`all_projects`, or `single_project` for this project); global admins need none.",
  },
  license_not_found: {
    status: 404,
    title: 'Licence not found',
    doc: 'The user has no such licence.',
  },
  license_exists: {
    status: 409,
    title: 'Licence exists',
    doc: 'A licence with this id exists already.',
  },
  invalid_scope: field('body.scope', 'A scope is `all_projects` or `single_project`.', 'Invalid scope'),
  project_id_required: field(
    'body.projectId',
    'A `single_project` licence needs the `projectId` it is for.',
    'Project id required',
  ),
  project_id_not_allowed: field(
    'body.projectId',
    'An `all_projects` licence covers every project: leave `projectId` out.',
    'Project id not allowed',
  ),
  invalid_trial_end: field(
    'body.trialEndsAt',
    '`trialEndsAt` is an ISO 8601 date-time with a time zone, on a day that exists, in the future.',
    'Invalid trial end',
  ),
  invalid_module_code: {
    status: null,
    title: 'Invalid module code',
    doc: 'A plugin declares a module code that is not 1–48 lowercase letters, digits, `_` or `-` starting with a letter: the plugin is reported broken and skipped.',
  },
  invalid_module: {
    status: null,
    title: 'Invalid module',
    doc: "A plugin's module has no valid name, description or `isCore`: the plugin is reported broken and skipped.",
  },

  // ── webhooks ─────────────────────────────────────────────────────────────────────────────────────────
  webhook_not_found: {
    status: 404,
    title: 'Webhook not found',
    doc: 'The project has no such webhook endpoint (or the caller cannot see the project).',
  },
  webhook_exists: {
    status: 409,
    title: 'Webhook exists',
    doc: 'A webhook endpoint with this id exists already.',
  },
  webhook_message_not_found: {
    status: 404,
    title: 'Webhook message not found',
    doc: 'The webhook endpoint has no message with this id (it may have passed the log retention).',
  },
  invalid_webhook_url: field(
    'body.url',
    'A webhook URL is an absolute `https` URL without credentials (`http` only where `M3M_WEBHOOKS_ALLOW_HTTP=true`), at most 2000 characters.',
    'Invalid webhook URL',
  ),
  invalid_webhook_event_type: field(
    'body.eventTypes',
    'Each event type is one of the public webhook event types (the `webhooks` section of the OpenAPI document) or `custom.<Type>` for events emitted by workers.',
    'Invalid webhook event type',
  ),

  // ── workers ──────────────────────────────────────────────────────────────────────────────────────────
  worker_not_found: {
    status: 404,
    title: 'Worker not found',
    doc: 'The project has no such worker (or the caller cannot see the project).',
  },
  worker_exists: {
    status: 409,
    title: 'Worker exists',
    doc: 'A worker with this id exists already.',
  },
  version_not_found: {
    status: 404,
    title: 'Version not found',
    doc: 'The worker has no deployed version with this number.',
  },
  worker_disabled: {
    status: 409,
    title: 'Worker disabled',
    doc: 'The worker is disabled: enable it to run it.',
  },
  worker_not_deployed: {
    status: 409,
    title: 'Worker not deployed',
    doc: 'The worker has no deployed version yet: deploy it first.',
  },
  syntax_error: {
    status: 400,
    title: 'Syntax error',
    field: 'body.source',
    doc: 'The source does not compile as an ES module (or it imports something; or, in TypeScript, it uses syntax that cannot simply be erased, such as `enum` or `namespace`): the message gives the line and column in the source as written. Nothing is recorded.',
  },
  no_draft: field('body.source', 'There is no saved draft to deploy: send a source.', 'No draft'),
  source_too_large: field(
    'body.source',
    `A worker source is at most ${WORKER_SOURCE_MAX_BYTES} bytes (UTF-8).`,
    'Source too large',
  ),
  invalid_triggers: field(
    'body.triggers',
    `Event triggers are at most ${MAX_EVENT_TRIGGERS} event types, each 1–64 letters and digits starting with an upper-case letter.`,
    'Invalid triggers',
  ),
  invalid_cron: field(
    'body.triggers.cron',
    'The cron expression cannot be read: five fields (minute hour day-of-month month day-of-week), or null.',
    'Invalid cron expression',
  ),
  no_event_types: field(
    'body.eventTypes',
    'A dry run runs a worker against past events of the types it listens to: this one listens to none, so name the types in `eventTypes`.',
    'No event types',
  ),
  invalid_language: field(
    'body.language',
    'A worker is written in `javascript` or `typescript`.',
    'Invalid language',
  ),
  invalid_limits: field(
    'body.limits',
    "A limit is a whole number from its minimum to the installation's maximum.",
    'Invalid limits',
  ),
  // ── worker data: collections and their models ───────────────────────────────────────────────────────
  invalid_collection_name: field(
    'params.collection',
    'A collection name is 1–41 lowercase letters, digits or `_`, starting with a letter (e.g. `orders`).',
    'Invalid collection name',
  ),
  invalid_model_schema: field(
    'body.schema',
    'A model is a JSON Schema of an object (`"type": "object"`), at most 64 KB, that Ajv compiles in strict mode: no unknown keywords or formats, only local `$ref`s; at most 100 models per project.',
    'Invalid model schema',
  ),
  invalid_filter: field(
    'querystring.filter',
    'A documents filter is a JSON object as workers write it: `{"status":"open","total":{"$gt":10}}` (operators `$in`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte`).',
    'Invalid filter',
  ),
  invalid_sort: field(
    'querystring.sort',
    'A documents sort is a field path, with `-` in front for descending (`-createdAt`).',
    'Invalid sort',
  ),
  document_not_found: {
    status: 404,
    title: 'Document not found',
    doc: 'The collection has no document with this id.',
  },
  model_not_found: {
    status: 404,
    title: 'Model not found',
    doc: 'The collection has no model (JSON Schema); its writes are not checked.',
  },
  invocation_not_found: {
    status: 404,
    title: 'Invocation not found',
    doc: 'There is no such invocation record in the project (records expire after `M3M_LOG_RETENTION_DAYS`).',
  },
  api_key_required: {
    status: 401,
    title: 'API key required',
    doc: "The HTTP trigger needs the project's API key in `X-Api-Key`.",
  },
  invalid_api_key: {
    status: 401,
    title: 'Invalid API key',
    doc: 'The API key is not valid (it may have been rotated).',
  },
  http_trigger_off: {
    status: 403,
    title: 'HTTP trigger off',
    doc: 'The worker has no HTTP trigger: turn on `triggers.http` to call it at `/run/…`.',
  },
  worker_failed: {
    status: 502,
    title: 'Worker failed',
    doc: 'The worker threw or ran out of memory while answering: see the invocation named in `X-M3M-Invocation-Id`.',
  },
  invalid_worker_response: {
    status: 502,
    title: 'Invalid worker response',
    doc: "The worker's `fetch` handler returned something that is not a response (a bad status or header).",
  },
  worker_timeout: {
    status: 504,
    title: 'Worker timeout',
    doc: 'The worker did not answer within its wall-clock or CPU limit.',
  },

  // ── quotas and fair share ────────────────────────────────────────────────────────────────────────────
  quota_exceeded: {
    status: 409,
    title: 'Quota exceeded',
    doc: "A write would take the project past one of its quotas (worker documents, their bytes, invocation log bytes). Workers see it as a `QuotaExceededError` naming the quota; log lines past the log quota are not kept and the record says so. Delete data, or ask a global admin to raise the project's quota (`PUT /api/v1/admin/projects/:id/quotas`); `GET /api/v1/projects/:id/usage` shows usage and quotas.",
  },
  worker_throttled: {
    status: 429,
    title: 'Worker throttled',
    doc: "The worker's invocations used its CPU budget for the last minute (`M3M_WORKER_CPU_BUDGET_MS`): `Retry-After` says when it runs again. Event deliveries wait for it on their own, without using an attempt.",
  },
  worker_suspended: {
    status: 409,
    title: 'Worker suspended',
    doc: 'The worker kept running into its limits (`M3M_WORKER_BREAKER_THRESHOLD` invocations in a row) and is suspended until its cool-down ends (`Retry-After`, `M3M_WORKER_COOL_DOWN_MS`); the worker shows `suspension` with the reason. Fix it and resume it with `POST /api/v1/projects/:id/workers/:workerId/resume`. Event deliveries wait meanwhile.',
  },
  invalid_quota: field(
    'body',
    'A quota is a whole number from 0 to 10¹², or `null` for the installation default.',
    'Invalid quota',
  ),

  // ── the command line ─────────────────────────────────────────────────────────────────────────────────
  invalid_configuration: {
    status: null,
    title: 'Invalid configuration',
    doc: 'An `M3M_*` environment variable has a value m3m cannot use: the message names the variable and what it accepts. The command exits with 1.',
  },
  password_required: {
    status: null,
    title: 'Password required',
    doc: '`m3m new-admin` needs the password as an argument or on standard input (`--password-stdin`).',
  },
  password_given_twice: {
    status: null,
    title: 'Password given twice',
    doc: '`m3m new-admin` takes the password either as an argument or with `--password-stdin`, not both.',
  },
  storage_unavailable: {
    status: null,
    title: 'Storage unavailable',
    doc: 'm3m cannot open a store at start-up: the message names the file and the cause (a read-only file system, a directory it may not write, a full disk). The command exits with 1.',
  },
  event_chain_broken: {
    status: null,
    title: 'Event chain broken',
    doc: '`m3m audit verify` found the SQLite event store file altered outside m3m: the message names the first position whose event was edited, deleted, inserted or moved, and how many events before it were intact. Restore the file from a backup and compare. The command exits with 1.',
  },
  event_chain_unavailable: {
    status: null,
    title: 'No event chain',
    doc: '`m3m audit verify` checks the tamper-evidence chain of the embedded SQLite event store; with `M3M_EVENT_STORE=postgres` or `kurrentdb` there is none (those engines keep their own history and access control). The command exits with 1.',
  },
  data_dir_missing: {
    status: null,
    title: 'Data directory missing',
    doc: 'A command that works on existing data (`m3m replay`) was pointed at a data directory that does not exist or holds no event store, usually a mistyped `M3M_DATA_DIR`. Nothing is created; the command exits with 1.',
  },
  unknown_projection: {
    status: null,
    title: 'Unknown projection',
    doc: '`m3m replay --projection` names a projection that does not exist; the message lists those that do. The command exits with 2.',
  },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

export function errorEntry(code: ErrorCode): ErrorEntry {
  return ERRORS[code];
}

/** The field path a refusal names: the entry's part (`body`, `querystring`) with the use case's field, if any. */
export function fieldPath(code: ErrorCode, field: string | undefined): string | undefined {
  const documented: string | undefined = (ERRORS[code] as ErrorEntry).field;
  if (field === undefined) return documented;
  const part = documented?.split('.')[0] ?? 'body';
  return `${part}.${field}`;
}
