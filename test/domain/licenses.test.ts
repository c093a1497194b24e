import { describe, expect, it } from 'vitest';
import { type License, type LicenseEvent, licenseCovers, licenses } from '../../domain/licenses.ts';
import { deciderSpec } from '../kit/decider.ts';

const given = deciderSpec(licenses);
const grantAll = {
  type: 'GrantLicense' as const,
  userId: 'u1',
  licenseId: 'l1',
  moduleCode: 'crm',
  scope: 'all_projects',
  projectId: null,
};
const granted: LicenseEvent = {
  type: 'ModuleLicenseGranted',
  data: { licenseId: 'l1', userId: 'u1', moduleCode: 'crm', scope: 'all_projects', projectId: null },
};

describe('licences', () => {
  it('grants a licence; the same active grant again changes nothing; a reused id is refused', () => {
    given().when(grantAll).then([granted]);
    given([granted])
      .when({ ...grantAll, licenseId: 'l2' })
      .then([]);
    given([granted])
      .when({ ...grantAll, scope: 'single_project', projectId: 'p1' })
      .thenRefuses('license_exists');
  });

  it('needs scope and project to agree', () => {
    given()
      .when({ ...grantAll, scope: 'everything' })
      .thenRefuses('invalid_scope');
    given()
      .when({ ...grantAll, scope: 'single_project' })
      .thenRefuses('project_id_required');
    given()
      .when({ ...grantAll, projectId: 'p1' })
      .thenRefuses('project_id_not_allowed');
  });

  it('revokes once; revoking again changes nothing; an unknown licence is refused', () => {
    const revoked: LicenseEvent = {
      type: 'ModuleLicenseRevoked',
      data: { licenseId: 'l1', userId: 'u1', moduleCode: 'crm' },
    };
    given([granted]).when({ type: 'RevokeLicense', userId: 'u1', licenseId: 'l1' }).then([revoked]);
    given([granted, revoked]).when({ type: 'RevokeLicense', userId: 'u1', licenseId: 'l1' }).then([]);
    given().when({ type: 'RevokeLicense', userId: 'u1', licenseId: 'l9' }).thenRefuses('license_not_found');
  });

  it('covers a module in a project by scope, unless revoked', () => {
    const all: License = {
      licenseId: 'l1',
      moduleCode: 'crm',
      scope: 'all_projects',
      projectId: null,
      revoked: false,
    };
    const one: License = { ...all, scope: 'single_project', projectId: 'p1' };
    expect(licenseCovers(all, 'crm', 'p7')).toBe(true);
    expect(licenseCovers(one, 'crm', 'p1')).toBe(true);
    expect(licenseCovers(one, 'crm', 'p2')).toBe(false);
    expect(licenseCovers(all, 'mail', 'p1')).toBe(false);
    expect(licenseCovers({ ...all, revoked: true }, 'crm', 'p1')).toBe(false);
  });
});
