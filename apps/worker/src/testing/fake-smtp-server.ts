import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
  subject: string | undefined;
}

export interface FakeSmtpServer {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** How many DATA commands were refused with a transient 451 (see `failFirst`). */
  refused: number;
  /** Messages whose data has arrived (counted before the delayed reply). */
  dataReceived: number;
  close(): Promise<void>;
}

/**
 * Just enough SMTP (RFC 5321, no TLS, no AUTH) for nodemailer: greeting, EHLO, MAIL,
 * RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT. `failFirst` answers the first n
 * messages with a transient 451 after their data, to exercise retries.
 */
export async function startFakeSmtpServer(options: { failFirst?: number; replyDelayMs?: number } = {}): Promise<FakeSmtpServer> {
  const received: ReceivedMail[] = [];
  const sockets = new Set<Socket>();
  const state = { refused: 0, dataReceived: 0 };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    let inData = false;
    let from = '';
    let to: string[] = [];
    let dataLines: string[] = [];
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 fake-smtp ESMTP ready');

    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let index = buffer.indexOf('\r\n');
      while (index !== -1) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        index = buffer.indexOf('\r\n');
        if (inData) {
          if (line === '.') {
            inData = false;
            state.dataReceived++;
            const data = dataLines.join('\r\n');
            const mail = { from, to, data, subject: /^Subject: (.*)$/im.exec(data)?.[1] };
            from = '';
            to = [];
            const answer = () => {
              if (state.refused < (options.failFirst ?? 0)) {
                state.refused++;
                reply('451 4.3.0 try again later');
              } else {
                received.push(mail);
                reply('250 2.0.0 queued');
              }
            };
            if (options.replyDelayMs) setTimeout(answer, options.replyDelayMs);
            else answer();
          } else {
            dataLines.push(line.startsWith('..') ? line.slice(1) : line);
          }
          continue;
        }
        const command = line.slice(0, 4).toUpperCase();
        if (command === 'EHLO') {
          reply('250-fake-smtp');
          reply('250-8BITMIME');
          reply('250 SMTPUTF8');
        } else if (command === 'HELO') reply('250 fake-smtp');
        else if (command === 'MAIL') {
          from = /<(.*)>/.exec(line)?.[1] ?? '';
          reply('250 2.1.0 ok');
        } else if (command === 'RCPT') {
          to.push(/<(.*)>/.exec(line)?.[1] ?? '');
          reply('250 2.1.5 ok');
        } else if (command === 'DATA') {
          inData = true;
          dataLines = [];
          reply('354 end data with <CR><LF>.<CR><LF>');
        } else if (command === 'RSET') {
          from = '';
          to = [];
          reply('250 2.0.0 ok');
        } else if (command === 'NOOP') reply('250 2.0.0 ok');
        else if (command === 'QUIT') {
          reply('221 2.0.0 bye');
          socket.end();
        } else reply('502 5.5.2 command not implemented');
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    get refused() {
      return state.refused;
    },
    get dataReceived() {
      return state.dataReceived;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
