import { text } from 'node:stream/consumers';
import { Args, Command, Flags } from '@oclif/core';
import { checkNewAdmin, createAdmin } from '../../application/identity/createAdmin.ts';
import { PASSWORD_RULE } from '../../domain/password.ts';
import { loadCommandConfig, openForCommand } from '../bootstrap.ts';
import { freshDataDir } from '../dataDir.ts';
import { refuseCommand, withRefusals } from '../refusal.ts';

export default class NewAdmin extends Command {
  static override description =
    'Create an admin: on an empty system the root admin, afterwards a global admin. Works whether or not the server is running.';
  static override examples = [
    '<%= config.bin %> new-admin ann@example.com "correct horse 42"',
    "printf '%s' \"$PASSWORD\" | <%= config.bin %> new-admin ann@example.com --password-stdin --name 'Ann Admin'",
  ];
  // ignoreStdin: oclif would otherwise take piped input as a missing argument; --password-stdin reads it here.
  static override args = {
    email: Args.string({
      description: 'the admin’s email address (their login)',
      required: true,
      ignoreStdin: true,
    }),
    password: Args.string({
      description: `the password: ${PASSWORD_RULE}`,
      required: false,
      ignoreStdin: true,
    }),
  };
  static override flags = {
    'password-stdin': Flags.boolean({
      description: 'read the password from standard input (keeps it out of the shell history)',
      default: false,
    }),
    name: Flags.string({ description: 'display name (default: the part of the email before @)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NewAdmin);
    if (args.password !== undefined && flags['password-stdin']) {
      refuseCommand(
        this,
        'password_given_twice',
        'Give the password either as an argument or with --password-stdin, not both.',
      );
    }
    let password = args.password;
    if (flags['password-stdin']) password = (await text(process.stdin)).replace(/\r?\n$/, '');
    if (password === undefined) {
      refuseCommand(
        this,
        'password_required',
        'A password is needed: m3m new-admin EMAIL PASSWORD, or m3m new-admin EMAIL --password-stdin.',
      );
    }

    const input = { email: args.email, password, ...(flags.name === undefined ? {} : { name: flags.name }) };
    await withRefusals(this, async () => checkNewAdmin(input));
    const { config, logger } = loadCommandConfig(this, { log: { level: 'warn' } });
    // Files are created only by a command that succeeds: on a failure, whatever the open made goes again.
    const fresh = freshDataDir(config.dataDir);
    let created = false;
    try {
      const m3m = await openForCommand(this, config, logger);
      try {
        const admin = await withRefusals(this, () =>
          createAdmin({ commands: m3m.commands, hasher: m3m.hasher }, input),
        );
        created = true;
        const what = admin.role === 'root' ? 'root admin' : 'global admin';
        this.log(`Created ${what} ${admin.email} (id ${admin.userId})`);
      } finally {
        await m3m.close();
      }
    } finally {
      if (!created) fresh.undo();
    }
  }
}
