import nodemailer from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string | null;
}

/** What `sendEmail` needs from a mail transport; the worker builds one from `SMTP_URL`. */
export interface MailTransport {
  send(message: MailMessage): Promise<{ messageId: string }>;
  close(): void;
}

export interface MailTransportOptions {
  /** `smtp://user:pass@host:port` or `smtps://…` */
  url: string;
  /** The From header, e.g. `Affiliate Network <no-reply@example.com>`. */
  from: string;
}

export function createMailTransport(options: MailTransportOptions): MailTransport {
  const transporter = nodemailer.createTransport(options.url);
  return {
    async send(message) {
      const info = await transporter.sendMail({
        from: options.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
      });
      return { messageId: info.messageId };
    },
    close() {
      transporter.close();
    },
  };
}
