// The `mail` plugin: workers send e-mail over SMTP (nodemailer), through the server named by M3M_SMTP_URL.
// The credentials in that URL never reach a log line, an error message or a worker.
import { createTransport, type Transporter } from 'nodemailer';
import {
  definePlugin,
  expectArgs,
  objectArg,
  PluginArgumentError,
  type PluginConfig,
  type PluginLogger,
} from '../sdk.ts';

export const MAX_RECIPIENTS = 50;
export const MAX_SUBJECT_CHARS = 998; // RFC 5322's line limit
export const MAX_BODY_CHARS = 512 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
const FIELDS = new Set(['to', 'subject', 'text', 'html', 'replyTo']);

// A deliberately plain address: local@domain, no spaces, quotes, angle brackets, commas or line breaks
// (those are what header injection and surprising multi-recipient parses are made of).
const ADDRESS = /^[^\s@<>",;:()[\]\\]{1,64}@[^\s@<>",;:()[\]\\]{1,253}$/;
// The sender may carry a display name: `Shop <shop@example.com>`.
const NAMED_ADDRESS = /^([^<>"\r\n]{0,100}?)\s*<([^<>\s]+)>$/;

interface Settings {
  url: string;
  password: string;
  from: string;
  timeoutMs: number;
}

let settings: Settings | null = null;
let transporter: Transporter | null = null;
let log: PluginLogger | null = null;

function isAddress(value: string): boolean {
  return value.length <= 254 && ADDRESS.test(value);
}

function checkFrom(from: string): string {
  const named = NAMED_ADDRESS.exec(from);
  const address = named ? named[2]! : from;
  if (!isAddress(address)) {
    throw new Error(
      'M3M_SMTP_FROM must be an e-mail address, optionally with a name: "Shop <shop@example.com>"',
    );
  }
  return from;
}

/** Reads M3M_SMTP_URL and M3M_SMTP_FROM; a malformed value breaks the plugin at start, with the reason. */
function readSettings(config: PluginConfig): Settings | null {
  const raw = config.get('M3M_SMTP_URL');
  const from = config.get('M3M_SMTP_FROM');
  if (!raw && !from) return null;
  if (!raw || !from) throw new Error('set both M3M_SMTP_URL and M3M_SMTP_FROM, or neither');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('M3M_SMTP_URL is not a URL (expected smtp://user:password@host:587 or smtps://…)');
  }
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
    throw new Error('M3M_SMTP_URL must be smtp://[user:password@]host[:port] or smtps://…');
  }
  const timeout = config.get('M3M_SMTP_TIMEOUT_MS') ?? String(DEFAULT_TIMEOUT_MS);
  if (!/^\d{1,6}$/.test(timeout) || Number(timeout) < 100) {
    throw new Error('M3M_SMTP_TIMEOUT_MS must be an integer from 100 to 999999');
  }
  return {
    url: raw,
    password: decodeURIComponent(url.password),
    from: checkFrom(from),
    timeoutMs: Number(timeout),
  };
}

function recipients(value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new PluginArgumentError('to must be an e-mail address or a non-empty array of them');
  }
  if (list.length > MAX_RECIPIENTS) {
    throw new PluginArgumentError(`to has ${list.length} recipients; at most ${MAX_RECIPIENTS}`);
  }
  return list.map((address, i) => {
    if (typeof address !== 'string' || !isAddress(address)) {
      throw new PluginArgumentError(
        `to${Array.isArray(value) ? `[${i}]` : ''} is not a valid e-mail address: ${JSON.stringify(address)?.slice(0, 80)}`,
      );
    }
    return address;
  });
}

function text(
  message: Record<string, unknown>,
  field: string,
  max: number,
  optional: boolean,
): string | undefined {
  const value = message[field];
  if (value === undefined || value === null) {
    if (optional) return undefined;
    throw new PluginArgumentError(`${field} is required`);
  }
  if (typeof value !== 'string') throw new PluginArgumentError(`${field} must be a string`);
  if (value.length > max) throw new PluginArgumentError(`${field} must be at most ${max} characters`);
  return value;
}

/** An error for the worker: the transport's reason, without anything from the connection URL. */
function sendError(err: unknown, current: Settings): Error {
  let message = err instanceof Error ? err.message : String(err);
  if (current.password) message = message.split(current.password).join('***');
  message = message.replace(/\/\/[^@/\s]*@/g, '//***@');
  const name = (err as { name?: string }).name === 'AbortError' ? 'TimeoutError' : 'Error';
  const error = new Error(`mail.send failed: ${message}`);
  error.name = name;
  return error;
}

export default definePlugin({
  name: 'mail',
  module: {
    code: 'mail',
    name: 'Mail',
    description: 'Workers send e-mail over SMTP (M3M_SMTP_URL, M3M_SMTP_FROM).',
  },
  setup(config, logger) {
    log = logger;
    settings = readSettings(config);
    transporter = settings
      ? createTransport({
          url: settings.url,
          connectionTimeout: settings.timeoutMs,
          greetingTimeout: settings.timeoutMs,
          socketTimeout: settings.timeoutMs,
          logger: false,
          debug: false,
        })
      : null;
    if (!settings)
      logger.info('not configured: mail.send fails until M3M_SMTP_URL and M3M_SMTP_FROM are set');
  },
  close() {
    transporter?.close();
    transporter = null;
  },
  functions: {
    'mail.send': async (args, context) => {
      expectArgs(args, 1, 'm3m.mail.send');
      const message = objectArg(args, 0, 'the message');
      const unknown = Object.keys(message).filter((key) => !FIELDS.has(key));
      if (unknown.length > 0) {
        throw new PluginArgumentError(
          `unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${[...FIELDS].join(', ')})`,
        );
      }
      const to = recipients(message.to);
      const subject = text(message, 'subject', MAX_SUBJECT_CHARS, false)!;
      if (/[\r\n]/.test(subject)) throw new PluginArgumentError('subject must be one line');
      const body = text(message, 'text', MAX_BODY_CHARS, false)!;
      const html = text(message, 'html', MAX_BODY_CHARS, true);
      const replyTo = message.replyTo === undefined ? undefined : recipients(message.replyTo);
      const current = settings;
      if (!current || !transporter) {
        throw new Error('mail is not configured on this server (M3M_SMTP_URL and M3M_SMTP_FROM)');
      }
      try {
        const info = await transporter.sendMail({
          from: current.from,
          to,
          subject,
          text: body,
          ...(html === undefined ? {} : { html }),
          ...(replyTo ? { replyTo } : {}),
          signal: AbortSignal.timeout(current.timeoutMs),
        });
        const accepted = (info.accepted ?? []).map(String);
        const rejected = (info.rejected ?? []).map(String);
        log?.info('mail sent', {
          projectId: context.projectId,
          workerId: context.workerId,
          messageId: info.messageId,
          recipients: to.length,
          rejected: rejected.length,
        });
        return { messageId: String(info.messageId), accepted, rejected };
      } catch (err) {
        const error = sendError(err, current);
        log?.warn('mail not sent', {
          projectId: context.projectId,
          workerId: context.workerId,
          reason: error.message,
        });
        throw error;
      }
    },
  },
  dts: `/** E-mail over the server's SMTP relay (module \`mail\`). */
namespace mail {
  interface Message {
    /** One address or up to ${MAX_RECIPIENTS}: plain \`local@domain\` addresses. */
    to: string | string[];
    /** One line, at most ${MAX_SUBJECT_CHARS} characters. */
    subject: string;
    /** The plain-text body. */
    text: string;
    /** An HTML alternative to \`text\`. */
    html?: string;
    replyTo?: string | string[];
  }
  interface SendResult {
    messageId: string;
    accepted: string[];
    rejected: string[];
  }
  /** Sends one message from the server's sender address (M3M_SMTP_FROM). Rejects when the relay refuses it or times out. */
  function send(message: Message): Promise<SendResult>;
}
`,
});
