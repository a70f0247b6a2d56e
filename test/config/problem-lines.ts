// Test helper: run a loader and return its ConfigError as formatted lines.
import { ConfigError, formatProblem } from "../../src/config/problem.js";

export const problemLines = (load: () => unknown): string[] => {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem);
    throw err;
  }
  throw new Error("expected a ConfigError, but loading succeeded");
};

/** Joins YAML lines, so tests can count lines: the first element is line 1. */
export const yaml = (...lines: string[]): string => `${lines.join("\n")}\n`;
