// The exit code a command decided, read once by cli/main.ts when the command
// returns (commands that spawn another program hand its status through here).
import { ExitCode } from "../errors.js";

let code: number = ExitCode.ok;

export const setExitCode = (value: number): void => {
  code = value;
};

export const exitCode = (): number => code;
