import { describe, expect, it } from 'vitest';
import { MAX_STATS_DAYS } from '../../application/dayRange.ts';
import { ERRORS, type ErrorEntry } from '../../application/errorCatalogue.ts';
import { ENV_VALUE_MAX_BYTES } from '../../domain/environment.ts';
import { GOAL_DESCRIPTION_MAX, MAX_INCREMENT } from '../../domain/goal.ts';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES } from '../../domain/password.ts';
import { NAME_MAX_LENGTH } from '../../domain/user.ts';
import { CRON_MAX_LENGTH, MAX_EVENT_TRIGGERS, WORKER_SOURCE_MAX_BYTES } from '../../domain/worker.ts';
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import ru from '../../web/src/i18n/ru.json' with { type: 'json' };

/**
 * The admin UI says every refusal in the person's language (web/src/lib/problem-message.ts): our curated words
 * (`errors.<code>`) or the catalogue's translation (`problems.<code>`) for every code the API can answer with.
 */
const HTTP_CODES = Object.entries(ERRORS as Record<string, ErrorEntry>)
  .filter(([, entry]) => entry.status !== null)
  .map(([code]) => code);

type Resource = { errors: object; problems: object };
const words = (resource: Resource, code: string): unknown =>
  (resource.errors as Record<string, unknown>)[code] ?? (resource.problems as Record<string, unknown>)[code];

describe('the error catalogue in the admin UI', () => {
  it('has Russian (and English) words for every code with an HTTP status: a new code is translated there', () => {
    expect(HTTP_CODES.length).toBeGreaterThan(90);
    for (const [language, resource] of [
      ['ru', ru],
      ['en', en],
    ] as const) {
      const missing = HTTP_CODES.filter((code) => {
        const text = words(resource, code);
        return typeof text !== 'string' || text.trim() === '';
      });
      expect(missing, `add them to \`problems\` in web/src/i18n/${language}.json`).toEqual([]);
    }
  });

  it('keeps `problems` to the catalogue’s HTTP codes, and out of the curated `errors`', () => {
    const stale = Object.keys(ru.problems).filter((code) => !HTTP_CODES.includes(code));
    expect(stale, 'not (or no longer) HTTP codes of application/errorCatalogue.ts').toEqual([]);
    const twice = Object.keys(ru.problems).filter((code) => Object.hasOwn(ru.errors, code));
    expect(twice, 'curated in `errors` already').toEqual([]);
  });

  it('names the limits the API names, in both languages', () => {
    const spaces = (text: string) => text.replace(/\s/g, ' ');
    const limits: Record<string, { en: string; ru: string }> = {
      invalid_name: { en: `${NAME_MAX_LENGTH} characters`, ru: `${NAME_MAX_LENGTH} символов` },
      invalid_description: {
        en: `${GOAL_DESCRIPTION_MAX} characters`,
        ru: `${GOAL_DESCRIPTION_MAX} символов`,
      },
      invalid_increment: {
        en: MAX_INCREMENT.toLocaleString('en-US'),
        ru: MAX_INCREMENT.toLocaleString('ru-RU'),
      },
      range_too_long: { en: `${MAX_STATS_DAYS} days`, ru: `${MAX_STATS_DAYS} дней` },
      invalid_env_value: { en: `${ENV_VALUE_MAX_BYTES / 1024} KB`, ru: `${ENV_VALUE_MAX_BYTES / 1024} КБ` },
      source_too_large: {
        en: `${WORKER_SOURCE_MAX_BYTES / 1024 / 1024} MB`,
        ru: `${WORKER_SOURCE_MAX_BYTES / 1024 / 1024} МБ`,
      },
      invalid_triggers: { en: `${MAX_EVENT_TRIGGERS} event types`, ru: `${MAX_EVENT_TRIGGERS} типов` },
      invalid_cron: { en: `${CRON_MAX_LENGTH} characters`, ru: `${CRON_MAX_LENGTH} символов` },
      weak_password: {
        en: `${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes`,
        ru: `от ${PASSWORD_MIN_BYTES} до ${PASSWORD_MAX_BYTES} байт`,
      },
    };
    for (const [code, limit] of Object.entries(limits)) {
      expect(spaces(words(en, code) as string), code).toContain(spaces(limit.en));
      expect(spaces(words(ru, code) as string), code).toContain(spaces(limit.ru));
    }
  });
});
