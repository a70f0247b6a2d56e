// Free TCP ports on 127.0.0.1 for QEMU's forwards (asked from the kernel, not
// guessed, so parallel test runs and other labs do not collide).
import { createServer } from "node:net";

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolvePromise(port) : reject(new Error("no port"))));
    });
  });
}
