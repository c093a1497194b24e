import { z } from 'zod';
import { COLORS } from '../../../domain/colors.ts';
import { type HttpRoutes, PUBLIC } from '../routeKit.ts';

/** The palette projects and goals choose from; public, so that the UI can show it on any page. */
export const colorRoutes: HttpRoutes = (app) => {
  app.get(
    '/colors',
    {
      schema: {
        operationId: 'listColors',
        tags: ['projects'],
        summary: 'The colours a project or goal may have (or null for none)',
        security: PUBLIC,
        response: { 200: z.object({ items: z.array(z.object({ name: z.string(), hex: z.string() })) }) },
      },
    },
    async () => ({ items: COLORS.map((c) => ({ name: c.name, hex: c.hex })) }),
  );
};
