import Audit from './commands/audit.ts';
import AuditDiff from './commands/auditDiff.ts';
import AuditState from './commands/auditState.ts';
import AuditVerify from './commands/auditVerify.ts';
import NewAdmin from './commands/new-admin.ts';
import Replay from './commands/replay.ts';
import Serve from './commands/serve.ts';

/** oclif's explicit command map (see `oclif.commands` in package.json). */
export const commands = {
  serve: Serve,
  replay: Replay,
  'new-admin': NewAdmin,
  audit: Audit,
  'audit:verify': AuditVerify,
  'audit:state': AuditState,
  'audit:diff': AuditDiff,
};
