// @ts-check
// The peer of the echo benchmark: the same upper-case echo contract as the select-server and
// epoll-server exercises, on Node's own `net` (libuv's epoll loop underneath). Started through the
// harness like the references (grader/harness/serve.mjs calls main).
import net from 'node:net';

/** @param {Buffer} data */
function upper(data) {
  for (let i = 0; i < data.length; i++) {
    const b = /** @type {number} */ (data[i]);
    if (b >= 0x61 && b <= 0x7a) data[i] = b - 0x20;
  }
  return data;
}

/** @param {{ host: string, port: number, ready(address: { host: string, port: number }): void }} options */
export function main({ host, port, ready }) {
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    sock.on('data', (d) => {
      // Back-pressure as the exercises do it: stop reading while the socket's queue is full.
      if (!sock.write(upper(d))) {
        sock.pause();
        sock.once('drain', () => sock.resume());
      }
    });
    sock.on('error', () => sock.destroy());
  });
  server.listen(port, host, () => {
    const a = /** @type {net.AddressInfo} */ (server.address());
    ready({ host: a.address, port: a.port });
  });
  return new Promise(() => {}); // serves until stopped
}
