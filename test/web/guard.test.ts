import { describe, expect, it } from 'vitest';
import type { ProjectModule } from '@/api/types';
import { moduleGuardDecision } from '@/app/guards';

const core: ProjectModule = { moduleName: 'goals', status: 'active', isCore: true };
const webhooks = (status: ProjectModule['status']): ProjectModule => ({
  moduleName: 'webhooks',
  status,
  isCore: false,
});

describe('the module route guard', () => {
  it('lets a visit through only where the module is enabled (active or on trial)', () => {
    expect(moduleGuardDecision('webhooks', [core], 'owner')).toBe('not_enabled');
    expect(moduleGuardDecision('webhooks', [core, webhooks('disabled')], 'admin')).toBe('not_enabled');
    expect(moduleGuardDecision('webhooks', [core, webhooks('active')], 'owner')).toBe('allow');
    expect(moduleGuardDecision('webhooks', [core, webhooks('trial')], 'admin')).toBe('allow');
  });

  it('keeps a module that needs management from a member even where it is enabled', () => {
    expect(moduleGuardDecision('webhooks', [core, webhooks('active')], 'member')).toBe('not_allowed');
    expect(moduleGuardDecision('goals', [core], 'member')).toBe('allow');
  });

  it('refuses to guard a module the config does not know (a typo in a route)', () => {
    expect(() => moduleGuardDecision('webhook', [core], 'owner')).toThrow(/not in app\/modules.ts/);
  });
});
