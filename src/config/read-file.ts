import { readFileSync } from "node:fs";
import { ConfigError } from "./problem.js";

/** Reads a config file; a missing or unreadable file becomes a ConfigError at 1:1 like any other problem. */
export const readConfigFile = (file: string): string => {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory" : String(err);
    throw new ConfigError([{ file, line: 1, col: 1, path: "", message: `cannot read file: ${reason}` }]);
  }
};
