import { FileReadError, readRegularFile } from "../util/read-regular-file.js";
import { ConfigError } from "./problem.js";
import { MAX_INPUT_BYTES } from "./yaml-limits.js";

/**
 * Reads a config file: a regular file of at most MAX_INPUT_BYTES (a FIFO or
 * device would hang the run, a huge file exhaust it). Anything else becomes a
 * ConfigError at 1:1 like any other problem.
 */
export const readConfigFile = (file: string): string => {
  try {
    return readRegularFile(file, MAX_INPUT_BYTES).toString("utf8");
  } catch (err) {
    const reason = err instanceof FileReadError ? err.message : String(err);
    throw new ConfigError([{ file, line: 1, col: 1, path: "", message: `cannot read file: ${reason}` }]);
  }
};
