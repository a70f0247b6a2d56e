// zod's process-wide settings, imported first by the CLI (src/cli/main.ts).
// jitless: a process parses each schema a handful of times (an inventory, a
// playbook, each task's arguments), so zod's generated object parsers
// (new Function, compiled on first use and not in V8's code cache) cost more
// than they save. `lvsplay validate`, bundle with code cache, 25 runs each
// interleaved: 124.7 → 120.8 ms median at 4 hosts, 166.7 → 158.5 ms at 100.
// Parsing gives the same result either way.
import { z } from "zod";

z.config({ jitless: true });
