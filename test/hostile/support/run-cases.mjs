// Runs many lvsplay command lines in this one node process (the suite stays
// fast: no node start-up per case). The CLI module is evaluated afresh per case
// (a new URL), its exit-status module reset, and awaited (its export `done`);
// stdout and stderr are captured.
// Three TCP listeners on a random 127.x.y.1-3 stand in for the inventory's
// hosts and count every connection made to them, per case.
//
// Usage: node run-cases.mjs <cases.json> <results.json>
// cases.json: { work, cases: [{ name, args, files, env }] }; in args, file
// contents and env values, {dir} {work} {addr1..3} {port1..3} {vip} are replaced.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [casesFile, resultsFile] = process.argv.slice(2);
const { work, cases } = JSON.parse(readFileSync(casesFile, "utf8"));
const repo = path.resolve(import.meta.dirname, "..", "..", "..");
const mainUrl = pathToFileURL(path.join(repo, "dist", "cli", "main.js")).href;
const { setExitCode } = await import(pathToFileURL(path.join(repo, "dist", "cli", "exit-status.js")).href);

// 127.100-199.0-255.1-3: an address range no other test uses, picked at random.
const net = `127.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 256)}`;
let connections = 0;
const listeners = await Promise.all(
  [1, 2, 3].map(
    (n) =>
      new Promise((resolve, reject) => {
        const server = createServer((socket) => {
          connections++;
          socket.destroy();
        });
        server.on("error", reject);
        server.listen(0, `${net}.${n}`, () => resolve(server));
      }),
  ),
);
const vars = {
  work,
  vip: `${net}.100`,
  ...Object.fromEntries(
    listeners.flatMap((s, i) => [
      [`addr${i + 1}`, `${net}.${i + 1}`],
      [`port${i + 1}`, String(s.address().port)],
    ]),
  ),
};
// An identity and an empty known_hosts for inventories that get as far as connecting.
if (spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(work, "key")]).status !== 0)
  throw new Error("ssh-keygen failed");
writeFileSync(path.join(work, "kh"), "");

const fill = (text, dir) =>
  text.replace(/\{(dir|\w+)\}/g, (all, name) => (name === "dir" ? dir : (vars[name] ?? all)));

const out = {
  stdout: process.stdout.write.bind(process.stdout),
  stderr: process.stderr.write.bind(process.stderr),
};
process.stdout.setMaxListeners(0);
const results = [];
for (const [i, c] of cases.entries()) {
  const dir = path.join(work, `case${i}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, spec] of Object.entries(c.files ?? {})) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    if (spec.kind === "fifo") {
      if (spawnSync("mkfifo", [file]).status !== 0) throw new Error(`mkfifo ${file}`);
    } else if (spec.kind === "dir") mkdirSync(file, { recursive: true });
    else if (spec.kind === "bytes") writeFileSync(file, Buffer.alloc(spec.size, spec.fill));
    else writeFileSync(file, fill(spec.text, dir));
  }
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(c.env ?? {})) process.env[k] = fill(v, dir);
  let stdout = "";
  let stderr = "";
  process.stdout.write = (chunk, ...rest) => {
    stdout += String(chunk);
    const cb = rest.find((r) => typeof r === "function");
    if (cb) cb();
    return true;
  };
  process.stderr.write = (chunk, ...rest) => {
    stderr += String(chunk);
    const cb = rest.find((r) => typeof r === "function");
    if (cb) cb();
    return true;
  };
  setExitCode(0);
  process.exitCode = undefined;
  process.argv = [process.execPath, "lvsplay", ...c.args.map((a) => fill(a, dir))];
  const before = connections;
  const started = performance.now();
  let crashed;
  try {
    // The module runs the command as it loads; `done` settles when it has finished.
    await (await import(`${mainUrl}?case=${i}`)).done;
  } catch (error) {
    crashed = String(error?.stack ?? error);
  }
  const ms = performance.now() - started;
  process.stdout.write = out.stdout;
  process.stderr.write = out.stderr;
  // Connections still in flight when the command returned are counted too.
  await new Promise((r) => setTimeout(r, 5));
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  results.push({
    name: c.name,
    dir,
    code: process.exitCode ?? 0,
    stdout,
    stderr,
    ms,
    contacts: connections - before,
    crashed,
  });
  process.exitCode = undefined;
}
for (const s of listeners) s.close();
writeFileSync(resultsFile, JSON.stringify({ vars, results }));
process.exit(0);
